// The typed wrapper around the native addon `armml` (kernels, CPU detection, timers).
// Arguments are validated here so mistakes surface as clear JS errors naming the parameter; the
// addon re-checks lengths so a bug on this side can never become an out-of-bounds write.
import type { CpuInfo, KernelVariantInfo } from '../common/profile.js';

export type { CpuInfo, KernelVariantInfo };
import fs from 'node:fs';
import path from 'node:path';
import { preparedCalls, type CallAddon, type PreparedCalls } from './native-calls.js';

export type { Conv2dCallParams, GemmCallParams, PreparedBinary, PreparedConv2d, PreparedGemm, PreparedKernel, PreparedUnary } from './native-calls.js';



export interface KernelRun {
  kernel: string;
  isa: string;
  /** Nanoseconds measured inside the addon around the kernel. */
  ns: number;
}

export interface RunOptions {
  /** 'auto' (default), 'reference', or a variant name from variants(). */
  variant?: string;
  threads?: number;
}

/** Activations the GEMM/conv kernels fuse into their epilogue (Activation in native/kernels/kernels.h). */
export const ACTIVATIONS = {
  None: 0,
  Relu: 1,
  Clip: 2,
  Sigmoid: 3,
  SiLU: 4,
  HardSwish: 5,
  Gelu: 6,
  GeluTanh: 7,
  LeakyRelu: 8,
  HardSigmoid: 9,
} as const;
export type ActivationName = keyof typeof ACTIVATIONS;

/**
 * What a GEMM/conv kernel applies to its output tile while it is still in registers, after the
 * bias: `+ residual` (laid out like the output), then the activation. `relu: true` is short for
 * `act: 'Relu'`. actAlpha/actBeta are Clip's bounds, LeakyRelu's slope, HardSigmoid's alpha/beta.
 */
export interface FusedEpilogue {
  relu?: boolean;
  act?: ActivationName;
  actAlpha?: number;
  actBeta?: number;
  residual?: Float32Array;
}

/** The Activation code an epilogue asks for (`act` wins over `relu`). */
function activationCode(p: FusedEpilogue): number {
  if (p.act === undefined) return p.relu ? ACTIVATIONS.Relu : ACTIVATIONS.None;
  if (!(p.act in ACTIVATIONS)) throw new NativeArgumentError(`unknown fused activation '${String(p.act)}'`);
  return ACTIVATIONS[p.act];
}

function epilogueArgs(p: FusedEpilogue, outputLength: number): object {
  const e: Record<string, unknown> = { relu: !!p.relu };
  if (p.act !== undefined) e.act = activationCode(p);
  if (p.actAlpha !== undefined) e.actAlpha = p.actAlpha;
  if (p.actBeta !== undefined) e.actBeta = p.actBeta;
  if (p.residual) {
    checkArray(p.residual, 'residual');
    checkLength(p.residual, 'residual', outputLength);
    e.residual = p.residual;
  }
  return e;
}

/** C = act(alpha * op(A) op(B) + beta * C + bias (per column) + residual); row-major, contiguous. */
export interface GemmParams extends FusedEpilogue {
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  /** 0 (default) means C is write-only. */
  beta?: number;
  bias?: Float32Array;
  relu?: boolean;
  /** Number of matrices; strides are in elements, 0 broadcasts one matrix to all. */
  batch?: number;
  strideA?: number;
  strideB?: number;
  strideC?: number;
}

/** NCHW 2-D convolution; weights [M, C/group, kH, kW]; output [N, M, outH, outW]; fused epilogue after the bias. */
export interface Conv2dParams extends FusedEpilogue {
  N: number;
  C: number;
  H: number;
  W: number;
  M: number;
  kH: number;
  kW: number;
  strideH?: number;
  strideW?: number;
  padT?: number;
  padL?: number;
  padB?: number;
  padR?: number;
  dilH?: number;
  dilW?: number;
  group?: number;
  outH: number;
  outW: number;
}

/** Operator codes of the native binary kernels (BinaryOp in native/kernels/kernels.h). */
export const BINARY_OPS = { Add: 0, Sub: 1, Mul: 2, Div: 3, ScaleShift: 4 } as const;
export type BinaryOpName = keyof typeof BINARY_OPS;

/** Operator codes of the native activation kernels (UnaryOp in native/kernels/kernels.h). */
export const UNARY_OPS = {
  Relu: 0,
  Clip: 1,
  Sigmoid: 2,
  HardSigmoid: 3,
  HardSwish: 4,
  LeakyRelu: 5,
  Exp: 6,
  Tanh: 7,
  Erf: 8,
  /** 0.5 x (1 + erf(x / sqrt 2)) */
  Gelu: 9,
  /** 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
  GeluTanh: 10,
} as const;
export type UnaryOpName = keyof typeof UNARY_OPS;

/**
 * A broadcast binary op as rows: output row r (n elements, written at r*n) reads operand a from
 * startsA[r] advancing by stepA (1, or 0 for a repeated element), b likewise. For ScaleShift
 * (y = fma(a, scale, shift)) b holds one (scale, shift) pair at startsB[r] and stepB is 0.
 */
export interface BinaryRows {
  n: number;
  startsA: Int32Array;
  stepA: number;
  startsB: Int32Array;
  stepB: number;
}

/** Softmax over contiguous rows of `n` values (x.length must be a multiple of n). */
export interface SoftmaxParams {
  n: number;
  /** LogSoftmax: y = x - max - log(sum exp(x - max)). */
  log?: boolean;
}

/**
 * Layer normalization over contiguous rows of `n` values: y = (x - mean) / sqrt(var + epsilon) *
 * gamma + beta, or with `rms` x / sqrt(mean(x^2) + epsilon) * gamma + beta (RMSNorm).
 */
export interface LayerNormParams {
  n: number;
  /** Default 1e-5. */
  epsilon?: number;
  rms?: boolean;
  /** n values each; omitted means 1 and 0. */
  gamma?: Float32Array;
  beta?: Float32Array;
  /** Per-row statistics written when given (one value per row; mean is 0 with `rms`). */
  mean?: Float32Array;
  invStdDev?: Float32Array;
}

/** Tap table of one spatial axis of a pooling (see PoolPlane in native/kernels/kernels.h). */
export interface PoolTaps {
  start: Int32Array;
  lo: Int32Array;
  hi: Int32Array;
  /** Taps inside the input plus its explicit padding: the count_include_pad divisor. */
  padded: Int32Array;
}

export interface Pool2dParams {
  planes: number;
  H: number;
  W: number;
  OH: number;
  OW: number;
  dilH: number;
  dilW: number;
  max: boolean;
  includePad: boolean;
}

export interface PeakOptions {
  /** Threads for the all-threads numbers (default 1). */
  threads?: number;
  /** Wall-clock budget, milliseconds (default 100): ~40% FMA peak, ~60% memory bandwidth. */
  ms?: number;
  /** Bandwidth buffer size in bytes (default 256 MiB, far above any last-level cache); 0 skips bandwidth. */
  bytes?: number;
  /** 'auto' (default) or a peak_f32 variant name. */
  variant?: string;
}

/** Machine roofs measured by the addon (native/src/peak.cc). */
export interface PeakInfo {
  /** fp32 FMA peak of all `threads` together, GFLOP/s. */
  gflops: number;
  gflops_per_thread: number;
  /** Memory read bandwidth of all `threads` together, GB/s (1e9 bytes/s); 0 when not measured. */
  gbps: number;
  threads: number;
  measured_ms: number;
  /** The peak_f32 variant used, and its ISA. */
  kernel: string;
  isa: string;
}

/**
 * The addon's kernels with checked arguments. The prepare* calls (PreparedCalls) fix a call's
 * shape once and run it many times at a fraction of the per-call cost: eager's hot path.
 */
export interface NativeBackend extends PreparedCalls {
  readonly available: boolean;
  cpuInfo(): CpuInfo;
  variants(): KernelVariantInfo[];
  gemm(a: Float32Array, b: Float32Array, c: Float32Array, params: GemmParams, opts?: RunOptions): KernelRun;
  /** Same as gemm, run on a libuv worker thread; the arrays must not be touched until it settles. */
  gemmAsync(a: Float32Array, b: Float32Array, c: Float32Array, params: GemmParams, opts?: RunOptions): Promise<KernelRun>;
  conv2d(x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, params: Conv2dParams, opts?: RunOptions): KernelRun;
  /** y = a op b over broadcast rows (float32). */
  binary(op: BinaryOpName, a: Float32Array, b: Float32Array, y: Float32Array, rows: BinaryRows, opts?: RunOptions): KernelRun;
  /**
   * y = op(x) elementwise (y may be x). alpha/beta: Clip min/max, HardSigmoid alpha/beta,
   * LeakyRelu alpha (ignored by the others).
   */
  unary(op: UnaryOpName, x: Float32Array, y: Float32Array, alpha?: number, beta?: number, opts?: RunOptions): KernelRun;
  /** 2D max or average pooling of `planes` planes along the given tap tables (float32). */
  pool2d(x: Float32Array, y: Float32Array, params: Pool2dParams, tapsH: PoolTaps, tapsW: PoolTaps, opts?: RunOptions): KernelRun;
  /** Softmax (or LogSoftmax) over contiguous rows (float32; y may be x). */
  softmax(x: Float32Array, y: Float32Array, params: SoftmaxParams, opts?: RunOptions): KernelRun;
  /** Layer normalization or RMSNorm over contiguous rows (float32; y may be x). */
  layerNorm(x: Float32Array, y: Float32Array, params: LayerNormParams, opts?: RunOptions): KernelRun;
  /** Measures the fp32 FMA peak and memory read bandwidth (synchronous, about `ms` milliseconds). */
  measurePeak(opts?: PeakOptions): PeakInfo;
}

/** The raw addon surface (see native/src/addon.cc). */
interface Addon extends CallAddon {
  cpuInfo(): CpuInfo;
  variants(): KernelVariantInfo[];
  gemm(a: Float32Array, b: Float32Array, c: Float32Array, bias: Float32Array | null, params: object, opts: object): KernelRun;
  gemmAsync(a: Float32Array, b: Float32Array, c: Float32Array, bias: Float32Array | null, params: object, opts: object): Promise<KernelRun>;
  conv2d(x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, params: object, opts: object): KernelRun;
  binary(
    op: number,
    a: Float32Array,
    b: Float32Array,
    y: Float32Array,
    startsA: Int32Array,
    stepA: number,
    startsB: Int32Array,
    stepB: number,
    n: number,
    opts: object,
  ): KernelRun;
  unary(op: number, x: Float32Array, y: Float32Array, alpha: number, beta: number, opts: object): KernelRun;
  pool2d(x: Float32Array, y: Float32Array, params: object, tapsH: Int32Array[], tapsW: Int32Array[], opts: object): KernelRun;
  softmax(x: Float32Array, y: Float32Array, params: object, opts: object): KernelRun;
  layerNorm(
    x: Float32Array,
    y: Float32Array,
    gamma: Float32Array | null,
    beta: Float32Array | null,
    mean: Float32Array | null,
    rstd: Float32Array | null,
    params: object,
    opts: object,
  ): KernelRun;
  measurePeak(opts: object): PeakInfo;
}

export class NativeArgumentError extends Error {}

function checkCount(value: unknown, what: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 2 ** 31 - 1) {
    throw new NativeArgumentError(`${what} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

function checkArray(value: unknown, what: string): Float32Array {
  if (!(value instanceof Float32Array)) throw new NativeArgumentError(`${what} must be a Float32Array`);
  return value;
}

function checkLength(arr: Float32Array, what: string, need: number): void {
  if (arr.length < need) throw new NativeArgumentError(`${what} has ${arr.length} elements but needs at least ${need}`);
}

function checkOptions(opts: RunOptions | undefined): { variant: string; threads: number } {
  const variant = opts?.variant ?? 'auto';
  if (typeof variant !== 'string' || variant === '') throw new NativeArgumentError('variant must be a non-empty string');
  const threads = checkCount(opts?.threads ?? 1, 'threads', 1);
  if (threads > 256) throw new NativeArgumentError(`threads must be at most 256, got ${threads}`);
  return { variant, threads };
}

function gemmArgs(a: Float32Array, b: Float32Array, c: Float32Array, p: GemmParams): [Float32Array | null, object] {
  checkArray(a, 'a');
  checkArray(b, 'b');
  checkArray(c, 'c');
  const M = checkCount(p.M, 'M');
  const N = checkCount(p.N, 'N');
  const K = checkCount(p.K, 'K');
  const batch = checkCount(p.batch ?? 1, 'batch');
  const strideA = checkCount(p.strideA ?? M * K, 'strideA');
  const strideB = checkCount(p.strideB ?? K * N, 'strideB');
  const strideC = checkCount(p.strideC ?? M * N, 'strideC');
  for (const [k, v] of [
    ['alpha', p.alpha],
    ['beta', p.beta],
  ] as const) {
    if (v !== undefined && typeof v !== 'number') throw new NativeArgumentError(`${k} must be a number`);
  }
  if (batch > 0) {
    const span = (stride: number, size: number) => (size === 0 ? 0 : (batch - 1) * stride + size);
    checkLength(a, 'a', span(strideA, M * K));
    checkLength(b, 'b', span(strideB, K * N));
    checkLength(c, 'c', span(strideC, M * N));
    if (batch > 1 && M * N > 0 && strideC < M * N) throw new NativeArgumentError('strideC must be at least M*N so outputs do not overlap');
  }
  let bias: Float32Array | null = null;
  if (p.bias !== undefined) {
    bias = checkArray(p.bias, 'bias');
    checkLength(bias, 'bias', N);
  }
  const params = {
    M,
    N,
    K,
    transA: !!p.transA,
    transB: !!p.transB,
    alpha: p.alpha ?? 1,
    beta: p.beta ?? 0,
    ...epilogueArgs(p, M * N === 0 ? 0 : (batch - 1) * strideC + M * N),
    batch,
    strideA,
    strideB,
    strideC,
  };
  return [bias, params];
}

function conv2dArgs(x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, p: Conv2dParams): object {
  checkArray(x, 'x');
  checkArray(w, 'w');
  checkArray(y, 'y');
  const q = {
    N: checkCount(p.N, 'N'),
    C: checkCount(p.C, 'C', 1),
    H: checkCount(p.H, 'H'),
    W: checkCount(p.W, 'W'),
    M: checkCount(p.M, 'M', 1),
    kH: checkCount(p.kH, 'kH', 1),
    kW: checkCount(p.kW, 'kW', 1),
    strideH: checkCount(p.strideH ?? 1, 'strideH', 1),
    strideW: checkCount(p.strideW ?? 1, 'strideW', 1),
    padT: checkCount(p.padT ?? 0, 'padT'),
    padL: checkCount(p.padL ?? 0, 'padL'),
    padB: checkCount(p.padB ?? 0, 'padB'),
    padR: checkCount(p.padR ?? 0, 'padR'),
    dilH: checkCount(p.dilH ?? 1, 'dilH', 1),
    dilW: checkCount(p.dilW ?? 1, 'dilW', 1),
    group: checkCount(p.group ?? 1, 'group', 1),
    outH: checkCount(p.outH, 'outH'),
    outW: checkCount(p.outW, 'outW'),
  };
  if (q.C % q.group || q.M % q.group) throw new NativeArgumentError(`group ${q.group} must divide C=${q.C} and M=${q.M}`);
  const outOf = (size: number, k: number, dil: number, stride: number, pads: number) => {
    const span = size + pads - ((k - 1) * dil + 1);
    return span < 0 ? 0 : Math.floor(span / stride) + 1;
  };
  const eh = outOf(q.H, q.kH, q.dilH, q.strideH, q.padT + q.padB);
  const ew = outOf(q.W, q.kW, q.dilW, q.strideW, q.padL + q.padR);
  if (eh !== q.outH || ew !== q.outW) {
    throw new NativeArgumentError(`output ${q.outH}x${q.outW} does not match input, kernel, pads and strides (expected ${eh}x${ew})`);
  }
  checkLength(x, 'x', q.N * q.C * q.H * q.W);
  checkLength(w, 'w', q.M * (q.C / q.group) * q.kH * q.kW);
  checkLength(y, 'y', q.N * q.M * q.outH * q.outW);
  if (bias !== null) checkLength(checkArray(bias, 'bias'), 'bias', q.M);
  return { ...q, ...epilogueArgs(p, q.N * q.M * q.outH * q.outW) };
}

/** Checks x and y for a row kernel and returns the number of rows of n. */
function rowArgs(x: Float32Array, y: Float32Array, n: unknown): number {
  checkArray(x, 'x');
  checkArray(y, 'y');
  const len = checkCount(n, 'n', 1);
  if (x.length % len !== 0) throw new NativeArgumentError(`x has ${x.length} elements, not a whole number of rows of ${len}`);
  checkLength(y, 'y', x.length);
  return x.length / len;
}

function layerNormArgs(x: Float32Array, y: Float32Array, p: LayerNormParams): object {
  const rows = rowArgs(x, y, p.n);
  const epsilon = p.epsilon ?? 1e-5;
  if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon < 0) {
    throw new NativeArgumentError(`epsilon must be a finite number >= 0, got ${String(epsilon)}`);
  }
  for (const [k, arr, need] of [
    ['gamma', p.gamma, p.n],
    ['beta', p.beta, p.n],
    ['mean', p.mean, rows],
    ['invStdDev', p.invStdDev, rows],
  ] as const) {
    if (arr !== undefined) checkLength(checkArray(arr, k), k, need);
  }
  return { n: p.n, epsilon, rms: !!p.rms };
}

function peakArgs(opts: PeakOptions | undefined): Required<PeakOptions> {
  const threads = checkCount(opts?.threads ?? 1, 'threads', 1);
  if (threads > 256) throw new NativeArgumentError(`threads must be at most 256, got ${threads}`);
  const ms = opts?.ms ?? 100;
  if (typeof ms !== 'number' || !(ms >= 1 && ms <= 60_000)) throw new NativeArgumentError(`ms must be a number between 1 and 60000, got ${String(ms)}`);
  const bytes = opts?.bytes ?? 256 * 2 ** 20;
  if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 0 || bytes > 2 ** 34) {
    throw new NativeArgumentError(`bytes must be an integer between 0 and 2^34, got ${String(bytes)}`);
  }
  const variant = opts?.variant ?? 'auto';
  if (typeof variant !== 'string' || variant === '') throw new NativeArgumentError('variant must be a non-empty string');
  return { threads, ms, bytes, variant };
}

/** Where the package (binding.gyp, build/, prebuilds/) lives, from this file's location. */
function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'binding.gyp')) || fs.existsSync(path.join(dir, 'prebuilds'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(__dirname, '..');
    dir = up;
  }
}

function opCode<T extends Record<string, number>>(table: T, kind: string): (op: keyof T) => number {
  return (op) => {
    const code = table[op];
    if (code === undefined) throw new NativeArgumentError(`unknown ${kind} op '${String(op)}'`);
    return code;
  };
}

function wrap(addon: Addon): NativeBackend {
  return {
    ...preparedCalls(addon, {
      error: (message) => new NativeArgumentError(message),
      count: checkCount,
      options: checkOptions,
      activation: activationCode,
      binaryOp: opCode(BINARY_OPS, 'binary'),
      unaryOp: opCode(UNARY_OPS, 'unary'),
    }),
    available: true,
    cpuInfo: () => addon.cpuInfo(),
    variants: () => addon.variants(),
    gemm(a, b, c, params, opts) {
      const [bias, p] = gemmArgs(a, b, c, params);
      return addon.gemm(a, b, c, bias, p, checkOptions(opts));
    },
    gemmAsync(a, b, c, params, opts) {
      try {
        const [bias, p] = gemmArgs(a, b, c, params);
        return addon.gemmAsync(a, b, c, bias, p, checkOptions(opts));
      } catch (e) {
        return Promise.reject(e);
      }
    },
    conv2d(x, w, bias, y, params, opts) {
      const p = conv2dArgs(x, w, bias, y, params);
      return addon.conv2d(x, w, bias, y, p, checkOptions(opts));
    },
    binary(op, a, b, y, rows, opts) {
      const code = BINARY_OPS[op];
      if (code === undefined) throw new NativeArgumentError(`unknown binary op '${String(op)}'`);
      checkArray(a, 'a');
      checkArray(b, 'b');
      checkArray(y, 'y');
      const n = checkCount(rows.n, 'n');
      if (!(rows.startsA instanceof Int32Array) || !(rows.startsB instanceof Int32Array) || rows.startsA.length !== rows.startsB.length) {
        throw new NativeArgumentError('startsA and startsB must be Int32Arrays with one entry per row');
      }
      for (const [k, v] of [
        ['stepA', rows.stepA],
        ['stepB', rows.stepB],
      ] as const) {
        if (v !== 0 && v !== 1) throw new NativeArgumentError(`${k} must be 0 or 1, got ${String(v)}`);
      }
      checkLength(y, 'y', n * rows.startsA.length);
      return addon.binary(code, a, b, y, rows.startsA, rows.stepA, rows.startsB, rows.stepB, n, checkOptions(opts));
    },
    unary(op, x, y, alpha = 0, beta = 0, opts) {
      const code = UNARY_OPS[op];
      if (code === undefined) throw new NativeArgumentError(`unknown unary op '${String(op)}'`);
      checkArray(x, 'x');
      checkArray(y, 'y');
      checkLength(y, 'y', x.length);
      if (typeof alpha !== 'number' || typeof beta !== 'number') throw new NativeArgumentError('alpha and beta must be numbers');
      return addon.unary(code, x, y, alpha, beta, checkOptions(opts));
    },
    pool2d(x, y, params, tapsH, tapsW, opts) {
      checkArray(x, 'x');
      checkArray(y, 'y');
      const table = (t: PoolTaps) => [t.start, t.lo, t.hi, t.padded];
      return addon.pool2d(x, y, params, table(tapsH), table(tapsW), checkOptions(opts));
    },
    softmax(x, y, params, opts) {
      rowArgs(x, y, params.n);
      return addon.softmax(x, y, { n: params.n, log: !!params.log }, checkOptions(opts));
    },
    layerNorm(x, y, params, opts) {
      const p = layerNormArgs(x, y, params);
      const opt = (a: Float32Array | undefined) => a ?? null;
      return addon.layerNorm(x, y, opt(params.gamma), opt(params.beta), opt(params.mean), opt(params.invStdDev), p, checkOptions(opts));
    },
    measurePeak: (opts) => addon.measurePeak(peakArgs(opts)),
  };
}

let cached: NativeBackend | undefined;

/** The native backend (loaded once). Throws with build instructions when the addon is missing. */
export function loadNative(): NativeBackend {
  if (cached) return cached;
  const root = process.env.ARMML_NATIVE_DIR ?? packageRoot();
  let addon: Addon;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;
    addon = nodeGypBuild(root) as Addon;
  } catch (e) {
    throw new Error(
      `the native addon 'armml' could not be loaded from ${root} (${(e as Error).message.split('\n')[0]}). ` +
        'Run `npm install` in the project to build it, or rebuild with `npm run build:native` ' +
        '(needs Python 3 and a C++17 compiler; set npm_config_nodedir=/usr to use installed Node headers offline).',
    );
  }
  cached = wrap(addon);
  return cached;
}
