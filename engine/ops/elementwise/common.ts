// Shared machinery of the elementwise and activation ops: element-type checks, the broadcast
// row plan that keeps inner loops tight, and the TypeScript kernel report.
import { Tensor, FLOAT_TYPES, INT_TYPES, allocate, sizeOf, stridesOf, type DType } from '../../tensor.js';
import { OpError, type OpContext } from '../types.js';
import { broadcastShapes, roundNarrow } from '../util.js';
import type { FastKernels } from './fast.js';

/** Element arrays that hold JS numbers (every dtype except int64/uint64/string). */
export type NumArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;
export type FloatArray = Float32Array | Float64Array;
export type BigArray = BigInt64Array | BigUint64Array;

export const isFloat = (t: DType): boolean => FLOAT_TYPES.has(t);
export const isBig = (t: DType): boolean => t === 'int64' || t === 'uint64';
const SIGNED: ReadonlySet<DType> = new Set(['int8', 'int16', 'int32', 'int64']);
export const isSignedInt = (t: DType): boolean => SIGNED.has(t);

export type TypeClass = 'float' | 'int' | 'uint' | 'bool' | 'string';

/** Rejects element types the op does not define, naming the op and the type. */
export function requireTypes(op: string, t: Tensor, allowed: readonly TypeClass[], what = 'input'): void {
  const cls: TypeClass = FLOAT_TYPES.has(t.dtype)
    ? 'float'
    : SIGNED.has(t.dtype)
      ? 'int'
      : INT_TYPES.has(t.dtype)
        ? 'uint'
        : t.dtype === 'bool'
          ? 'bool'
          : 'string';
  if (!allowed.includes(cls)) throw new OpError(`${op} does not support ${what} of type ${t.dtype}`);
}

export function requireSameType(op: string, tensors: Tensor[]): void {
  for (const t of tensors) {
    if (t.dtype !== tensors[0].dtype)
      throw new OpError(`${op} needs inputs of one element type, got ${tensors.map((x) => x.dtype).join(' and ')}`);
  }
}

/** Names the kernel in the profile: TypeScript loops, one per element type. */
export function reportTs(ctx: OpContext, family: string, dtype: DType, n: number, flopsPerElement = 1): void {
  ctx.report({ kernel: `ts_${family}_${dtype}`, isa: 'scalar', flops: n * flopsPerElement });
}

/**
 * How a broadcast walks its operands: `rows` rows of `n` output elements each, where within a
 * row operand k advances by `steps[k]` (1, or 0 when it repeats one element) from `starts[k][row]`.
 * Adjacent dimensions that broadcast alike are merged first, so same-shape, scalar, per-channel
 * ([1,C,1,1]) and last-dim-vector operands all become a few long rows.
 */
export interface BroadcastRows {
  n: number;
  rows: number;
  steps: number[];
  starts: Int32Array[];
}

export function broadcastRows(shapes: (readonly number[])[], out: readonly number[]): BroadcastRows {
  const rank = out.length;
  const strides = shapes.map((s) => {
    const own = stridesOf(s);
    const padded = new Array<number>(rank).fill(0);
    for (let i = 0; i < s.length; i++) padded[rank - s.length + i] = s[i] === 1 ? 0 : own[i];
    return padded;
  });
  // Groups of merged dimensions, innermost first: total size and each operand's innermost stride.
  const sizes: number[] = [];
  const groupStrides: number[][] = [];
  for (let d = rank - 1; d >= 0; d--) {
    if (out[d] === 1) continue;
    const g = sizes.length - 1;
    if (g >= 0 && strides.every((st, k) => st[d] === groupStrides[g][k] * sizes[g])) {
      sizes[g] *= out[d];
    } else {
      sizes.push(out[d]);
      groupStrides.push(strides.map((st) => st[d]));
    }
  }
  const total = out.reduce((a, b) => a * b, 1);
  if (total === 0) return { n: 0, rows: 0, steps: shapes.map(() => 0), starts: shapes.map(() => new Int32Array(0)) };
  if (sizes.length === 0) return { n: 1, rows: 1, steps: shapes.map(() => 0), starts: shapes.map(() => new Int32Array(1)) };
  const n = sizes[0];
  const rows = total / n;
  const starts = shapes.map(() => new Int32Array(rows));
  const outerSizes = sizes.slice(1);
  const outerStrides = groupStrides.slice(1);
  const idx = new Array<number>(outerSizes.length).fill(0);
  const cur = new Array<number>(shapes.length).fill(0);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < cur.length; k++) starts[k][r] = cur[k];
    for (let d = 0; d < outerSizes.length; d++) {
      idx[d]++;
      for (let k = 0; k < cur.length; k++) cur[k] += outerStrides[d][k];
      if (idx[d] < outerSizes[d]) break;
      for (let k = 0; k < cur.length; k++) cur[k] -= outerStrides[d][k] * outerSizes[d];
      idx[d] = 0;
    }
  }
  return { n, rows, steps: groupStrides[0], starts };
}

/**
 * One row of a binary op: o[oi + k] = f(a[ai + k*as], b[bi + k*bs]) for k < n. Each op writes
 * its own loop so the arithmetic inlines; typed as numbers, also run on bigint/string arrays
 * where the JS operator means the same thing (comparisons, Where).
 */
export type RowKernel = (
  a: NumArray,
  ai: number,
  as: number,
  b: NumArray,
  bi: number,
  bs: number,
  o: NumArray,
  oi: number,
  n: number,
) => void;

/**
 * Runs a row kernel over the numpy broadcast of `a` and `b` into a new tensor of `outType`;
 * with `fast`, rows where each operand is contiguous or a repeated scalar use its unrolled loops.
 * `rows` is the broadcast's plan when the caller kept it (broadcastRows of the same shapes).
 */
export function broadcastBinary(
  a: Tensor,
  b: Tensor,
  outType: DType,
  kernel: RowKernel,
  outDims?: readonly number[],
  fast?: FastKernels,
  rows?: BroadcastRows,
): Tensor {
  const dims = outDims ?? broadcastShapes(a.dims, b.dims);
  // Every element is written below: a recycled buffer needs no zero-fill first.
  const out = new Tensor(outType, dims, allocate(outType, sizeOf(dims), false));
  const plan = rows ?? broadcastRows([a.dims, b.dims], dims);
  const [sa, sb] = plan.starts;
  const [as, bs] = plan.steps;
  const ad = a.data as NumArray;
  const bd = b.data as NumArray;
  const od = out.data as NumArray;
  const n = plan.n;
  if (fast && as === 1 && bs === 1) for (let r = 0; r < plan.rows; r++) fast.vv(ad, sa[r], bd, sb[r], od, r * n, n);
  else if (fast && as === 1) for (let r = 0; r < plan.rows; r++) fast.vs(ad, sa[r], bd[sb[r]], od, r * n, n);
  else if (fast && bs === 1) for (let r = 0; r < plan.rows; r++) fast.sv(ad[sa[r]], bd, sb[r], od, r * n, n);
  else for (let r = 0; r < plan.rows; r++) kernel(ad, sa[r], as, bd, sb[r], bs, od, r * n, n);
  return roundNarrow(out);
}

/** Elementwise binary op on bigint elements through a scalar function (int64 math stays exact). */
export function broadcastBigint(a: Tensor, b: Tensor, outType: DType, f: (x: bigint, y: bigint) => bigint | number): Tensor {
  const dims = broadcastShapes(a.dims, b.dims);
  const out = new Tensor(outType, dims);
  const plan = broadcastRows([a.dims, b.dims], dims);
  const [sa, sb] = plan.starts;
  const [as, bs] = plan.steps;
  const ad = a.data as BigArray;
  const bd = b.data as BigArray;
  const od = out.data as unknown as { [i: number]: bigint | number };
  for (let r = 0; r < plan.rows; r++) {
    let ai = sa[r];
    let bi = sb[r];
    const oi = r * plan.n;
    for (let k = 0; k < plan.n; k++, ai += as, bi += bs) od[oi + k] = f(ad[ai], bd[bi]);
  }
  return out;
}

/**
 * Opset < 7 binary ops broadcast only when `broadcast=1`, aligning B with A at `axis`
 * (suffix alignment when absent); without it the shapes must match.
 */
export function legacyBroadcast(ctx: OpContext, a: Tensor, b: Tensor): Tensor {
  if (ctx.opset >= 7) return b;
  if (!ctx.attrs.int('broadcast', 0)) {
    if (a.dims.length !== b.dims.length || a.dims.some((d, i) => d !== b.dims[i])) {
      throw new OpError(`shapes [${a.dims}] and [${b.dims}] differ and broadcast is not set (opset ${ctx.opset})`);
    }
    return b;
  }
  const axis = ctx.attrs.int('axis');
  if (axis === undefined) return b;
  const start = axis < 0 ? axis + a.dims.length : axis;
  if (start < 0 || start + b.dims.length > a.dims.length) throw new OpError(`axis ${axis} cannot align shape [${b.dims}] with [${a.dims}]`);
  return b.reshape([...new Array<number>(start).fill(1), ...b.dims, ...new Array<number>(a.dims.length - start - b.dims.length).fill(1)]);
}
