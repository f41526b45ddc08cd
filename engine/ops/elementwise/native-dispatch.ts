// Routes large float32 elementwise ops to the native AVX2/NEON kernels in eager mode. Baseline
// keeps the TypeScript reference loops; small tensors stay in TypeScript too, where a call into
// the addon (argument checks, result object) costs more than the loop itself.
import { float32ForOverwrite, type Tensor } from '../../tensor.js';
import type { BinaryOpName, NativeBackend, UnaryOpName } from '../../native.js';
import type { OpContext } from '../types.js';
import { broadcastRows } from './common.js';

/** Elements below which the TypeScript loop is as fast as the native call. */
export const NATIVE_MIN_ELEMENTS = 4096;

/**
 * The native backend in eager mode when it offers `entry`, else undefined. Test harnesses may hand
 * ops a stub backend (or one that throws on access); those simply keep the TypeScript path.
 */
export function eagerNative(ctx: OpContext, entry: keyof NativeBackend): NativeBackend | undefined {
  if (ctx.mode !== 'eager') return undefined;
  try {
    const native = ctx.native;
    return native.available && typeof native[entry] === 'function' ? native : undefined;
  } catch {
    return undefined;
  }
}

/** The same for elementwise calls, which stay in TypeScript below NATIVE_MIN_ELEMENTS. */
function eltwiseBackend(ctx: OpContext, size: number): NativeBackend | undefined {
  return size < NATIVE_MIN_ELEMENTS ? undefined : eagerNative(ctx, 'binary');
}

function threadsOf(ctx: OpContext): number {
  return Math.max(1, ctx.threads);
}

/** a op b with numpy broadcasting, or undefined when this call stays in TypeScript. */
export function nativeBinary(
  ctx: OpContext,
  op: BinaryOpName,
  a: Tensor,
  b: Tensor,
  dims: readonly number[],
  flopsPerElement = 1,
): Tensor | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const size = dims.reduce((p, d) => p * d, 1);
  const native = eltwiseBackend(ctx, size);
  if (!native) return undefined;
  const plan = broadcastRows([a.dims, b.dims], dims);
  const out = float32ForOverwrite(dims);
  const [startsA, startsB] = plan.starts;
  const [stepA, stepB] = plan.steps;
  const run = native.binary(
    op,
    a.data as Float32Array,
    b.data as Float32Array,
    out.data as Float32Array,
    { n: plan.n, startsA, stepA, startsB, stepB },
    {
      threads: threadsOf(ctx),
    },
  );
  ctx.report({ kernel: run.kernel, isa: run.isa, flops: size * flopsPerElement, nativeNs: run.ns });
  return out;
}

/** op(x) elementwise, or undefined when this call stays in TypeScript. */
export function nativeUnary(ctx: OpContext, op: UnaryOpName, x: Tensor, alpha = 0, beta = 0, flopsPerElement = 1): Tensor | undefined {
  if (x.dtype !== 'float32') return undefined;
  const native = eltwiseBackend(ctx, x.size);
  if (!native) return undefined;
  const out = float32ForOverwrite(x.dims);
  const run = native.unary(op, x.data as Float32Array, out.data as Float32Array, alpha, beta, { threads: threadsOf(ctx) });
  ctx.report({ kernel: run.kernel, isa: run.isa, flops: x.size * flopsPerElement, nativeNs: run.ns });
  return out;
}

/** The rows and (scale, shift) pairs of a per-channel affine over [N, C, ...], for nativeScaleShift. */
export interface ScaleShiftPlan {
  plane: number;
  pairs: Float32Array;
  startsA: Int32Array;
  startsB: Int32Array;
}

export function scaleShiftPlan(dims: readonly number[], scale: ArrayLike<number>, shift: ArrayLike<number>): ScaleShiftPlan {
  const [N, C] = dims;
  const plane = dims.slice(2).reduce((p, d) => p * d, 1);
  const pairs = new Float32Array(2 * C);
  for (let c = 0; c < C; c++) {
    pairs[2 * c] = scale[c];
    pairs[2 * c + 1] = shift[c];
  }
  const startsA = new Int32Array(N * C);
  const startsB = new Int32Array(N * C);
  for (let r = 0; r < N * C; r++) {
    startsA[r] = r * plane;
    startsB[r] = 2 * (r % C);
  }
  return { plane, pairs, startsA, startsB };
}

/**
 * y = x * scale[c] + shift[c] per channel (axis 1) in one native pass, for an inference
 * BatchNormalization; undefined when this call stays in TypeScript.
 */
export function nativeScaleShift(ctx: OpContext, x: Tensor, plan: () => ScaleShiftPlan): Tensor | undefined {
  if (x.dtype !== 'float32' || x.rank < 2) return undefined;
  const native = eltwiseBackend(ctx, x.size);
  if (!native) return undefined;
  const { plane, pairs, startsA, startsB } = plan();
  const out = float32ForOverwrite(x.dims);
  const run = native.binary('ScaleShift', x.data as Float32Array, pairs, out.data as Float32Array, { n: plane, startsA, stepA: 1, startsB, stepB: 0 }, { threads: threadsOf(ctx) });
  ctx.report({ kernel: run.kernel, isa: run.isa, flops: 2 * x.size, nativeNs: run.ns });
  return out;
}

/**
 * Softmax along contiguous rows of `len` in three native passes around two cheap scans: y = x - max
 * per row (binary Sub), y = exp(y) in place (the vector exp), y *= 1/sum per row (binary Mul).
 * Undefined when this call stays in TypeScript.
 */
export function nativeSoftmaxRows(ctx: OpContext, x: Tensor, len: number): Tensor | undefined {
  if (x.dtype !== 'float32' || len < 2) return undefined;
  const native = eltwiseBackend(ctx, x.size);
  if (!native) return undefined;
  const src = x.data as Float32Array;
  const rows = x.size / len;
  const perRow = new Float32Array(rows);
  const starts = new Int32Array(rows);
  const index = new Int32Array(rows);
  for (let r = 0, base = 0; r < rows; r++, base += len) {
    let max = -Infinity;
    for (let a = base; a < base + len; a++) if (src[a] > max) max = src[a];
    perRow[r] = max;
    starts[r] = base;
    index[r] = r;
  }
  const out = float32ForOverwrite(x.dims);
  const y = out.data as Float32Array;
  const opts = { threads: threadsOf(ctx) };
  let ns = native.binary('Sub', src, perRow, y, { n: len, startsA: starts, stepA: 1, startsB: index, stepB: 0 }, opts).ns;
  const exp = native.unary('Exp', y, y, 0, 0, opts);
  ns += exp.ns;
  for (let r = 0, base = 0; r < rows; r++, base += len) {
    let sum = 0;
    for (let a = base; a < base + len; a++) sum += y[a];
    perRow[r] = 1 / sum;
  }
  ns += native.binary('Mul', y, perRow, y, { n: len, startsA: starts, stepA: 1, startsB: index, stepB: 0 }, opts).ns;
  ctx.report({ kernel: exp.kernel, isa: exp.isa, flops: 5 * x.size, nativeNs: ns });
  return out;
}
