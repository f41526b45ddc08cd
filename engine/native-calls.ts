// Prepared kernel calls: a GEMM, conv, binary or unary call whose shape, epilogue, variant and
// thread count are checked once and kept by the addon behind a handle, then run many times on
// different arrays. Eager keeps one per node between runs of a plan; a run is one addon call with
// positional arguments that returns the kernel's nanoseconds (the addon still checks every
// array's type and length: see native/src/napi_calls.cc).
import type { BinaryOpName, Conv2dParams, FusedEpilogue, GemmParams, RunOptions, UnaryOpName } from './native.js';

/** What a prepared call runs, known before it runs. */
export interface PreparedKernel {
  readonly kernel: string;
  readonly isa: string;
}

export interface PreparedConv2d extends PreparedKernel {
  /** y = act(conv(x, w) + bias + residual); returns the kernel's nanoseconds. */
  run(x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, residual?: Float32Array | null): number;
}

export interface PreparedGemm extends PreparedKernel {
  /** C = act(alpha * op(A) op(B) + beta * C + bias + residual); returns the kernel's nanoseconds. */
  run(a: Float32Array, b: Float32Array, c: Float32Array, bias?: Float32Array | null, residual?: Float32Array | null): number;
}

export interface PreparedBinary extends PreparedKernel {
  /** y = a op b over the prepared rows; returns the kernel's nanoseconds. */
  run(a: Float32Array, b: Float32Array, y: Float32Array): number;
}

export interface PreparedUnary extends PreparedKernel {
  /** y = op(x) (y may be x); returns the kernel's nanoseconds. */
  run(x: Float32Array, y: Float32Array): number;
}

/** Conv2d parameters a prepared call fixes: everything but the arrays. */
export type Conv2dCallParams = Omit<Conv2dParams, 'residual'>;
/** GEMM parameters a prepared call fixes: everything but the arrays (bias and residual are passed per run). */
export type GemmCallParams = Omit<GemmParams, 'bias' | 'residual'> & {
  /**
   * B is the same array, never written, on every run (a graph's weight): the call packs it into
   * the micro-kernel's panels once and reuses them (a run with another B array packs that one).
   */
  constantB?: boolean;
  /**
   * Quantize B (a constant weight) once to this format and A per row at every run, then run a
   * matmul_qai8dxp_<format> kernel: the int8 (qsi8cx: int8 per output channel) and int4 (qsi4c32:
   * 4-bit per group of 32 depths) modes. One matrix, A not transposed, alpha 1, beta 0.
   */
  quant?: QuantFormatName;
};

/** Weight formats of the quantized GEMM (native/src/qgemm.h). */
export const QUANT_FORMATS = ['qsi8cx', 'qsi4c32'] as const;
export type QuantFormatName = (typeof QUANT_FORMATS)[number];

/** One run of a prepared call seen while recording (what a program's kernel step replays). */
export interface RecordedCall {
  /** The addon's call object (it must outlive every program that runs it). */
  call: AddonCall;
  /** The arrays of the run, in the addon's operand order (null where omitted). */
  arrays: (Float32Array | null)[];
}

/**
 * Graph mode's compiled steps run in one addon call: kernel steps (prepared calls on table
 * entries) and callbacks into JS for the rest. See native/src/napi_calls.cc (programCreate).
 */
export interface NativeProgram {
  /** Runs every step; returns the nanoseconds the kernel steps took (times: start/end of each step, ns from the run's start). */
  run(inputs: Float32Array[], callback: (step: number) => (Float32Array | null)[] | undefined, times: Float64Array | null): number;
}

export interface PreparedCalls {
  /**
   * Collects every prepared-call run into `into` until called again with undefined (a program is
   * made from what one run of a plan called).
   */
  recordCalls(into: RecordedCall[] | undefined): void;
  /** A program over a table of arrays (`fixed`: set now, null: set by runs); spec as programCreate takes it. */
  createProgram(spec: Float64Array, fixed: (Float32Array | null)[], calls: readonly AddonCall[]): NativeProgram;
  prepareConv2d(params: Conv2dCallParams, opts?: RunOptions): PreparedConv2d;
  prepareGemm(params: GemmCallParams, opts?: RunOptions): PreparedGemm;
  prepareBinary(
    op: BinaryOpName,
    rows: { n: number; startsA: Int32Array; stepA: number; startsB: Int32Array; stepB: number },
    opts?: RunOptions,
  ): PreparedBinary;
  prepareUnary(op: UnaryOpName, alpha?: number, beta?: number, opts?: RunOptions): PreparedUnary;
  /**
   * A model run on `threads` threads begins: the pool's workers are woken and spin between its
   * ops instead of falling asleep after each one (the futex wake-up costs tens of microseconds on
   * a VM, more than many ops). Pair every call with releasePool(), also when the run fails.
   */
  holdPool(threads: number): void;
  releasePool(): void;
}

/**
 * A call the addon prepared: a handle to pass back on every run, and what it runs. The addon frees
 * the call when this object is collected, so a run must hold the object, not only the handle.
 */
export interface AddonCall {
  handle: number;
  kernel: string;
  isa: string;
}

/** The addon's prepared-call surface (native/src/napi_calls.cc). */
export interface CallAddon {
  conv2dPrepare(params: Float64Array, variant: string): AddonCall;
  conv2dRun(
    handle: number,
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | null,
    y: Float32Array,
    residual: Float32Array | null,
  ): number;
  gemmPrepare(params: Float64Array, variant: string, constantB?: boolean, quant?: string | null): AddonCall;
  gemmRun(
    handle: number,
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    bias: Float32Array | null,
    residual: Float32Array | null,
  ): number;
  binaryPrepare(
    op: number,
    startsA: Int32Array,
    stepA: number,
    startsB: Int32Array,
    stepB: number,
    n: number,
    threads: number,
    variant: string,
  ): AddonCall;
  binaryRun(handle: number, a: Float32Array, b: Float32Array, y: Float32Array): number;
  unaryPrepare(op: number, alpha: number, beta: number, threads: number, variant: string): AddonCall;
  unaryRun(handle: number, x: Float32Array, y: Float32Array): number;
  poolHold(threads: number): void;
  poolRelease(): void;
  programCreate(spec: Float64Array, fixed: (Float32Array | null)[]): AddonCall;
  programRun(
    handle: number,
    inputs: Float32Array[],
    callback: (step: number) => (Float32Array | null)[] | undefined,
    times: Float64Array | null,
  ): number;
}

/** The argument checks of engine/native.ts, shared so both call styles reject the same mistakes alike. */
export interface CallChecks {
  error(message: string): Error;
  count(value: unknown, what: string, min?: number): number;
  options(opts: RunOptions | undefined): { variant: string; threads: number };
  /** The Activation code of an epilogue (see ACTIVATIONS). */
  activation(p: FusedEpilogue): number;
  binaryOp(op: BinaryOpName): number;
  unaryOp(op: UnaryOpName): number;
}

const CONV_FIELDS = [
  'N',
  'C',
  'H',
  'W',
  'M',
  'kH',
  'kW',
  'strideH',
  'strideW',
  'padT',
  'padL',
  'padB',
  'padR',
  'dilH',
  'dilW',
  'group',
  'outH',
  'outW',
] as const;
const CONV_DEFAULTS: Partial<Record<(typeof CONV_FIELDS)[number], number>> = {
  strideH: 1,
  strideW: 1,
  padT: 0,
  padL: 0,
  padB: 0,
  padR: 0,
  dilH: 1,
  dilW: 1,
  group: 1,
};
const CONV_MIN: Partial<Record<(typeof CONV_FIELDS)[number], number>> = {
  C: 1,
  M: 1,
  kH: 1,
  kW: 1,
  strideH: 1,
  strideW: 1,
  dilH: 1,
  dilW: 1,
  group: 1,
};

export function preparedCalls(addon: CallAddon, check: CallChecks): PreparedCalls {
  // The addon takes any view's memory as floats (napi_get_buffer_info is the cheap way in), so
  // the element type is checked here.
  const f32 = (v: unknown, what: string): void => {
    if (!(v instanceof Float32Array)) throw check.error(`${what} must be a Float32Array`);
  };
  const f32OrNull = (v: unknown, what: string): void => {
    if (v != null && !(v instanceof Float32Array)) throw check.error(`${what} must be a Float32Array`);
  };
  const act = (p: FusedEpilogue): [number, number, number] => [check.activation(p), p.actAlpha ?? 0, p.actBeta ?? 0];
  let recording: RecordedCall[] | undefined;

  return {
    recordCalls(into) {
      recording = into;
    },
    createProgram(spec, fixed, calls) {
      if (!(spec instanceof Float64Array)) throw check.error('spec must be a Float64Array');
      fixed.forEach((a, i) => f32OrNull(a, `fixed[${i}]`));
      const program = addon.programCreate(spec, fixed);
      // The program's steps hold the calls' handles: keep the calls (and the arrays) alive with it.
      const held = { calls: [...calls], fixed: [...fixed] };
      return {
        run: (inputs, callback, times) => {
          void held;
          inputs.forEach((a, i) => f32(a, `inputs[${i}]`));
          return addon.programRun(program.handle, inputs, callback, times);
        },
      };
    },
    holdPool(threads) {
      addon.poolHold(check.count(threads, 'threads', 1));
    },
    releasePool() {
      addon.poolRelease();
    },
    prepareConv2d(p, opts) {
      const { variant, threads } = check.options(opts);
      const params = new Float64Array(CONV_FIELDS.length + 4);
      CONV_FIELDS.forEach((k, i) => {
        params[i] = check.count(p[k] ?? CONV_DEFAULTS[k], k, CONV_MIN[k] ?? 0);
      });
      params.set([...act(p), threads], CONV_FIELDS.length);
      const call = addon.conv2dPrepare(params, variant);
      return {
        kernel: call.kernel,
        isa: call.isa,
        run: (x, w, bias, y, residual) => {
          f32(x, 'x');
          f32(w, 'w');
          f32OrNull(bias, 'bias');
          f32(y, 'y');
          f32OrNull(residual, 'residual');
          if (recording) recording.push({ call, arrays: [x, w, bias, y, residual ?? null] });
          return addon.conv2dRun(call.handle, x, w, bias, y, residual ?? null);
        },
      };
    },
    prepareGemm(p, opts) {
      const { variant, threads } = check.options(opts);
      const M = check.count(p.M, 'M');
      const N = check.count(p.N, 'N');
      const K = check.count(p.K, 'K');
      for (const [k, v] of [
        ['alpha', p.alpha],
        ['beta', p.beta],
      ] as const) {
        if (v !== undefined && typeof v !== 'number') throw check.error(`${k} must be a number`);
      }
      const params = Float64Array.from([
        M,
        N,
        K,
        p.transA ? 1 : 0,
        p.transB ? 1 : 0,
        p.alpha ?? 1,
        p.beta ?? 0,
        check.count(p.batch ?? 1, 'batch'),
        check.count(p.strideA ?? M * K, 'strideA'),
        check.count(p.strideB ?? K * N, 'strideB'),
        check.count(p.strideC ?? M * N, 'strideC'),
        ...act(p),
        threads,
      ]);
      if (p.quant !== undefined && !(QUANT_FORMATS as readonly string[]).includes(p.quant)) {
        throw check.error(`quant must be one of ${QUANT_FORMATS.join(', ')}, got ${String(p.quant)}`);
      }
      const call = addon.gemmPrepare(params, variant, !!p.constantB, p.quant ?? null);
      return {
        kernel: call.kernel,
        isa: call.isa,
        run: (a, b, c, bias, residual) => {
          f32(a, 'a');
          f32(b, 'b');
          f32(c, 'c');
          f32OrNull(bias, 'bias');
          f32OrNull(residual, 'residual');
          if (recording) recording.push({ call, arrays: [a, b, c, bias ?? null, residual ?? null] });
          return addon.gemmRun(call.handle, a, b, c, bias ?? null, residual ?? null);
        },
      };
    },
    prepareBinary(op, rows, opts) {
      const code = check.binaryOp(op);
      const { variant, threads } = check.options(opts);
      const n = check.count(rows.n, 'n');
      if (!(rows.startsA instanceof Int32Array) || !(rows.startsB instanceof Int32Array) || rows.startsA.length !== rows.startsB.length) {
        throw check.error('startsA and startsB must be Int32Arrays with one entry per row');
      }
      for (const [k, s] of [
        ['stepA', rows.stepA],
        ['stepB', rows.stepB],
      ] as const) {
        if (s !== 0 && s !== 1) throw check.error(`${k} must be 0 or 1, got ${String(s)}`);
      }
      const call = addon.binaryPrepare(code, rows.startsA, rows.stepA, rows.startsB, rows.stepB, n, threads, variant);
      return {
        kernel: call.kernel,
        isa: call.isa,
        run: (a, b, y) => {
          f32(a, 'a');
          f32(b, 'b');
          f32(y, 'y');
          if (recording) recording.push({ call, arrays: [a, b, y] });
          return addon.binaryRun(call.handle, a, b, y);
        },
      };
    },
    prepareUnary(op, alpha = 0, beta = 0, opts) {
      const code = check.unaryOp(op);
      if (typeof alpha !== 'number' || typeof beta !== 'number') throw check.error('alpha and beta must be numbers');
      const { variant, threads } = check.options(opts);
      const call = addon.unaryPrepare(code, alpha, beta, threads, variant);
      return {
        kernel: call.kernel,
        isa: call.isa,
        run: (x, y) => {
          f32(x, 'x');
          f32(y, 'y');
          if (recording) recording.push({ call, arrays: [x, y] });
          return addon.unaryRun(call.handle, x, y);
        },
      };
    },
  };
}
