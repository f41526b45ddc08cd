// Helpers shared by op implementations.
import { Tensor, stridesOf, roundToFloat16, roundToBfloat16, type DType } from '../tensor.js';
import { OpError } from './types.js';

/** Normalizes a possibly negative axis against `rank`, with a clear error when out of range. */
export function normalizeAxis(axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= Math.max(rank, 1)) throw new OpError(`${what} ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Numpy-style broadcast of several shapes. */
export function broadcastShapes(...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i];
      if (out[o] === 1) out[o] = d;
      else if (d !== 1 && d !== out[o]) throw new OpError(`shapes ${shapes.map((x) => `[${x.join(',')}]`).join(' and ')} cannot be broadcast`);
    }
  }
  return out;
}

/**
 * For each element of a tensor of shape `out`, the offset of the element of `shape` it reads
 * when `shape` is broadcast to `out`. Returns null when no broadcasting is needed.
 */
export function broadcastOffsets(shape: readonly number[], out: readonly number[]): Int32Array | null {
  const same = shape.length === out.length && shape.every((d, i) => d === out[i]);
  if (same) return null;
  const n = out.reduce((a, b) => a * b, 1);
  const offsets = new Int32Array(n);
  const rank = out.length;
  const inStrides = new Array<number>(rank).fill(0);
  const s = stridesOf(shape);
  for (let i = 0; i < shape.length; i++) {
    const o = rank - shape.length + i;
    inStrides[o] = shape[i] === 1 ? 0 : s[i];
  }
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    offsets[i] = off;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      off += inStrides[d];
      if (idx[d] < out[d]) break;
      off -= inStrides[d] * idx[d];
      idx[d] = 0;
    }
  }
  return offsets;
}

/** Reads a 1-D (or scalar) integer tensor, e.g. shape/axes/pads inputs, as numbers. */
export function readInts(t: Tensor | undefined): number[] | undefined {
  return t?.toNumbers();
}

export function product(dims: readonly number[], from = 0, to = dims.length): number {
  let n = 1;
  for (let i = from; i < to; i++) n *= dims[i];
  return n;
}

/** A new tensor of the given type and shape, copying `src` elements by index map. */
export function gatherElements(src: Tensor, dims: readonly number[], index: (i: number) => number, dtype: DType = src.dtype): Tensor {
  const out = new Tensor(dtype, dims);
  const o = out.data as unknown as { [i: number]: unknown; length: number };
  const s = src.data as unknown as { [i: number]: unknown };
  for (let i = 0; i < o.length; i++) o[i] = s[index(i)];
  return out;
}

/** float16/bfloat16 are held decoded; results computed wider (float32 or float64) must be rounded back to the narrow type. */
export function roundNarrow(t: Tensor): Tensor {
  if (t.dtype !== 'float16' && t.dtype !== 'bfloat16') return t;
  const d = t.data as Float32Array;
  const round = t.dtype === 'float16' ? roundToFloat16 : roundToBfloat16;
  for (let i = 0; i < d.length; i++) d[i] = round(d[i]);
  return t;
}
