import { describe, it, expect } from 'vitest';
import { nodeConformance } from '../support/conformance.js';
import { expectClose, f32, i64, int, ints, opRunner, t } from '../support/op-context.js';

const { runTensors: runOp, run1 } = opRunner({ opset: 21 });

const x232 = () => f32([2, 3, 2], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);

describe('Reduce*', () => {
  it('sums over a middle axis, with and without keepdims', () => {
    const kept = run1('ReduceSum', [x232(), i64([1], [1])], { opset: 13 });
    expect(kept.dims).toEqual([2, 1, 2]);
    expect(kept.toNumbers()).toEqual([9, 12, 27, 30]);
    const dropped = run1('ReduceSum', [x232(), i64([1], [1])], { opset: 13, attrs: { keepdims: int(0) } });
    expect(dropped.dims).toEqual([2, 2]);
  });

  it('reduces over axes separated by a kept axis', () => {
    const y = run1('ReduceMax', [x232(), i64([2], [0, -1])], { opset: 18, attrs: { keepdims: int(0) } });
    expect(y.dims).toEqual([3]);
    expect(y.toNumbers()).toEqual([8, 10, 12]);
  });

  it('reads axes from the attribute before the opset that made them an input', () => {
    const y = run1('ReduceMean', [x232()], { opset: 13, attrs: { axes: ints([2]) } });
    expect(y.toNumbers()).toEqual([1.5, 3.5, 5.5, 7.5, 9.5, 11.5]);
    const all = run1('ReduceMean', [x232()], { opset: 18 });
    expect(all.dims).toEqual([1, 1, 1]);
    expect(all.toNumbers()).toEqual([6.5]);
  });

  it('passes the input through when axes are empty and noop_with_empty_axes is set', () => {
    const x = x232();
    const y = run1('ReduceSum', [x, i64([0], [])], { opset: 13, attrs: { noop_with_empty_axes: int(1) } });
    expect(y.dims).toEqual([2, 3, 2]);
    expect(y.toNumbers()).toEqual(x.toNumbers());
    expect(y.data).not.toBe(x.data);
  });

  it('gives identities for empty reductions', () => {
    const empty = t('int32', [2, 0], []);
    expect(run1('ReduceMax', [empty, i64([1], [1])], { opset: 20 }).toNumbers()).toEqual([-(2 ** 31), -(2 ** 31)]);
    expect(run1('ReduceProd', [f32([2, 0], []), i64([1], [1])], { opset: 18 }).toNumbers()).toEqual([1, 1]);
    expect(run1('ReduceLogSum', [f32([1, 0], []), i64([1], [1])], { opset: 18 }).toNumbers()).toEqual([-Infinity]);
  });

  it('computes log-sum-exp without overflow for large inputs', () => {
    const y = run1('ReduceLogSumExp', [f32([2], [1000, 1000])], { opset: 18 });
    expectClose(y.toNumbers(), [1000 + Math.log(2)]);
  });

  it('L1, L2 and sum-of-squares agree with their definitions', () => {
    const x = f32([2, 2], [3, -4, 0, -1]);
    expect(run1('ReduceL1', [x, i64([1], [1])], { opset: 18 }).toNumbers()).toEqual([7, 1]);
    expect(run1('ReduceL2', [x, i64([1], [1])], { opset: 18 }).toNumbers()).toEqual([5, 1]);
    expect(run1('ReduceSumSquare', [x, i64([1], [0])], { opset: 18 }).toNumbers()).toEqual([9, 17]);
  });

  it('sums int64 exactly beyond 2^53', () => {
    const big = 2n ** 60n;
    const x = t('int64', [3], [0, 0, 0]);
    (x.data as BigInt64Array).set([big, 1n, 1n]);
    const y = run1('ReduceSum', [x], { opset: 13 });
    expect((y.data as BigInt64Array)[0]).toBe(big + 2n);
  });

  it('rounds float16 results to float16', () => {
    const x = t('float16', [3], [1, 2 ** -11, 2 ** -11]);
    const y = run1('ReduceSum', [x], { opset: 13 });
    expect(y.toNumbers()).toEqual([1 + 2 ** -10]);
  });

  it('supports bool max/min (opset 20) and rejects bool sums', () => {
    const b = t('bool', [2, 2], [0, 1, 0, 0]);
    expect(run1('ReduceMax', [b, i64([1], [1])], { opset: 20 }).toNumbers()).toEqual([1, 0]);
    expect(() => run1('ReduceSum', [b], { opset: 13 })).toThrow(/does not support bool/);
  });

  it('rejects repeated and out-of-range axes', () => {
    expect(() => run1('ReduceSum', [x232(), i64([2], [1, -2])], { opset: 13 })).toThrow(/repeat an axis/);
    expect(() => run1('ReduceMean', [x232()], { opset: 13, attrs: { axes: ints([3]) } })).toThrow(/out of range/);
  });
});

describe('ArgMax / ArgMin', () => {
  it('picks the first or the last of tied values', () => {
    const x = f32([2, 3], [1, 5, 5, 2, 2, 0]);
    expect(run1('ArgMax', [x], { opset: 13, attrs: { axis: int(1) } }).toNumbers()).toEqual([1, 0]);
    expect(run1('ArgMax', [x], { opset: 13, attrs: { axis: int(1), select_last_index: int(1) } }).toNumbers()).toEqual([2, 1]);
    expect(run1('ArgMin', [x], { opset: 13, attrs: { axis: int(1), keepdims: int(0) } }).dims).toEqual([2]);
  });

  it('walks a non-last axis', () => {
    const y = run1('ArgMin', [x232()], { opset: 13, attrs: { axis: int(0), select_last_index: int(1) } });
    expect(y.dims).toEqual([1, 3, 2]);
    expect(y.toNumbers()).toEqual([0, 0, 0, 0, 0, 0]);
    expect(y.dtype).toBe('int64');
  });

  it('refuses an empty axis', () => {
    expect(() => run1('ArgMax', [f32([2, 0], [])], { opset: 13, attrs: { axis: int(1) } })).toThrow(/empty axis/);
  });
});

describe('TopK', () => {
  it('orders by value with ties broken by the lower index', () => {
    const x = f32([1, 6], [3, 1, 3, 7, 1, 7]);
    const [v, i] = runOp('TopK', [x, i64([1], [3])], { opset: 11, outputs: 2 });
    expect(v.toNumbers()).toEqual([7, 7, 3]);
    expect(i.toNumbers()).toEqual([3, 5, 0]);
    const [vs, is] = runOp('TopK', [x, i64([1], [2])], { opset: 11, outputs: 2, attrs: { largest: int(0) } });
    expect(vs.toNumbers()).toEqual([1, 1]);
    expect(is.toNumbers()).toEqual([1, 4]);
  });

  it('small-k selection matches a full sort', () => {
    const values = Array.from({ length: 500 }, (_, i) => ((i * 7919) % 101) - 50);
    const x = f32([500], values);
    const [small, smallIdx] = runOp('TopK', [x, i64([1], [5])], { opset: 11, outputs: 2 });
    const [full, fullIdx] = runOp('TopK', [x, i64([1], [500])], { opset: 11, outputs: 2 });
    expect(small.toNumbers()).toEqual(full.toNumbers().slice(0, 5));
    expect(smallIdx.toNumbers()).toEqual(fullIdx.toNumbers().slice(0, 5));
  });

  it('works along a non-last axis and rejects k beyond the axis', () => {
    const [v] = runOp('TopK', [x232(), i64([1], [1])], { opset: 11, attrs: { axis: int(1) }, outputs: 2 });
    expect(v.dims).toEqual([2, 1, 2]);
    expect(v.toNumbers()).toEqual([5, 6, 11, 12]);
    expect(() => runOp('TopK', [x232(), i64([1], [4])], { opset: 11, attrs: { axis: int(1) } })).toThrow(/out of range/);
  });
});

describe('CumSum / CumProd', () => {
  it('handles exclusive and reverse', () => {
    const x = f32([4], [1, 2, 3, 4]);
    const axis = i64([], [0]);
    expect(run1('CumSum', [x, axis], { opset: 14 }).toNumbers()).toEqual([1, 3, 6, 10]);
    expect(run1('CumSum', [x, axis], { opset: 14, attrs: { exclusive: int(1), reverse: int(1) } }).toNumbers()).toEqual([9, 7, 4, 0]);
    expect(run1('CumProd', [x, axis], { opset: 26, attrs: { exclusive: int(1) } }).toNumbers()).toEqual([1, 1, 2, 6]);
  });

  it('accumulates along a leading axis and in int64', () => {
    const y = run1('CumSum', [x232(), i64([], [1])], { opset: 14 });
    expect(y.toNumbers()).toEqual([1, 2, 4, 6, 9, 12, 7, 8, 16, 18, 27, 30]);
    const big = run1('CumSum', [i64([3], [1, 2, 3]), i64([], [-1])], { opset: 14 });
    expect(big.dtype).toBe('int64');
    expect(big.toNumbers()).toEqual([1, 3, 6]);
  });

  it('rejects a non-scalar axis', () => {
    expect(() => run1('CumSum', [x232(), i64([2], [0, 1])], { opset: 14 })).toThrow(/exactly one value/);
  });
});

describe('reduction conformance (onnx-node)', () => {
  const ops = ['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare', 'ArgMax', 'ArgMin', 'CumSum', 'CumProd', 'TopK'];
  it('passes at least 95% of the supported cases', () => {
    const { results, passRate, failures } = nodeConformance(ops);
    if (failures.length) console.log(`reduction conformance failures:\n${failures.join('\n')}`);
    expect(results.length).toBeGreaterThan(150);
    expect(passRate, failures.join('\n')).toBeGreaterThanOrEqual(0.95);
  });
});
