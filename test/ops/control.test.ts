import { describe, expect, it } from 'vitest';
import { Tensor } from '../../engine/tensor.js';
import type { TensorSequence, Value } from '../../engine/ops/types.js';
import { f32, fakeGraph, i64, int, ints, nums, run1, runOp, t } from '../support/op-context.js';

const seq = (v: Value | undefined): TensorSequence => {
  if (!v || !('kind' in v)) throw new Error('expected a sequence');
  return v;
};
const graphAttr = (g: ReturnType<typeof fakeGraph>) => ({ type: 'graph' as const, value: g });

describe('sequence ops', () => {
  it('splits to a sequence and concatenates or stacks it back', () => {
    const x = f32([2, 3], [1, 2, 3, 4, 5, 6]);
    const parts = seq(runOp('SplitToSequence', [x, i64([], [2])], { attrs: { axis: int(1) } })[0]);
    expect(parts.items.map((p) => p.dims)).toEqual([
      [2, 2],
      [2, 1],
    ]);
    expect(nums(parts.items[1])).toEqual([3, 6]);
    expect(nums(run1('ConcatFromSequence', [parts], { attrs: { axis: int(1) } }))).toEqual([1, 2, 3, 4, 5, 6]);
    const rows = seq(runOp('SplitToSequence', [x], { attrs: { keepdims: int(0) } })[0]);
    expect(rows.items.map((r) => r.dims)).toEqual([[3], [3]]);
    const stacked = run1('ConcatFromSequence', [rows], { attrs: { axis: int(-1), new_axis: int(1) } });
    expect(stacked.dims).toEqual([3, 2]);
    expect(nums(stacked)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(() => runOp('SplitToSequence', [x, i64([2], [1, 1])], { attrs: { axis: int(1) } })).toThrow(/do not add up/);
  });

  it('inserts, erases, indexes and counts with negative positions and range checks', () => {
    const a = f32([1], [1]);
    const b = f32([1], [2]);
    const c = f32([1], [3]);
    let s = seq(runOp('SequenceConstruct', [a, c])[0]);
    s = seq(runOp('SequenceInsert', [s, b, i64([], [-1])])[0]);
    expect(s.items.map((x) => nums(x)[0])).toEqual([1, 2, 3]);
    expect(nums(run1('SequenceAt', [s, i64([], [-3])]))).toEqual([1]);
    expect(() => runOp('SequenceAt', [s, i64([], [3])])).toThrow(/out of range/);
    s = seq(runOp('SequenceErase', [s])[0]);
    expect(s.items.map((x) => nums(x)[0])).toEqual([1, 2]);
    const len = run1('SequenceLength', [s]);
    expect(len.dtype).toBe('int64');
    expect(nums(len)).toEqual([2]);
    expect(() => runOp('SequenceInsert', [s, t('int32', [1], [1])])).toThrow(/does not match the sequence element type float32/);
    const empty = seq(runOp('SequenceEmpty', [], { attrs: { dtype: int(7) } })[0]);
    expect(empty).toEqual({ kind: 'sequence', items: [], elemType: 'int64' });
    expect(() => runOp('SequenceErase', [empty])).toThrow(/empty/);
  });

  it('distinguishes empty optionals from present values', () => {
    const x = f32([1], [5]);
    expect(runOp('Optional', [undefined])[0]).toBeNull();
    expect(nums(run1('OptionalHasElement', [null], { opset: 18 }))).toEqual([0]);
    expect(nums(run1('OptionalHasElement', [x], { opset: 18 }))).toEqual([1]);
    expect(run1('OptionalGetElement', [x], { opset: 18 })).toBe(x);
    expect(() => runOp('OptionalGetElement', [null], { opset: 18 })).toThrow(/empty/);
  });

  it('maps a body over sequence items with extra tensor inputs', () => {
    const body = fakeGraph('body', 2, 1);
    const s = seq(runOp('SequenceConstruct', [f32([1], [1]), f32([1], [2])])[0]);
    const out = seq(
      runOp('SequenceMap', [s, f32([1], [10])], {
        opset: 17,
        attrs: { body: graphAttr(body) },
        runSubgraph: (_g, [item, extra]) => [f32([1], [nums(item)[0] + nums(extra)[0]])],
      })[0],
    );
    expect(out.items.map((x) => nums(x)[0])).toEqual([11, 12]);
  });
});

describe('control flow', () => {
  it('If runs only the chosen branch', () => {
    const thenG = fakeGraph('then', 0, 1);
    const elseG = fakeGraph('else', 0, 1);
    const ran: string[] = [];
    const runSubgraph = (g: { name: string }) => {
      ran.push(g.name);
      return [f32([1], [g.name === 'then' ? 1 : 0])];
    };
    const attrs = { then_branch: graphAttr(thenG), else_branch: graphAttr(elseG) };
    expect(nums(run1('If', [t('bool', [], [0])], { opset: 16, attrs, runSubgraph }))).toEqual([0]);
    expect(ran).toEqual(['else']);
    expect(() => runOp('If', [t('bool', [2], [1, 1])], { opset: 16, attrs, runSubgraph })).toThrow(/one element/);
  });

  it('Loop carries state, stacks scan outputs and stops on the body condition', () => {
    const body = fakeGraph('body', 3, 3);
    const runSubgraph = (_g: unknown, [iter, , acc]: Value[]) => {
      const i = nums(iter)[0];
      const sum = nums(acc)[0] + i;
      // Stop after the iteration where i reaches 3.
      return [t('bool', [], [i < 3 ? 1 : 0]), f32([], [sum]), f32([2], [i, sum])];
    };
    const outs = runOp('Loop', [i64([], [2 ** 40]), t('bool', [], [1]), f32([], [0])], {
      opset: 16,
      attrs: { body: graphAttr(body) },
      outputs: 2,
      runSubgraph,
    });
    expect(nums(outs[0])).toEqual([6]);
    const scan = outs[1] as Tensor;
    expect(scan.dims).toEqual([4, 2]);
    expect(nums(scan)).toEqual([0, 0, 1, 1, 2, 3, 3, 6]);
    const none = runOp('Loop', [i64([], [0]), undefined, f32([], [7])], {
      opset: 16,
      attrs: { body: graphAttr(body) },
      outputs: 2,
      runSubgraph,
    });
    expect(nums(none[0])).toEqual([7]);
    expect((none[1] as Tensor).dims).toEqual([0, 2]);
  });

  it('Scan (opset 9+) honours input direction and output axis', () => {
    const body = fakeGraph('body', 2, 2);
    const runSubgraph = (_g: unknown, [state, x]: Value[]) => {
      const s = nums(state)[0] + nums(x)[0];
      return [f32([], [s]), f32([1], [s])];
    };
    const outs = runOp('Scan', [f32([], [0]), f32([3], [1, 2, 3])], {
      opset: 16,
      attrs: { body: graphAttr(body), num_scan_inputs: int(1), scan_input_directions: ints([1]), scan_output_axes: ints([1]) },
      outputs: 2,
      runSubgraph,
    });
    expect(nums(outs[0])).toEqual([6]);
    expect((outs[1] as Tensor).dims).toEqual([1, 3]);
    expect(nums(outs[1])).toEqual([3, 5, 6]);
  });

  it('Scan (opset 8) runs each batch separately and zero-pads short sequences', () => {
    const body = fakeGraph('body', 2, 2);
    const runSubgraph = (_g: unknown, [state, x]: Value[]) => {
      const s = nums(state)[0] + nums(x)[0];
      return [f32([], [s]), f32([], [s])];
    };
    const outs = runOp('Scan', [i64([2], [2, 1]), f32([2], [0, 100]), f32([2, 2], [1, 2, 3, 4])], {
      opset: 8,
      attrs: { body: graphAttr(body), num_scan_inputs: int(1) },
      outputs: 2,
      runSubgraph,
    });
    expect(nums(outs[0])).toEqual([3, 103]);
    expect(nums(outs[1])).toEqual([1, 3, 103, 0]);
  });
});
