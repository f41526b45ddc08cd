import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { Tensor } from '../../engine/tensor.js';
import { runFolder } from '../../engine/testdata/suite.js';
import { SHARED } from '../support/paths.js';
import { f32, i64s, int, ints, iota, opRunner, str, t, vals } from '../support/op-context.js';

const SHAPE_OPS = [
  'Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Concat', 'Split', 'Slice', 'Gather', 'GatherElements',
  'GatherND', 'ScatterND', 'ScatterElements', 'Scatter', 'Expand', 'Tile', 'Pad', 'Shape', 'Size', 'ConstantOfShape',
  'Constant', 'Range', 'Dropout', 'Resize', 'Upsample', 'Trilu', 'NonZero', 'OneHot', 'DepthToSpace', 'SpaceToDepth',
  'Compress', 'EyeLike', 'ReverseSequence', 'Unique', 'CenterCropPad',
];

const { runTensors: runOp, run1 } = opRunner({ opset: 18 });

/** Straightforward reference transpose for checking the strided/tiled kernels. */
function naiveTranspose(x: Tensor, perm: number[]): number[] {
  const dims = perm.map((p) => x.dims[p]);
  const inStrides = x.dims.map((_, i) => x.dims.slice(i + 1).reduce((a, b) => a * b, 1));
  const out: number[] = [];
  const idx = new Array<number>(dims.length).fill(0);
  const n = dims.reduce((a, b) => a * b, 1);
  for (let k = 0; k < n; k++) {
    out.push(Number(x.data[perm.reduce((acc, p, j) => acc + idx[j] * inStrides[p], 0)]));
    for (let d = dims.length - 1; d >= 0; d--) {
      if (++idx[d] < dims[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

describe('Reshape family', () => {
  it('copies 0 dims and infers -1, and honours allowzero', () => {
    const x = iota([2, 3, 4]);
    expect(run1('Reshape', [x, i64s([0, -1])]).dims).toEqual([2, 12]);
    expect(run1('Reshape', [iota([0, 3]), i64s([3, 0])], { attrs: { allowzero: int(1) } }).dims).toEqual([3, 0]);
    expect(() => run1('Reshape', [x, i64s([5, -1])])).toThrow(/cannot reshape/);
    expect(() => run1('Reshape', [x, i64s([-1, -1])])).toThrow(/more than one -1/);
  });
  it('Flatten with negative axis, Squeeze/Unsqueeze across the opset-13 change', () => {
    expect(run1('Flatten', [iota([2, 3, 4, 5])], { attrs: { axis: int(-1) } }).dims).toEqual([24, 5]);
    expect(run1('Flatten', [iota([2, 3])], { attrs: { axis: int(0) } }).dims).toEqual([1, 6]);
    expect(run1('Squeeze', [iota([1, 3, 1]), i64s([-1])]).dims).toEqual([1, 3]);
    expect(run1('Squeeze', [iota([1, 3, 1])], { attrs: { axes: ints([0]) }, opset: 11 }).dims).toEqual([3, 1]);
    expect(() => run1('Squeeze', [iota([2, 3]), i64s([0])])).toThrow(/cannot squeeze axis 0/);
    expect(run1('Unsqueeze', [iota([3, 4]), i64s([0, -1])]).dims).toEqual([1, 3, 4, 1]);
    expect(run1('Unsqueeze', [iota([3])], { attrs: { axes: ints([1]) }, opset: 11 }).dims).toEqual([3, 1]);
  });
  it('Shape with start/end, Size, Constant forms', () => {
    const x = iota([2, 3, 4, 5]);
    expect(vals(run1('Shape', [x], { attrs: { start: int(1), end: int(-1) } }))).toEqual([3, 4]);
    expect(vals(run1('Shape', [x], { attrs: { start: int(-10) } }))).toEqual([2, 3, 4, 5]);
    expect(vals(run1('Size', [x]))).toEqual([120]);
    const c = run1('Constant', [], { attrs: { value_ints: ints([1, -2]) } });
    expect(c.dtype).toBe('int64');
    expect(vals(c)).toEqual([1, -2]);
    expect(run1('Constant', [], { attrs: { value_float: { type: 'float', value: 2.5 } } }).dims).toEqual([]);
  });
  it('rejects hostile ConstantOfShape and Range sizes before allocating', () => {
    expect(() => run1('ConstantOfShape', [i64s([1e6, 1e6])])).toThrow(/over the limit/);
    expect(() => run1('ConstantOfShape', [i64s([-1])])).toThrow(/invalid dimension/);
    expect(() => run1('Range', [f32([], [0]), f32([], [1e12]), f32([], [1])])).toThrow(/over the limit/);
    expect(() => run1('Range', [f32([], [0]), f32([], [10]), f32([], [0])])).toThrow(/delta must not be 0/);
  });
  it('ConstantOfShape fills with the value tensor, Range counts exactly', () => {
    const out = run1('ConstantOfShape', [i64s([2, 2])], { attrs: { value: { type: 'tensor', value: t('int32', [1], [7]) } } });
    expect(out.dtype).toBe('int32');
    expect(vals(out)).toEqual([7, 7, 7, 7]);
    expect(vals(run1('Range', [t('int64', [], [10]), t('int64', [], [4]), t('int64', [], [-3])]))).toEqual([10, 7]);
    expect(vals(run1('Range', [f32([], [1]), f32([], [2]), f32([], [0.25])]))).toEqual([1, 1.25, 1.5, 1.75]);
  });
  it('Dropout at inference is the identity with an all-true mask', () => {
    const x = f32([3], [1, 2, 3]);
    const [y, mask] = runOp('Dropout', [x, f32([], [0.5])], { opset: 13, outputs: 2 });
    expect(vals(y)).toEqual([1, 2, 3]);
    expect(mask.dtype).toBe('bool');
    expect(vals(mask)).toEqual([1, 1, 1]);
  });
});

describe('Transpose and layout ops', () => {
  it('matches a naive transpose for every perm of a 4-D tensor and on the tiled 2-D path', () => {
    const x = iota([2, 3, 4, 5]);
    const perms = [[0, 2, 1, 3], [0, 2, 3, 1], [3, 2, 1, 0], [1, 0, 3, 2], [0, 1, 3, 2]];
    for (const perm of perms) expect(vals(run1('Transpose', [x], { attrs: { perm: ints(perm) } }))).toEqual(naiveTranspose(x, perm));
    const big = iota([67, 131]);
    expect(vals(run1('Transpose', [big]))).toEqual(naiveTranspose(big, [1, 0]));
    for (const dtype of ['float64', 'uint8', 'int16'] as const) {
      const m = iota([3, 33, 70], dtype);
      expect(vals(run1('Transpose', [m], { attrs: { perm: ints([2, 0, 1]) } }))).toEqual(naiveTranspose(m, [2, 0, 1]));
    }
  });
  it('moves 8-byte, 2-byte and string elements bit-exactly', () => {
    const i = new Tensor('int64', [2, 2], BigInt64Array.from([1n, 2n ** 60n, -3n, 4n]));
    expect(Array.from(run1('Transpose', [i]).data as BigInt64Array)).toEqual([1n, -3n, 2n ** 60n, 4n]);
    const d = t('float64', [2, 3], [0.1, 0.2, 0.3, 0.4, 0.5, Math.PI]);
    expect(vals(run1('Transpose', [d]))).toEqual([0.1, 0.4, 0.2, 0.5, 0.3, Math.PI]);
    const s = new Tensor('string', [2, 2], ['a', 'b', 'c', 'd']);
    expect(vals(run1('Transpose', [s]))).toEqual(['a', 'c', 'b', 'd']);
    expect(vals(run1('Transpose', [t('float16', [1, 2], [1.5, -2])]))).toEqual([1.5, -2]);
    expect(() => run1('Transpose', [iota([2, 2])], { attrs: { perm: ints([0, 0]) } })).toThrow(/not a permutation/);
  });
  it('DepthToSpace and SpaceToDepth invert each other (DCR), CRD differs', () => {
    const x = iota([1, 8, 2, 3]);
    const d = run1('DepthToSpace', [x], { attrs: { blocksize: int(2) } });
    expect(d.dims).toEqual([1, 2, 4, 6]);
    expect(vals(run1('SpaceToDepth', [d], { attrs: { blocksize: int(2) } }))).toEqual(vals(x));
    expect(vals(run1('DepthToSpace', [x], { attrs: { blocksize: int(2), mode: str('CRD') } }))).not.toEqual(vals(d));
  });
  it('Concat joins along an axis (KV-cache shape), mixing empty inputs', () => {
    const past = iota([1, 2, 3, 2]);
    const cur = t('float32', [1, 2, 1, 2], [100, 101, 102, 103]);
    const out = run1('Concat', [past, cur, iota([1, 2, 0, 2])], { attrs: { axis: int(-2) } });
    expect(out.dims).toEqual([1, 2, 4, 2]);
    expect(vals(out)).toEqual([0, 1, 2, 3, 4, 5, 100, 101, 6, 7, 8, 9, 10, 11, 102, 103]);
    expect(() => run1('Concat', [iota([2, 2]), iota([3, 3])], { attrs: { axis: int(0) } })).toThrow(/differ outside axis/);
  });
  it('Split by sizes, evenly, and unevenly with num_outputs', () => {
    const x = iota([7]);
    const parts = runOp('Split', [x], { attrs: { num_outputs: int(3) }, opset: 18, outputs: 3 });
    expect(parts.map(vals)).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    const sized = runOp('Split', [iota([2, 3]), i64s([1, 2])], { attrs: { axis: int(1) }, opset: 13, outputs: 2 });
    expect(sized.map(vals)).toEqual([[0, 3], [1, 2, 4, 5]]);
    expect(runOp('Split', [iota([2, 3])], { attrs: { axis: int(1), split: ints([2, 1]) }, opset: 11, outputs: 2 }).map((p) => p.dims)).toEqual([[2, 2], [2, 1]]);
    expect(() => runOp('Split', [iota([4]), i64s([1, 2])], { opset: 13, outputs: 2 })).toThrow(/do not add up/);
  });
  it('Slice handles negative steps, INT64_MAX ends, and opset-1 attributes', () => {
    const x = iota([10]);
    expect(vals(run1('Slice', [x, i64s([-1]), i64s([-100]), i64s([0]), i64s([-3])]))).toEqual([9, 6, 3, 0]);
    const max = new Tensor('int64', [1], BigInt64Array.from([9223372036854775807n]));
    expect(vals(run1('Slice', [iota([2, 4]), i64s([1]), max, i64s([1])]))).toEqual([1, 2, 3, 5, 6, 7]);
    expect(vals(run1('Slice', [iota([2, 4])], { attrs: { starts: ints([0, 1]), ends: ints([1, 3]) }, opset: 1 }))).toEqual([1, 2]);
    expect(() => run1('Slice', [x, i64s([0]), i64s([5]), i64s([0]), i64s([0])])).toThrow(/step/);
    // A full reversal keeps the shape but not the order (silero-vad pads this way).
    const min = t('int64', [1], [-(2 ** 62)]);
    expect(vals(run1('Slice', [iota([4]), i64s([-1]), min, i64s([0]), i64s([-1])]))).toEqual([3, 2, 1, 0]);
  });
  it('Expand broadcasts both ways and Tile repeats', () => {
    const e = run1('Expand', [f32([3, 1], [1, 2, 3]), i64s([2, 1, 2])]);
    expect(e.dims).toEqual([2, 3, 2]);
    expect(vals(e)).toEqual([1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]);
    expect(vals(run1('Tile', [f32([2, 2], [1, 2, 3, 4]), i64s([2, 2])]))).toEqual([1, 2, 1, 2, 3, 4, 3, 4, 1, 2, 1, 2, 3, 4, 3, 4]);
  });
});

describe('Pad', () => {
  const x = f32([1, 4], [1, 2, 3, 4]);
  it('implements constant, reflect, edge and wrap', () => {
    const pads = i64s([0, 2, 0, 3]);
    expect(vals(run1('Pad', [x, pads, f32([], [9])]))).toEqual([9, 9, 1, 2, 3, 4, 9, 9, 9]);
    expect(vals(run1('Pad', [x, pads], { attrs: { mode: str('reflect') } }))).toEqual([3, 2, 1, 2, 3, 4, 3, 2, 1]);
    expect(vals(run1('Pad', [x, pads], { attrs: { mode: str('edge') } }))).toEqual([1, 1, 1, 2, 3, 4, 4, 4, 4]);
    expect(vals(run1('Pad', [x, pads], { attrs: { mode: str('wrap') }, opset: 19 }))).toEqual([3, 4, 1, 2, 3, 4, 1, 2, 3]);
  });
  it('crops with negative pads, takes axes (opset 18) and attributes (opset 2)', () => {
    expect(vals(run1('Pad', [x, i64s([0, -1, 0, 1])]))).toEqual([2, 3, 4, 0]);
    expect(vals(run1('Pad', [x, i64s([1, 0]), undefined, i64s([-1])]))).toEqual([0, 1, 2, 3, 4]);
    expect(vals(run1('Pad', [x], { attrs: { pads: ints([0, 1, 0, 0]), value: { type: 'float', value: 5 } }, opset: 2 }))).toEqual([5, 1, 2, 3, 4]);
    expect(() => run1('Pad', [x, i64s([0, -5, 0, 0])])).toThrow(/crop more/);
  });
  it('CenterCropPad crops and pads around the centre', () => {
    expect(vals(run1('CenterCropPad', [iota([5]), i64s([2])]))).toEqual([1, 2]);
    expect(vals(run1('CenterCropPad', [f32([2], [1, 2]), i64s([5])]))).toEqual([0, 1, 2, 0, 0]);
  });
});

describe('Index ops', () => {
  it('Gather wraps negative indices and rejects out-of-range ones', () => {
    const x = iota([3, 2]);
    expect(vals(run1('Gather', [x, i64s([-1, 0])]))).toEqual([4, 5, 0, 1]);
    const byCol = run1('Gather', [x, t('int32', [2, 2], [1, 0, 1, 1])], { attrs: { axis: int(1) } });
    expect(byCol.dims).toEqual([3, 2, 2]);
    expect(vals(byCol).slice(0, 4)).toEqual([1, 0, 1, 1]);
    expect(() => run1('Gather', [x, i64s([3])])).toThrow(/out of range/);
  });
  it('GatherElements, GatherND with batch_dims', () => {
    expect(vals(run1('GatherElements', [f32([2, 2], [1, 2, 3, 4]), t('int64', [2, 2], [0, 0, 1, 0])], { attrs: { axis: int(1) } }))).toEqual([1, 1, 4, 3]);
    const data = iota([2, 2, 2]);
    const nd = run1('GatherND', [data, t('int64', [2, 1], [1, 0])], { attrs: { batch_dims: int(1) } });
    expect(nd.dims).toEqual([2, 2]);
    expect(vals(nd)).toEqual([2, 3, 4, 5]);
  });
  it('ScatterND and ScatterElements with reductions', () => {
    const data = f32([4], [1, 2, 3, 4]);
    expect(vals(run1('ScatterND', [data, t('int64', [2, 1], [1, 1]), f32([2], [10, 20])], { attrs: { reduction: str('add') } }))).toEqual([1, 32, 3, 4]);
    expect(vals(run1('ScatterND', [data, t('int64', [1, 1], [3]), f32([1], [-1])]))).toEqual([1, 2, 3, -1]);
    expect(vals(run1('ScatterElements', [data, t('int64', [2], [0, 0]), f32([2], [5, 0])], { attrs: { reduction: str('max') } }))).toEqual([5, 2, 3, 4]);
    const i = new Tensor('int64', [2], BigInt64Array.from([2n ** 40n, 3n]));
    expect(Array.from(run1('ScatterElements', [i, t('int64', [1], [0]), new Tensor('int64', [1], BigInt64Array.from([2n]))], { attrs: { reduction: str('mul') } }).data as BigInt64Array)).toEqual([2n ** 41n, 3n]);
    expect(() => run1('ScatterElements', [data, t('int64', [1], [0]), f32([1], [1])], { attrs: { reduction: str('max') }, opset: 16 })).toThrow(/not supported at opset 16/);
  });
  it('Compress, NonZero, OneHot, Trilu, EyeLike', () => {
    expect(vals(run1('Compress', [iota([3, 2]), t('bool', [2], [0, 1])], { attrs: { axis: int(1) } }))).toEqual([1, 3, 5]);
    expect(vals(run1('Compress', [iota([3, 2]), t('bool', [3], [1, 0, 1])]))).toEqual([0, 2]);
    const nz = run1('NonZero', [f32([2, 2], [1, 0, 0, 3])]);
    expect(nz.dims).toEqual([2, 2]);
    expect(vals(nz)).toEqual([0, 1, 0, 1]);
    const oh = run1('OneHot', [i64s([0, -1, 5]), f32([], [3]), f32([2], [0, 1])]);
    expect(vals(oh)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0]);
    expect(vals(run1('Trilu', [iota([3, 3]), t('int64', [], [1])], { attrs: { upper: int(0) } }))).toEqual([0, 1, 0, 3, 4, 5, 6, 7, 8]);
    expect(vals(run1('Trilu', [iota([2, 3])]))).toEqual([0, 1, 2, 0, 4, 5]);
    expect(vals(run1('EyeLike', [iota([2, 3])], { attrs: { k: int(1) } }))).toEqual([0, 1, 0, 0, 0, 1]);
  });
  it('ReverseSequence and Unique', () => {
    const rs = run1('ReverseSequence', [iota([3, 2]), i64s([3, 1])], { attrs: { batch_axis: int(1), time_axis: int(0) } });
    expect(vals(rs)).toEqual([4, 1, 2, 3, 0, 5]);
    const [y, idx, inv, counts] = runOp('Unique', [f32([6], [2, 1, 1, 3, 4, 3])], { opset: 11, outputs: 4 });
    expect(vals(y)).toEqual([1, 2, 3, 4]);
    expect(vals(idx)).toEqual([1, 0, 3, 4]);
    expect(vals(inv)).toEqual([1, 0, 0, 2, 3, 2]);
    expect(vals(counts)).toEqual([2, 1, 2, 1]);
    const [unsorted] = runOp('Unique', [f32([4], [3, 1, 3, 2])], { attrs: { sorted: int(0) }, opset: 11, outputs: 4 });
    expect(vals(unsorted)).toEqual([3, 1, 2]);
  });
});

describe('Resize', () => {
  const x = f32([1, 1, 2, 2], [1, 2, 3, 4]);
  it('nearest x2 repeats pixels; int input stays exact', () => {
    const out = run1('Resize', [x, undefined, f32([4], [1, 1, 2, 2])], { attrs: { mode: str('nearest') }, opset: 13 });
    expect(out.dims).toEqual([1, 1, 4, 4]);
    expect(vals(out).slice(0, 8)).toEqual([1, 1, 2, 2, 1, 1, 2, 2]);
    const u8 = run1('Resize', [t('uint8', [1, 1, 1, 2], [7, 250]), undefined, undefined, i64s([1, 1, 1, 4])], { opset: 13 });
    expect(vals(u8)).toEqual([7, 7, 250, 250]);
  });
  it('linear with align_corners interpolates the corners exactly', () => {
    const out = run1('Resize', [x, undefined, undefined, i64s([1, 1, 3, 3])], { attrs: { mode: str('linear'), coordinate_transformation_mode: str('align_corners') }, opset: 13 });
    expect(vals(out)).toEqual([1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]);
  });
  it('half_pixel linear upsample matches hand-computed values', () => {
    const out = run1('Resize', [f32([1, 1, 1, 2], [0, 4]), undefined, f32([4], [1, 1, 1, 2])], { attrs: { mode: str('linear') }, opset: 13 });
    expect(vals(out)).toEqual([0, 1, 3, 4]);
  });
  it('Upsample (opset 9) uses asymmetric nearest; bad inputs are rejected', () => {
    expect(vals(run1('Upsample', [f32([1, 2], [1, 2]), f32([2], [1, 3])], { opset: 9 }))).toEqual([1, 1, 1, 2, 2, 2]);
    expect(() => run1('Resize', [x, undefined, f32([4], [1, 1, 0, 2])], { opset: 13 })).toThrow(/must be positive/);
    expect(() => run1('Resize', [x], { opset: 13 })).toThrow(/scales or sizes/);
    expect(() => run1('Resize', [x, undefined, f32([4], [1, 1, 1e9, 1e9])], { opset: 13 })).toThrow(/over the limit/);
    expect(() => run1('Tile', [x, i64s([1, 1, 1e6, 1e6])])).toThrow(/over the limit/);
  });
});

describe('conformance of the shape ops', () => {
  it('passes >= 95% of the ONNX node cases for its ops', () => {
    const wanted = new Set(SHAPE_OPS);
    const results = runFolder(path.join(SHARED, 'onnx-node'), { filter: (row) => wanted.has(row.op_type) });
    const pass = results.filter((r) => r.status === 'pass');
    const fail = results.filter((r) => r.status === 'fail');
    for (const f of fail) console.log(`FAIL ${f.name} [${f.op}]: ${f.reason}`);
    expect(pass.length).toBeGreaterThan(200);
    expect(pass.length / (pass.length + fail.length)).toBeGreaterThanOrEqual(0.95);
  });
});
