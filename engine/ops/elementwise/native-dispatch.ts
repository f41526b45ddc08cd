// Routes float32 elementwise ops to the native AVX2/NEON kernels in eager mode, through calls
// prepared once per node (OpContext.memo). Baseline keeps the TypeScript reference loops; small
// tensors stay in TypeScript too, where a call into the addon costs more than the loop itself.
import { float32ForOverwrite, type DType, type Tensor } from '../../tensor.js';
import type { BinaryOpName, NativeBackend, PreparedBinary, PreparedUnary, UnaryOpName } from '../../native.js';
import type { OpContext } from '../types.js';
import { sameDims, sameRun, type MemoKey } from '../memo.js';
import { broadcastShapes } from '../util.js';
import { broadcastRows, type BroadcastRows } from './common.js';

/** Elements below which the TypeScript loop is as fast as the native call. */
export const NATIVE_MIN_ELEMENTS = 4096;

/**
 * The same for ops whose native kernel gives exactly the TypeScript loop's result (Add, Sub, Mul,
 * Div, Relu, Clip, LeakyRelu: one correctly rounded float operation or a comparison per element).
 * A prepared call costs a few hundred nanoseconds, so these go native from a few hundred elements;
 * the others (exp, tanh, ...) keep the higher threshold, where their outputs have always come from
 * the vector kernels.
 */
export const NATIVE_EXACT_MIN_ELEMENTS = 256;

const EXACT_UNARY: ReadonlySet<UnaryOpName> = new Set(['Relu', 'Clip', 'LeakyRelu']);

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
function eltwiseBackend(ctx: OpContext, size: number, min = NATIVE_MIN_ELEMENTS): NativeBackend | undefined {
  return size < min ? undefined : eagerNative(ctx, 'binary');
}

function threadsOf(ctx: OpContext): number {
  return Math.max(1, ctx.threads);
}

/**
 * What a broadcast binary node keeps between runs: the output shape, the row plan of the
 * broadcast, and the prepared native call when the op runs natively.
 */
export interface BinaryMemo extends MemoKey {
  op: string;
  aDims: readonly number[];
  bDims: readonly number[];
  aType: DType;
  bType: DType;
  dims: number[];
  size: number;
  plan: BroadcastRows;
  call?: PreparedBinary;
}

/**
 * The node's broadcast of a and b, planned once per input shapes and types (after `check`, which
 * throws for inputs the op rejects); with `nativeOp` (float32 data), the native call it runs in
 * eager mode when the output is large enough.
 */
export function binaryMemo(ctx: OpContext, op: string, a: Tensor, b: Tensor, nativeOp?: BinaryOpName, check?: () => void): BinaryMemo {
  const m = ctx.memo as BinaryMemo | undefined;
  if (m && m.op === op && sameRun(m, ctx) && m.aType === a.dtype && m.bType === b.dtype && sameDims(a.dims, m.aDims) && sameDims(b.dims, m.bDims)) return m;
  check?.();
  const dims = broadcastShapes(a.dims, b.dims);
  const size = dims.reduce((p, d) => p * d, 1);
  const plan = broadcastRows([a.dims, b.dims], dims);
  const memo: BinaryMemo = { mode: ctx.mode, threads: ctx.threads, op, aDims: a.dims, bDims: b.dims, aType: a.dtype, bType: b.dtype, dims, size, plan };
  const native = nativeOp && a.dtype === 'float32' && b.dtype === 'float32' ? eltwiseBackend(ctx, size, NATIVE_EXACT_MIN_ELEMENTS) : undefined;
  if (native && typeof native.prepareBinary === 'function') {
    const [startsA, startsB] = plan.starts;
    const [stepA, stepB] = plan.steps;
    memo.call = native.prepareBinary(nativeOp!, { n: plan.n, startsA, stepA, startsB, stepB }, { threads: threadsOf(ctx) });
  }
  ctx.memo = memo;
  return memo;
}

/** Runs the memo's native call into a new float32 tensor and reports it. */
export function runNativeBinary(ctx: OpContext, m: BinaryMemo, a: Tensor, b: Tensor, flopsPerElement = 1): Tensor {
  const call = m.call!;
  const out = float32ForOverwrite(m.dims);
  const ns = call.run(a.data as Float32Array, b.data as Float32Array, out.data as Float32Array);
  ctx.report({ kernel: call.kernel, isa: call.isa, flops: m.size * flopsPerElement, nativeNs: ns });
  return out;
}

/** What a native unary node keeps between runs: its prepared call, for the op and parameters it was made for. */
interface UnaryMemo extends MemoKey {
  op: UnaryOpName;
  alpha: number;
  beta: number;
  call: PreparedUnary;
}

/** op(x) elementwise, or undefined when this call stays in TypeScript. */
export function nativeUnary(ctx: OpContext, op: UnaryOpName, x: Tensor, alpha = 0, beta = 0, flopsPerElement = 1): Tensor | undefined {
  if (x.dtype !== 'float32') return undefined;
  const native = eltwiseBackend(ctx, x.size, EXACT_UNARY.has(op) ? NATIVE_EXACT_MIN_ELEMENTS : NATIVE_MIN_ELEMENTS);
  if (!native || typeof native.prepareUnary !== 'function') return undefined;
  let m = ctx.memo as UnaryMemo | undefined;
  // Object.is: a NaN bound must match itself, and -0 and 0 are different bounds for Clip.
  if (!m || m.op !== op || !sameRun(m, ctx) || !Object.is(m.alpha, alpha) || !Object.is(m.beta, beta)) {
    m = { mode: ctx.mode, threads: ctx.threads, op, alpha, beta, call: native.prepareUnary(op, alpha, beta, { threads: threadsOf(ctx) }) };
    ctx.memo = m;
  }
  const out = float32ForOverwrite(x.dims);
  const ns = m.call.run(x.data as Float32Array, out.data as Float32Array);
  ctx.report({ kernel: m.call.kernel, isa: m.call.isa, flops: x.size * flopsPerElement, nativeNs: ns });
  return out;
}

/** The rows and (scale, shift) pairs of a per-channel affine over [N, C, ...], for nativeScaleShift. */
export interface ScaleShiftPlan {
  plane: number;
  pairs: Float32Array;
  startsA: Int32Array;
  startsB: Int32Array;
  /** The native call over these rows, prepared on first use (for the thread count it was made for). */
  call?: { threads: number; run: PreparedBinary };
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
  const p = plan();
  const threads = threadsOf(ctx);
  if (!p.call || p.call.threads !== threads) {
    p.call = { threads, run: native.prepareBinary('ScaleShift', { n: p.plane, startsA: p.startsA, stepA: 1, startsB: p.startsB, stepB: 0 }, { threads }) };
  }
  const out = float32ForOverwrite(x.dims);
  const call = p.call.run;
  const ns = call.run(x.data as Float32Array, p.pairs, out.data as Float32Array);
  ctx.report({ kernel: call.kernel, isa: call.isa, flops: 2 * x.size, nativeNs: ns });
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
