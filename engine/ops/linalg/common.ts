// Helpers shared by the linear-algebra ops: native dispatch options, reduced-precision rounding,
// and the TypeScript GEMM used for element types the native kernels do not cover.
import { roundToBfloat16, roundToFloat16, type Tensor } from '../../tensor.js';
import type { RunOptions } from '../../native.js';
import type { OpContext } from '../types.js';

/** Whether the tensor's data is a Float32Array the native kernels can read (float16/bfloat16 are held decoded). */
export function nativeFloat(t: Tensor): boolean {
  return t.dtype === 'float32' || t.dtype === 'float16' || t.dtype === 'bfloat16';
}

/** Baseline runs the reference kernels single-threaded; eager the selected variant on ctx.threads. */
export function nativeOptions(ctx: OpContext): RunOptions {
  return ctx.mode === 'baseline' ? { variant: 'reference', threads: 1 } : { variant: 'auto', threads: Math.max(1, ctx.threads) };
}

/** Rounds float16/bfloat16 results computed in float32 back to their type. */
export function roundReduced(t: Tensor): void {
  if (t.dtype !== 'float16' && t.dtype !== 'bfloat16') return;
  const d = t.data as Float32Array;
  const round = t.dtype === 'float16' ? roundToFloat16 : roundToBfloat16;
  for (let i = 0; i < d.length; i++) d[i] = round(d[i]);
}

/** Numeric arrays the TS fallbacks work on (everything but bigint and string storage). */
export type NumArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

/**
 * C[i*ldc + j] (+)= sum_k A(i,k) B(k,j), row-major with offsets; A(i,k) = a[aOff + i*K + k] (or
 * transposed), B(k,j) = b[bOff + k*N + j] (or transposed). Accumulates in JS doubles.
 */
export function tsGemm(
  a: ArrayLike<number>,
  aOff: number,
  transA: boolean,
  b: ArrayLike<number>,
  bOff: number,
  transB: boolean,
  c: { [i: number]: number },
  cOff: number,
  M: number,
  N: number,
  K: number,
  alpha = 1,
): void {
  const row = new Float64Array(N);
  for (let i = 0; i < M; i++) {
    row.fill(0);
    for (let k = 0; k < K; k++) {
      const av = transA ? a[aOff + k * M + i] : a[aOff + i * K + k];
      if (av === 0) continue;
      if (transB) {
        for (let j = 0; j < N; j++) row[j] += av * b[bOff + j * K + k];
      } else {
        const base = bOff + k * N;
        for (let j = 0; j < N; j++) row[j] += av * b[base + j];
      }
    }
    for (let j = 0; j < N; j++) c[cOff + i * N + j] = alpha * row[j];
  }
}

/** Same as tsGemm for int64/uint64 storage, in exact BigInt arithmetic (wrapping like C). */
export function bigGemm(
  a: BigInt64Array | BigUint64Array,
  aOff: number,
  transA: boolean,
  b: BigInt64Array | BigUint64Array,
  bOff: number,
  transB: boolean,
  c: BigInt64Array | BigUint64Array,
  cOff: number,
  M: number,
  N: number,
  K: number,
): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0n;
      for (let k = 0; k < K; k++) {
        const av = transA ? a[aOff + k * M + i] : a[aOff + i * K + k];
        const bv = transB ? b[bOff + j * K + k] : b[bOff + k * N + j];
        s += av * bv;
      }
      c[cOff + i * N + j] = s;
    }
  }
}
