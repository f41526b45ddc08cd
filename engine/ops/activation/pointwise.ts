// Pointwise activations: Relu and its relatives, sigmoid/tanh family, GELU, softplus family.
import { Tensor } from '../../tensor.js';
import { broadcastShapes } from '../util.js';
import { OpError, tensorInput, type OpContext, type OpEntry, type Value } from '../types.js';
import { broadcastBigint, broadcastBinary, isBig, reportTs, requireSameType, requireTypes, type RowKernel } from '../elementwise/common.js';
import { applyUnary, erf, type UnaryKernel } from '../elementwise/unary.js';
import { nativeUnary } from '../elementwise/native-dispatch.js';
import type { UnaryOpName } from '../../native.js';

type Activation = (ctx: OpContext) => UnaryKernel;

/** A native kernel for large float32 inputs in eager mode, with its (alpha, beta) from the node. */
interface NativeActivation {
  /** The kernel op, or a function of the node choosing it (undefined: stay in TypeScript). */
  op: UnaryOpName | ((ctx: OpContext) => UnaryOpName | undefined);
  params?: (ctx: OpContext) => [number, number];
}

/** Runs a float activation whose loop is built from the node's attributes. */
function floatActivation(op: string, since: number, flops: number, make: Activation, native?: NativeActivation): OpEntry {
  const family = op.toLowerCase();
  return {
    op,
    domain: '',
    since,
    impl: (ctx, inputs) => {
      const x = tensorInput(inputs, 0, 'X');
      const nativeOp = native && x.dtype === 'float32' ? (typeof native.op === 'function' ? native.op(ctx) : native.op) : undefined;
      if (native && nativeOp) {
        const [alpha, beta] = native.params ? native.params(ctx) : [0, 0];
        const fast = nativeUnary(ctx, nativeOp, x, alpha, beta, flops);
        if (fast) return [fast];
      }
      const out = applyUnary(op, x, ['float'], make(ctx));
      reportTs(ctx, family, x.dtype, x.size, flops);
      return [out];
    },
  };
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const SQRT_HALF = Math.SQRT1_2;

/** log(1 + e^x) without overflow for large x or underflow for very negative x. */
function softplus(v: number): number {
  return v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v));
}

function relu(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'X');
  const fast = x.dtype === 'float32' ? nativeUnary(ctx, 'Relu', x) : undefined;
  if (fast) return [fast];
  // Opset 14 added signed integer types.
  const out = applyUnary(
    'Relu',
    x,
    ['float', 'int'],
    (xd, yd) => {
      for (let i = 0; i < xd.length; i++) {
        const v = xd[i];
        yd[i] = v > 0 ? v : 0;
      }
    },
    (v) => (v > 0n ? v : 0n),
  );
  reportTs(ctx, 'relu', x.dtype, x.size);
  return [out];
}

const preluRow: RowKernel = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++, ai += as, bi += bs) {
    const v = a[ai];
    o[oi + k] = v < 0 ? v * b[bi] : v;
  }
};

function prelu(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'X');
  let slope = tensorInput(inputs, 1, 'slope');
  // Before opset 7 a 1-D slope of length C meant one slope per channel (axis 1).
  if (ctx.opset < 7 && slope.dims.length === 1 && x.dims.length > 2 && slope.size === x.dims[1]) {
    slope = slope.reshape([slope.size, ...new Array<number>(x.dims.length - 2).fill(1)]);
  }
  requireSameType('PRelu', [x, slope]);
  requireTypes('PRelu', x, ['float', 'int', 'uint']);
  // The slope broadcasts to X, never the other way round.
  const dims = broadcastShapes(x.dims, slope.dims);
  if (dims.length !== x.dims.length || dims.some((d, i) => d !== x.dims[i])) {
    throw new OpError(`slope of shape [${slope.dims}] does not broadcast to X of shape [${x.dims}]`);
  }
  const out = isBig(x.dtype)
    ? broadcastBigint(x, slope, x.dtype, (v, s) => (v < 0n ? v * s : v))
    : broadcastBinary(x, slope, x.dtype, preluRow, dims);
  reportTs(ctx, 'prelu', x.dtype, x.size, 2);
  return [out];
}

function shrink(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'input');
  const lambd = ctx.attrs.float('lambd', 0.5);
  const bias = ctx.attrs.float('bias', 0);
  const kernel: UnaryKernel = (xd, yd) => {
    for (let i = 0; i < xd.length; i++) {
      const v = xd[i];
      yd[i] = v < -lambd ? v + bias : v > lambd ? v - bias : 0;
    }
  };
  let out: Tensor;
  if (isBig(x.dtype)) {
    // Exact enough: shrink thresholds are small floats, and values beyond 2^53 are not its use.
    const xd = Float64Array.from(x.data as BigInt64Array, Number);
    const yd = new Float64Array(xd.length);
    kernel(xd, yd);
    out = new Tensor(x.dtype, x.dims);
    const od = out.data as BigInt64Array;
    for (let i = 0; i < yd.length; i++) od[i] = BigInt(Math.trunc(yd[i]));
  } else {
    out = applyUnary('Shrink', x, ['float', 'int', 'uint'], kernel);
  }
  reportTs(ctx, 'shrink', x.dtype, x.size, 2);
  return [out];
}

const sigmoid: Activation = () => (x, y) => {
  for (let i = 0; i < x.length; i++) y[i] = 1 / (1 + Math.exp(-x[i]));
};

const tanh: Activation = () => (x, y) => {
  for (let i = 0; i < x.length; i++) y[i] = Math.tanh(x[i]);
};

const leakyRelu: Activation = (ctx) => {
  const alpha = ctx.attrs.float('alpha', 0.01);
  return (x, y) => {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      y[i] = v < 0 ? v * alpha : v;
    }
  };
};

const hardSigmoid: Activation = (ctx) => {
  const alpha = ctx.attrs.float('alpha', 0.2);
  const beta = ctx.attrs.float('beta', 0.5);
  return (x, y) => {
    for (let i = 0; i < x.length; i++) y[i] = Math.max(0, Math.min(1, alpha * x[i] + beta));
  };
};

const hardSwish: Activation = () => (x, y) => {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    y[i] = v * Math.max(0, Math.min(1, v / 6 + 0.5));
  }
};

const gelu: Activation = (ctx) => {
  const approximate = ctx.attrs.string('approximate', 'none');
  if (approximate === 'tanh') {
    return (x, y) => {
      for (let i = 0; i < x.length; i++) {
        const v = x[i];
        y[i] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));
      }
    };
  }
  if (approximate !== 'none') throw new OpError(`attribute approximate must be 'none' or 'tanh', got '${approximate}'`);
  return (x, y) => {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      y[i] = 0.5 * v * (1 + erf(v * SQRT_HALF));
    }
  };
};

const elu: Activation = (ctx) => {
  const alpha = ctx.attrs.float('alpha', 1);
  return (x, y) => {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      y[i] = v < 0 ? alpha * Math.expm1(v) : v;
    }
  };
};

const selu: Activation = (ctx) => {
  const alpha = ctx.attrs.float('alpha', 1.67326319217681884765625);
  const gamma = ctx.attrs.float('gamma', 1.05070102214813232421875);
  return (x, y) => {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      y[i] = gamma * (v <= 0 ? alpha * Math.expm1(v) : v);
    }
  };
};

const celu: Activation = (ctx) => {
  const alpha = ctx.attrs.float('alpha', 1);
  if (alpha === 0) throw new OpError('Celu alpha must be non-zero');
  return (x, y) => {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      y[i] = v > 0 ? v : alpha * Math.expm1(v / alpha);
    }
  };
};

const softplusActivation: Activation = () => (x, y) => {
  for (let i = 0; i < x.length; i++) y[i] = softplus(x[i]);
};

const softsign: Activation = () => (x, y) => {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    y[i] = v / (1 + Math.abs(v));
  }
};

const mish: Activation = () => (x, y) => {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    y[i] = v * Math.tanh(softplus(v));
  }
};

const thresholdedRelu: Activation = (ctx) => {
  const alpha = ctx.attrs.float('alpha', 1);
  return (x, y) => {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      y[i] = v > alpha ? v : 0;
    }
  };
};

const swish: Activation = (ctx) => {
  const alpha = ctx.attrs.float('alpha', 1);
  return (x, y) => {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      y[i] = v / (1 + Math.exp(-alpha * v));
    }
  };
};

export const ops: OpEntry[] = [
  { op: 'Relu', domain: '', since: 1, impl: relu },
  { op: 'PRelu', domain: '', since: 1, impl: prelu },
  { op: 'Shrink', domain: '', since: 9, impl: shrink },
  floatActivation('LeakyRelu', 1, 2, leakyRelu, { op: 'LeakyRelu', params: (ctx) => [ctx.attrs.float('alpha', 0.01), 0] }),
  floatActivation('Sigmoid', 1, 4, sigmoid, { op: 'Sigmoid' }),
  floatActivation('HardSigmoid', 1, 4, hardSigmoid, {
    op: 'HardSigmoid',
    params: (ctx) => [ctx.attrs.float('alpha', 0.2), ctx.attrs.float('beta', 0.5)],
  }),
  floatActivation('HardSwish', 14, 5, hardSwish, { op: 'HardSwish' }),
  floatActivation('Tanh', 1, 4, tanh, { op: 'Tanh' }),
  floatActivation('Gelu', 20, 8, gelu, {
    op: (ctx) => ({ none: 'Gelu', tanh: 'GeluTanh' })[ctx.attrs.string('approximate', 'none')] as UnaryOpName | undefined,
  }),
  floatActivation('Elu', 1, 4, elu),
  floatActivation('Selu', 1, 5, selu),
  floatActivation('Celu', 12, 5, celu),
  floatActivation('Softplus', 1, 4, softplusActivation),
  floatActivation('Softsign', 1, 3, softsign),
  floatActivation('Mish', 18, 8, mish),
  floatActivation('ThresholdedRelu', 10, 1, thresholdedRelu),
  floatActivation('Swish', 24, 5, swish),
];
