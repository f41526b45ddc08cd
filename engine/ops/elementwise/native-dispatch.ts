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
  ctx.report({ kernel: call.kernel, isa: call.isa, flops: m.size * flopsPerElement, nativeNs: ns, replay: true });
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
  ctx.report({ kernel: m.call.kernel, isa: m.call.isa, flops: x.size * flopsPerElement, nativeNs: ns, replay: true });
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
 * Softmax (or, with `log`, LogSoftmax) along contiguous rows of `len` on the native row kernel
 * (softmax_f32: max, exp-sum, scale). Undefined when this call stays in TypeScript.
 */
export function nativeSoftmaxRows(ctx: OpContext, x: Tensor, len: number, log = false): Tensor | undefined {
  if (x.dtype !== 'float32' || len < 1 || x.size < NATIVE_MIN_ELEMENTS) return undefined;
  const native = eagerNative(ctx, 'softmax');
  if (!native) return undefined;
  const out = float32ForOverwrite(x.dims);
  const run = native.softmax(x.data as Float32Array, out.data as Float32Array, { n: len, log }, { threads: threadsOf(ctx) });
  ctx.report({ kernel: run.kernel, isa: run.isa, flops: 5 * x.size, nativeNs: run.ns });
  return out;
}

/** Layer or RMS normalization results: y shaped like x, and one mean / inverse std per row. */
export interface NativeNorm {
  y: Tensor;
  mean: Float32Array;
  invStdDev: Float32Array;
}

/**
 * Normalizes contiguous rows of `cols` values of float32 `xd` (shaped `dims`) on the native row
 * kernel (layernorm_f32): (x - mean) / sqrt(var + eps), or x / sqrt(mean(x^2) + eps) with `rms`,
 * times scale plus bias (dense, `cols` values each, or absent). Undefined when this call stays in
 * TypeScript; the caller reports `flops` per element.
 */
export function nativeLayerNorm(
  ctx: OpContext,
  xd: Float32Array,
  dims: readonly number[],
  cols: number,
  p: { rms: boolean; epsilon: number; scale?: Float32Array; bias?: Float32Array; flops: number },
): NativeNorm | undefined {
  if (cols < 1 || xd.length < NATIVE_MIN_ELEMENTS || xd.length % cols !== 0) return undefined;
  if ((p.scale && p.scale.length !== cols) || (p.bias && p.bias.length !== cols)) return undefined;
  // The kernel takes epsilon as float32, as the attribute is stored.
  if (!Number.isFinite(p.epsilon) || p.epsilon < 0) return undefined;
  const native = eagerNative(ctx, 'layerNorm');
  if (!native) return undefined;
  const rows = xd.length / cols;
  const y = float32ForOverwrite(dims);
  const mean = new Float32Array(rows);
  const invStdDev = new Float32Array(rows);
  const run = native.layerNorm(
    xd,
    y.data as Float32Array,
    { n: cols, epsilon: p.epsilon, rms: p.rms, gamma: p.scale, beta: p.bias, mean, invStdDev },
    { threads: threadsOf(ctx) },
  );
  ctx.report({ kernel: run.kernel, isa: run.isa, flops: p.flops * xd.length, nativeNs: run.ns });
  return { y, mean, invStdDev };
}

/**
 * op(x + bias) with bias broadcast over the last dim (one native Add pass, then the activation in
 * place), or op(x) without a bias; undefined when this call stays in TypeScript. The profile names
 * the activation kernel, with both passes' time.
 */
export function nativeBiasUnary(ctx: OpContext, op: UnaryOpName, x: Tensor, bias: Tensor | undefined, flopsPerElement: number): Tensor | undefined {
  if (!bias) return nativeUnary(ctx, op, x, 0, 0, flopsPerElement);
  if (x.dtype !== 'float32' || bias.dtype !== 'float32' || x.rank < 1) return undefined;
  const cols = x.dims[x.rank - 1];
  if (bias.size !== cols || cols === 0) return undefined;
  const native = eltwiseBackend(ctx, x.size);
  if (!native || typeof native.unary !== 'function') return undefined;
  const rows = x.size / cols;
  const out = float32ForOverwrite(x.dims);
  const y = out.data as Float32Array;
  const opts = { threads: threadsOf(ctx) };
  const startsA = Int32Array.from({ length: rows }, (_, r) => r * cols);
  const add = native.binary('Add', x.data as Float32Array, bias.data as Float32Array, y, { n: cols, startsA, stepA: 1, startsB: new Int32Array(rows), stepB: 1 }, opts);
  const run = native.unary(op, y, y, 0, 0, opts);
  ctx.report({ kernel: run.kernel, isa: run.isa, flops: x.size * (flopsPerElement + 1), nativeNs: add.ns + run.ns });
  return out;
}
