// One-input math ops (Sqrt, Exp, trig, rounding, sign, Erf ...) and Clip.
import { Tensor, allocate } from '../../tensor.js';
import { OpError, optionalTensor, tensorInput, type OpContext, type OpEntry, type Value } from '../types.js';
import type { UnaryOpName } from '../../native.js';
import { nativeUnary } from './native-dispatch.js';
import { isBig, reportTs, requireSameType, requireTypes, type BigArray, type NumArray, type TypeClass } from './common.js';
import { roundNarrow } from '../util.js';

/** Maps x into y (same length); each op writes its own loop so the math inlines. */
export type UnaryKernel = (x: NumArray, y: NumArray) => void;

/** Maclaurin coefficients of erf in powers of x^2: 2/sqrt(pi) * (-1)^n / (n! (2n+1)). */
const ERF_SERIES = Array.from({ length: 11 }, (_, n) => {
  let factorial = 1;
  for (let i = 2; i <= n; i++) factorial *= i;
  return ((n % 2 ? -1 : 1) * 1.1283791670955126) / (factorial * (2 * n + 1));
});
const [E0, E1, E2, E3, E4, E5, E6, E7, E8, E9, E10] = ERF_SERIES;

/**
 * erf(x): the Maclaurin series near 0 (where 1 - erfc would lose relative precision; 11 terms
 * reach double precision for |x| < 0.5) and the Chebyshev-fitted erfc of Numerical Recipes
 * (fractional error < 1.2e-7) elsewhere, well below float32 resolution.
 */
export function erf(x: number): number {
  const z = Math.abs(x);
  if (z < 0.5) {
    const s = x * x;
    return x * (E0 + s * (E1 + s * (E2 + s * (E3 + s * (E4 + s * (E5 + s * (E6 + s * (E7 + s * (E8 + s * (E9 + s * E10))))))))));
  }
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfc = t * Math.exp(-z * z + poly);
  return x < 0 ? erfc - 1 : 1 - erfc;
}

/** Round half to even, as ONNX Round (and numpy) require. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

interface UnaryOp {
  op: string;
  since: number;
  /** The native kernel for large float32 inputs in eager mode. */
  native?: UnaryOpName;
  types: TypeClass[];
  kernel: UnaryKernel;
  big?: (x: bigint) => bigint;
  flops?: number;
}

const FLOAT: TypeClass[] = ['float'];
const NUMERIC: TypeClass[] = ['float', 'int', 'uint'];

const UNARY: UnaryOp[] = [
  {
    op: 'Sqrt',
    since: 1,
    types: FLOAT,
    kernel: (x, y) => {
      for (let i = 0; i < x.length; i++) y[i] = Math.sqrt(x[i]);
    },
  },
  {
    op: 'Exp',
    since: 1,
    types: FLOAT,
    native: 'Exp',
    kernel: (x, y) => {
      for (let i = 0; i < x.length; i++) y[i] = Math.exp(x[i]);
    },
  },
  {
    op: 'Log',
    since: 1,
    types: FLOAT,
    kernel: (x, y) => {
      for (let i = 0; i < x.length; i++) y[i] = Math.log(x[i]);
    },
  },
  {
    op: 'Reciprocal',
    since: 1,
    types: FLOAT,
    kernel: (x, y) => {
      for (let i = 0; i < x.length; i++) y[i] = 1 / x[i];
    },
  },
  {
    op: 'Neg',
    since: 1,
    types: ['float', 'int'],
    kernel: (x, y) => {
      for (let i = 0; i < x.length; i++) y[i] = -x[i];
    },
    big: (v) => -v,
  },
  {
    op: 'Abs',
    since: 1,
    types: NUMERIC,
    kernel: (x, y) => {
      for (let i = 0; i < x.length; i++) y[i] = Math.abs(x[i]);
    },
    big: (v) => (v < 0n ? -v : v),
  },
  {
    op: 'Sign',
    since: 9,
    types: NUMERIC,
    kernel: (x, y) => {
      for (let i = 0; i < x.length; i++) y[i] = Math.sign(x[i]);
    },
    big: (v) => (v > 0n ? 1n : v < 0n ? -1n : 0n),
  },
  {
    op: 'Floor',
    since: 1,
    types: FLOAT,
    kernel: (x, y) => {
      for (let i = 0; i < x.length; i++) y[i] = Math.floor(x[i]);
    },
  },
  {
    op: 'Ceil',
    since: 1,
    types: FLOAT,
    kernel: (x, y) => {
      for (let i = 0; i < x.length; i++) y[i] = Math.ceil(x[i]);
    },
  },
  {
    op: 'Round',
    since: 11,
    types: FLOAT,
    kernel: (x, y) => {
      for (let i = 0; i < x.length; i++) y[i] = roundHalfEven(x[i]);
    },
  },
  {
    op: 'Sin',
    since: 7,
    types: FLOAT,
    kernel: (x, y) => {
      for (let i = 0; i < x.length; i++) y[i] = Math.sin(x[i]);
    },
  },
  {
    op: 'Cos',
    since: 7,
    types: FLOAT,
    kernel: (x, y) => {
      for (let i = 0; i < x.length; i++) y[i] = Math.cos(x[i]);
    },
  },
  {
    op: 'Tan',
    since: 7,
    types: FLOAT,
    kernel: (x, y) => {
      for (let i = 0; i < x.length; i++) y[i] = Math.tan(x[i]);
    },
  },
  {
    op: 'Asin',
    since: 7,
    types: FLOAT,
    kernel: (x, y) => {
      for (let i = 0; i < x.length; i++) y[i] = Math.asin(x[i]);
    },
  },
  {
    op: 'Acos',
    since: 7,
    types: FLOAT,
    kernel: (x, y) => {
      for (let i = 0; i < x.length; i++) y[i] = Math.acos(x[i]);
    },
  },
  {
    op: 'Atan',
    since: 7,
    types: FLOAT,
    kernel: (x, y) => {
      for (let i = 0; i < x.length; i++) y[i] = Math.atan(x[i]);
    },
  },
  {
    op: 'Sinh',
    since: 9,
    types: FLOAT,
    kernel: (x, y) => {
      for (let i = 0; i < x.length; i++) y[i] = Math.sinh(x[i]);
    },
  },
  {
    op: 'Cosh',
    since: 9,
    types: FLOAT,
    kernel: (x, y) => {
      for (let i = 0; i < x.length; i++) y[i] = Math.cosh(x[i]);
    },
  },
  {
    op: 'Asinh',
    since: 9,
    types: FLOAT,
    kernel: (x, y) => {
      for (let i = 0; i < x.length; i++) y[i] = Math.asinh(x[i]);
    },
  },
  {
    op: 'Acosh',
    since: 9,
    types: FLOAT,
    kernel: (x, y) => {
      for (let i = 0; i < x.length; i++) y[i] = Math.acosh(x[i]);
    },
  },
  {
    op: 'Atanh',
    since: 9,
    types: FLOAT,
    kernel: (x, y) => {
      for (let i = 0; i < x.length; i++) y[i] = Math.atanh(x[i]);
    },
  },
  {
    op: 'Erf',
    since: 9,
    native: 'Erf',
    types: NUMERIC,
    kernel: (x, y) => {
      for (let i = 0; i < x.length; i++) y[i] = erf(x[i]);
    },
  },
];

/** Applies a unary kernel to a tensor of an allowed type, with a bigint fallback for int64. */
export function applyUnary(op: string, x: Tensor, types: readonly TypeClass[], kernel: UnaryKernel, big?: (v: bigint) => bigint): Tensor {
  requireTypes(op, x, types);
  // The kernels write every element: a recycled buffer needs no zero-fill first.
  const out = new Tensor(x.dtype, x.dims, allocate(x.dtype, x.size, false));
  if (isBig(x.dtype)) {
    if (!big) throw new OpError(`${op} does not support input of type ${x.dtype}`);
    const xd = x.data as BigArray;
    const od = out.data as BigArray;
    for (let i = 0; i < xd.length; i++) od[i] = big(xd[i]);
    return out;
  }
  kernel(x.data as NumArray, out.data as NumArray);
  return roundNarrow(out);
}

function unary(def: UnaryOp): OpEntry {
  const family = def.op.toLowerCase();
  return {
    op: def.op,
    domain: '',
    since: def.since,
    impl: (ctx, inputs) => {
      const x = tensorInput(inputs, 0, 'X');
      const fast = def.native && x.dtype === 'float32' ? nativeUnary(ctx, def.native, x, 0, 0, def.flops ?? 1) : undefined;
      if (fast) return [fast];
      const out = applyUnary(def.op, x, def.types, def.kernel, def.big);
      reportTs(ctx, family, x.dtype, x.size, def.flops ?? 1);
      return [out];
    },
  };
}

const FLT_MAX = 3.4028234663852886e38;

function scalarBound(t: Tensor | undefined, what: string): number | bigint | undefined {
  if (!t) return undefined;
  if (t.size !== 1) throw new OpError(`Clip ${what} must be a scalar, got shape [${t.dims}]`);
  return t.data[0] as number | bigint;
}

function clip(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'input');
  requireTypes('Clip', x, ['float', 'int', 'uint']);
  let lo: number | bigint | undefined;
  let hi: number | bigint | undefined;
  if (ctx.opset < 11) {
    // Before opset 11 the bounds were attributes defaulting to the float range (so ±Inf clip to it).
    lo = ctx.attrs.float('min', -FLT_MAX);
    hi = ctx.attrs.float('max', FLT_MAX);
  } else {
    const minT = optionalTensor(inputs, 1);
    const maxT = optionalTensor(inputs, 2);
    requireSameType('Clip', [x, ...(minT ? [minT] : []), ...(maxT ? [maxT] : [])]);
    lo = scalarBound(minT, 'min');
    hi = scalarBound(maxT, 'max');
  }
  if (x.dtype === 'float32') {
    // Bounds are float32 values already (the tensors' type, or attributes read as float32).
    const fast = nativeUnary(ctx, 'Clip', x, lo === undefined ? -Infinity : Number(lo), hi === undefined ? Infinity : Number(hi), 2);
    if (fast) return [fast];
  }
  const out = new Tensor(x.dtype, x.dims);
  if (isBig(x.dtype)) {
    const xd = x.data as BigArray;
    const od = out.data as BigArray;
    for (let i = 0; i < xd.length; i++) {
      let v = xd[i];
      if (lo !== undefined && v < lo) v = lo as bigint;
      if (hi !== undefined && v > hi) v = hi as bigint;
      od[i] = v;
    }
  } else {
    // min > max yields max everywhere (numpy's clip order).
    const l = lo === undefined ? -Infinity : Number(lo);
    const h = hi === undefined ? Infinity : Number(hi);
    const xd = x.data as NumArray;
    const od = out.data as NumArray;
    for (let i = 0; i < xd.length; i++) od[i] = Math.min(Math.max(xd[i], l), h);
    roundNarrow(out);
  }
  reportTs(ctx, 'clip', x.dtype, x.size, 2);
  return [out];
}

export const ops: OpEntry[] = [...UNARY.map(unary), { op: 'Clip', domain: '', since: 1, impl: clip }];
