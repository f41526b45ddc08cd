// Shared machinery of the reduction-style ops: axis sets, the [outer, reduced, inner] layout
// that lets kernels walk memory with fixed strides, and element-type helpers.
import { Tensor, stridesOf, type DType, type TensorData } from '../../tensor.js';
import { OpError } from '../types.js';
import { normalizeAxis, product } from '../util.js';

/** Element arrays that hold JS numbers (every dtype except int64/uint64/string). */
export type NumArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;
export type BigArray = BigInt64Array | BigUint64Array;

export function isBigData(d: TensorData): d is BigArray {
  return d instanceof BigInt64Array || d instanceof BigUint64Array;
}

export function numericData(op: string, t: Tensor): NumArray | BigArray {
  if (Array.isArray(t.data)) throw new OpError(`${op} does not support string tensors`);
  return t.data;
}

/** Smallest and largest value of a numeric element type (what an empty max/min yields). */
export function typeRange(dtype: DType): [number, number] {
  switch (dtype) {
    case 'int8':
      return [-128, 127];
    case 'uint8':
      return [0, 255];
    case 'int16':
      return [-32768, 32767];
    case 'uint16':
      return [0, 65535];
    case 'int32':
      return [-(2 ** 31), 2 ** 31 - 1];
    case 'uint32':
      return [0, 2 ** 32 - 1];
    case 'bool':
      return [0, 1];
    default:
      return [-Infinity, Infinity];
  }
}

export function typeRangeBig(dtype: DType): [bigint, bigint] {
  return dtype === 'uint64' ? [0n, (1n << 64n) - 1n] : [-(1n << 63n), (1n << 63n) - 1n];
}

/** Normalizes an axis list: in range, no repeats, ascending. */
export function normalizeAxes(axes: readonly number[], rank: number, op: string): number[] {
  const out = axes.map((a) => normalizeAxis(a, rank, `${op} axis`));
  const set = new Set(out);
  if (set.size !== out.length) throw new OpError(`${op}: axes [${axes.join(',')}] repeat an axis`);
  return [...set].sort((a, b) => a - b);
}

/**
 * Memory layout of a reduction over a set of axes when the reduced axes form one block:
 * `outer` independent rows of `reduced` steps, each step `inner` contiguous elements apart.
 * Returns null when the reduced axes are separated by kept axes of size > 1.
 */
export interface Layout {
  outer: number;
  reduced: number;
  inner: number;
}

export function blockLayout(dims: readonly number[], axes: readonly number[]): Layout | null {
  const isReduced = dims.map((_, i) => axes.includes(i));
  const significant = dims.map((d, i) => i).filter((i) => dims[i] !== 1);
  const reducedSig = significant.filter((i) => isReduced[i]);
  if (reducedSig.length === 0) return { outer: product(dims), reduced: 1, inner: 1 };
  const first = significant.indexOf(reducedSig[0]);
  const last = significant.indexOf(reducedSig[reducedSig.length - 1]);
  if (last - first + 1 !== reducedSig.length) return null;
  const lo = reducedSig[0];
  const hi = reducedSig[reducedSig.length - 1];
  return { outer: product(dims, 0, lo), reduced: product(dims, lo, hi + 1), inner: product(dims, hi + 1) };
}

/** A copy of `t` with its axes permuted (odometer walk over the output). */
export function permute(t: Tensor, perm: readonly number[]): Tensor {
  const dims = perm.map((p) => t.dims[p]);
  const out = new Tensor(t.dtype, dims);
  const inStrides = stridesOf(t.dims);
  const walk = perm.map((p) => inStrides[p]);
  const rank = dims.length;
  const src = t.data as unknown as { [i: number]: unknown };
  const dst = out.data as unknown as { [i: number]: unknown };
  const n = out.size;
  if (rank === 0) {
    if (n) dst[0] = src[0];
    return out;
  }
  const last = rank - 1;
  const lastDim = dims[last];
  const lastStride = walk[last];
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let o = 0; o < n; o += lastDim) {
    for (let j = 0, s = off; j < lastDim; j++, s += lastStride) dst[o + j] = src[s];
    for (let d = last - 1; d >= 0; d--) {
      idx[d]++;
      off += walk[d];
      if (idx[d] < dims[d]) break;
      off -= walk[d] * idx[d];
      idx[d] = 0;
    }
  }
  return out;
}

/**
 * The input arranged so the reduced axes form one block, and its layout: the input itself when
 * they already do, otherwise a copy with the reduced axes moved last.
 */
export function arrangeForReduction(t: Tensor, axes: readonly number[]): { data: Tensor; layout: Layout } {
  const direct = blockLayout(t.dims, axes);
  if (direct) return { data: t, layout: direct };
  const kept = t.dims.map((_, i) => i).filter((i) => !axes.includes(i));
  const moved = permute(t, [...kept, ...axes]);
  return { data: moved, layout: { outer: product(kept.map((i) => t.dims[i])), reduced: product(axes.map((i) => t.dims[i])), inner: 1 } };
}

/** Layout of a single-axis walk (ArgMax, CumSum, TopK, LpNormalization...). */
export function axisLayout(dims: readonly number[], axis: number): Layout {
  return { outer: product(dims, 0, axis), reduced: dims.length ? dims[axis] : 1, inner: product(dims, axis + 1) };
}

/** Dims after reducing `axes`, kept as 1 or dropped. */
export function reducedDims(dims: readonly number[], axes: readonly number[], keepdims: boolean): number[] {
  const out: number[] = [];
  dims.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

/** Reads a scalar (or one-element) integer input such as CumSum's axis or TopK's k. */
export function scalarInt(t: Tensor, what: string): number {
  if (t.size !== 1) throw new OpError(`${what} must hold exactly one value, got shape [${t.dims.join(',')}]`);
  const v = t.num(0);
  if (!Number.isSafeInteger(v)) throw new OpError(`${what} must be an integer, got ${v}`);
  return v;
}
