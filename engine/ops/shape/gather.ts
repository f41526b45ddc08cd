// Index-driven ops: Gather, GatherElements, GatherND, ScatterND, ScatterElements (and the old
// Scatter), Compress, NonZero, OneHot.
import { Tensor, roundToFloat16, roundToBfloat16, stridesOf } from '../../tensor.js';
import { OpError, tensorInput, type OpContext, type OpEntry, type Value } from '../types.js';
import { normalizeAxis, product } from '../util.js';
import { elementOf, fillWith, laneView, moveElements } from './move.js';

type Elements = { [i: number]: number | bigint | string };

function shapeText(dims: readonly number[]): string {
  return `[${dims.join(',')}]`;
}

/** Index tensor values as numbers, with negative indices wrapped and range checked against `dim`. */
function indexValues(t: Tensor, dim: number, what = 'index'): Int32Array {
  if (t.dtype !== 'int64' && t.dtype !== 'int32') throw new OpError(`${what} tensor must be int32 or int64, got ${t.dtype}`);
  const out = new Int32Array(t.size);
  const d = t.data;
  for (let i = 0; i < out.length; i++) {
    let v = Number(d[i]);
    if (v < 0) v += dim;
    if (!(v >= 0 && v < dim)) throw new OpError(`${what} ${Number(d[i])} is out of range for a dimension of size ${dim}`);
    out[i] = v;
  }
  return out;
}

function gather(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'data');
  const indices = tensorInput(inputs, 1, 'indices');
  const axis = normalizeAxis(ctx.attrs.int('axis', 0), x.rank);
  const idx = indexValues(indices, x.dims[axis]);
  const outer = product(x.dims, 0, axis);
  const inner = product(x.dims, axis + 1);
  const dims = [...x.dims.slice(0, axis), ...indices.dims, ...x.dims.slice(axis + 1)];
  const out = new Tensor(x.dtype, dims);
  // Per outer slice, gathered rows of `inner` elements: a table over the index axis, an affine inner axis.
  const table = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) table[i] = idx[i] * inner;
  moveElements(x.data, 0, out.data, 0, [
    { n: outer, src: x.dims[axis] * inner, dst: idx.length * inner },
    { n: idx.length, src: 0, table, dst: inner },
    { n: inner, src: 1, dst: 1 },
  ]);
  ctx.report({ kernel: `ts_gather_${x.dtype}`, isa: 'scalar' });
  return [out];
}

function gatherElements(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'data');
  const indices = tensorInput(inputs, 1, 'indices');
  const axis = normalizeAxis(ctx.attrs.int('axis', 0), x.rank);
  if (indices.rank !== x.rank) throw new OpError(`indices rank ${indices.rank} differs from data rank ${x.rank}`);
  const idx = indexValues(indices, x.dims[axis]);
  const out = new Tensor(x.dtype, indices.dims);
  const xs = stridesOf(x.dims);
  const { view: sv, lanes } = laneView(x.data);
  const dv = laneView(out.data).view;
  const pos = new Array<number>(x.rank).fill(0);
  for (let i = 0; i < idx.length; i++) {
    let off = 0;
    for (let k = 0; k < x.rank; k++) {
      const c = k === axis ? idx[i] : pos[k];
      if (k !== axis && c >= x.dims[k]) throw new OpError(`indices shape ${shapeText(indices.dims)} exceeds data shape ${shapeText(x.dims)}`);
      off += c * xs[k];
    }
    for (let l = 0; l < lanes; l++) dv[i * lanes + l] = sv[off * lanes + l];
    for (let k = x.rank - 1; k >= 0; k--) {
      if (++pos[k] < indices.dims[k]) break;
      pos[k] = 0;
    }
  }
  return [out];
}

/** Resolves GatherND/ScatterND index tuples to element offsets of `data` (one per tuple, per batch). */
function ndOffsets(x: Tensor, indices: Tensor, batchDims: number): { offsets: Int32Array; sliceSize: number; k: number } {
  if (indices.dtype !== 'int64' && indices.dtype !== 'int32') throw new OpError(`indices must be int64, got ${indices.dtype}`);
  const k = indices.dims[indices.rank - 1];
  if (indices.rank < 1 || k === undefined || k + batchDims > x.rank) throw new OpError(`indices shape ${shapeText(indices.dims)} does not fit data shape ${shapeText(x.dims)}`);
  for (let b = 0; b < batchDims; b++) {
    if (indices.dims[b] !== x.dims[b]) throw new OpError(`batch dimension ${b} differs: ${indices.dims[b]} vs ${x.dims[b]}`);
  }
  const xs = stridesOf(x.dims);
  const sliceSize = product(x.dims, batchDims + k);
  const tuples = indices.size / Math.max(k, 1);
  const count = k === 0 ? product(indices.dims, 0, indices.rank - 1) : tuples;
  const perBatch = count / Math.max(1, product(indices.dims, 0, batchDims));
  const batchStride = product(x.dims, batchDims);
  const offsets = new Int32Array(count);
  const d = indices.data;
  for (let t = 0; t < count; t++) {
    let off = Math.floor(t / perBatch) * batchStride;
    for (let j = 0; j < k; j++) {
      const dim = x.dims[batchDims + j];
      let v = Number(d[t * k + j]);
      if (v < 0) v += dim;
      if (!(v >= 0 && v < dim)) throw new OpError(`index ${Number(d[t * k + j])} is out of range for a dimension of size ${dim}`);
      off += v * xs[batchDims + j];
    }
    offsets[t] = off;
  }
  return { offsets, sliceSize, k };
}

function gatherND(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'data');
  const indices = tensorInput(inputs, 1, 'indices');
  const batchDims = ctx.opset >= 12 ? ctx.attrs.int('batch_dims', 0) : 0;
  const { offsets, sliceSize, k } = ndOffsets(x, indices, batchDims);
  const dims = [...indices.dims.slice(0, -1), ...x.dims.slice(batchDims + k)];
  const out = new Tensor(x.dtype, dims);
  moveElements(x.data, 0, out.data, 0, [
    { n: offsets.length, src: 0, table: offsets, dst: sliceSize },
    { n: sliceSize, src: 1, dst: 1 },
  ]);
  return [out];
}

type Reduction = 'none' | 'add' | 'mul' | 'max' | 'min';

function reductionOf(ctx: OpContext): Reduction {
  const r = ctx.attrs.string('reduction', 'none');
  const allowed: Reduction[] = ctx.opset >= 18 ? ['none', 'add', 'mul', 'max', 'min'] : ctx.opset >= 16 ? ['none', 'add', 'mul'] : ['none'];
  if (!allowed.includes(r as Reduction)) throw new OpError(`reduction '${r}' is not supported at opset ${ctx.opset}`);
  return r as Reduction;
}

/** Applies one update element; int64 stays exact as bigint, float16 re-rounds. */
function makeCombiner(r: Reduction, dtype: Tensor['dtype']): (a: number | bigint | string, b: number | bigint | string) => number | bigint | string {
  const round = dtype === 'float16' ? roundToFloat16 : dtype === 'bfloat16' ? roundToBfloat16 : (v: number) => v;
  switch (r) {
    case 'add':
      return (a, b) => (typeof a === 'bigint' ? a + (b as bigint) : round((a as number) + (b as number)));
    case 'mul':
      return (a, b) => (typeof a === 'bigint' ? a * (b as bigint) : round((a as number) * (b as number)));
    case 'max':
      return (a, b) => (a >= b ? a : b);
    case 'min':
      return (a, b) => (a <= b ? a : b);
    default:
      return (_a, b) => b;
  }
}

function copyOf(x: Tensor): Tensor {
  const out = new Tensor(x.dtype, x.dims);
  if (Array.isArray(x.data)) (out.data as string[]).splice(0, x.size, ...x.data);
  else (out.data as Float32Array).set(x.data as Float32Array);
  return out;
}

function scatterND(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'data');
  const indices = tensorInput(inputs, 1, 'indices');
  const updates = tensorInput(inputs, 2, 'updates');
  if (updates.dtype !== x.dtype) throw new OpError(`updates type ${updates.dtype} differs from data type ${x.dtype}`);
  const { offsets, sliceSize, k } = ndOffsets(x, indices, 0);
  const expected = [...indices.dims.slice(0, -1), ...x.dims.slice(k)];
  if (updates.rank !== expected.length || updates.dims.some((d, i) => d !== expected[i])) {
    throw new OpError(`updates shape ${shapeText(updates.dims)} should be ${shapeText(expected)}`);
  }
  const out = copyOf(x);
  const reduction = reductionOf(ctx);
  if (reduction === 'none') {
    // Later tuples overwrite earlier ones, as in the reference; slices copy lane by lane.
    const { view: uv, lanes } = laneView(updates.data);
    const ov = laneView(out.data).view;
    const w = sliceSize * lanes;
    for (let t = 0; t < offsets.length; t++) {
      const o = offsets[t] * lanes;
      const u = t * w;
      for (let j = 0; j < w; j++) ov[o + j] = uv[u + j];
    }
    return [out];
  }
  const od = out.data as unknown as Elements;
  const ud = updates.data as unknown as Elements;
  const combine = makeCombiner(reduction, x.dtype);
  for (let t = 0; t < offsets.length; t++) {
    for (let j = 0; j < sliceSize; j++) od[offsets[t] + j] = combine(od[offsets[t] + j], ud[t * sliceSize + j]);
  }
  return [out];
}

function scatterElements(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'data');
  const indices = tensorInput(inputs, 1, 'indices');
  const updates = tensorInput(inputs, 2, 'updates');
  const axis = normalizeAxis(ctx.attrs.int('axis', 0), x.rank);
  if (updates.dtype !== x.dtype) throw new OpError(`updates type ${updates.dtype} differs from data type ${x.dtype}`);
  if (indices.rank !== x.rank || updates.rank !== x.rank || indices.dims.some((d, i) => d !== updates.dims[i])) {
    throw new OpError(`indices ${shapeText(indices.dims)} and updates ${shapeText(updates.dims)} must share a shape of data's rank ${x.rank}`);
  }
  const idx = indexValues(indices, x.dims[axis]);
  const out = copyOf(x);
  const combine = makeCombiner(ctx.node.opType === 'Scatter' ? 'none' : reductionOf(ctx), x.dtype);
  const od = out.data as unknown as Elements;
  const ud = updates.data as unknown as Elements;
  const xs = stridesOf(x.dims);
  const pos = new Array<number>(x.rank).fill(0);
  for (let i = 0; i < idx.length; i++) {
    let off = 0;
    for (let k = 0; k < x.rank; k++) {
      const c = k === axis ? idx[i] : pos[k];
      if (c >= x.dims[k]) throw new OpError(`indices shape ${shapeText(indices.dims)} exceeds data shape ${shapeText(x.dims)}`);
      off += c * xs[k];
    }
    od[off] = combine(od[off], ud[i]);
    for (let k = x.rank - 1; k >= 0; k--) {
      if (++pos[k] < indices.dims[k]) break;
      pos[k] = 0;
    }
  }
  return [out];
}

function compress(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0);
  const condition = tensorInput(inputs, 1, 'condition');
  if (condition.rank !== 1) throw new OpError(`condition must be 1-D, got shape ${shapeText(condition.dims)}`);
  const axisAttr = ctx.attrs.int('axis');
  const src = axisAttr === undefined ? x.reshape([x.size]) : x;
  const axis = axisAttr === undefined ? 0 : normalizeAxis(axisAttr, x.rank);
  const dim = src.dims[axis];
  if (condition.size > dim) throw new OpError(`condition has ${condition.size} entries, more than axis ${axis} of size ${dim}`);
  const keep: number[] = [];
  for (let i = 0; i < condition.size; i++) if (condition.num(i)) keep.push(i);
  const inner = product(src.dims, axis + 1);
  const dims = src.dims.slice();
  dims[axis] = keep.length;
  const out = new Tensor(x.dtype, dims);
  moveElements(src.data, 0, out.data, 0, [
    { n: product(src.dims, 0, axis), src: dim * inner, dst: keep.length * inner },
    { n: keep.length, src: 0, table: Int32Array.from(keep, (k) => k * inner), dst: inner },
    { n: inner, src: 1, dst: 1 },
  ]);
  return [out];
}

function nonZero(_ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0);
  const d = x.data as unknown as Elements;
  const hits: number[] = [];
  for (let i = 0; i < x.size; i++) {
    const v = d[i];
    if (v !== 0 && v !== 0n && v !== '') hits.push(i);
  }
  // A scalar counts as shape [1], as numpy's nonzero treats it.
  const dims = x.rank === 0 ? [1] : x.dims;
  const s = stridesOf(dims);
  const out = new Tensor('int64', [dims.length, hits.length]);
  const o = out.data as BigInt64Array;
  hits.forEach((flat, j) => {
    for (let k = 0; k < dims.length; k++) o[k * hits.length + j] = BigInt(Math.floor(flat / s[k]) % dims[k]);
  });
  return [out];
}

function oneHot(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const indices = tensorInput(inputs, 0, 'indices');
  const depthT = tensorInput(inputs, 1, 'depth');
  const values = tensorInput(inputs, 2, 'values');
  if (depthT.size !== 1) throw new OpError('depth must hold one value');
  if (values.size !== 2) throw new OpError(`values must hold [off, on], got ${values.size} elements`);
  const depth = Math.trunc(depthT.num(0));
  if (!(depth >= 1)) throw new OpError(`depth ${depthT.num(0)} must be positive`);
  const rank = indices.rank + 1;
  const axisRaw = ctx.attrs.int('axis', -1);
  const axis = normalizeAxis(axisRaw, rank);
  const dims = [...indices.dims.slice(0, axis), depth, ...indices.dims.slice(axis)];
  const out = new Tensor(values.dtype, dims);
  const off = elementOf(values, 0);
  const on = elementOf(values, 1);
  fillWith(out, off);
  const inner = product(indices.dims, axis);
  const od = out.data as unknown as Elements;
  for (let i = 0; i < indices.size; i++) {
    let v = Math.trunc(indices.num(i));
    if (v < 0) v += depth;
    if (v < 0 || v >= depth) continue;
    const o = Math.floor(i / inner);
    const r = i % inner;
    od[(o * depth + v) * inner + r] = on;
  }
  return [out];
}

export const ops: OpEntry[] = [
  { op: 'Gather', domain: '', since: 1, impl: gather },
  { op: 'GatherElements', domain: '', since: 11, impl: gatherElements },
  { op: 'GatherND', domain: '', since: 11, impl: gatherND },
  { op: 'ScatterND', domain: '', since: 11, impl: scatterND },
  { op: 'ScatterElements', domain: '', since: 11, impl: scatterElements },
  { op: 'Scatter', domain: '', since: 9, until: 10, impl: scatterElements },
  { op: 'Compress', domain: '', since: 9, impl: compress },
  { op: 'NonZero', domain: '', since: 9, impl: nonZero },
  { op: 'OneHot', domain: '', since: 9, impl: oneHot },
];
