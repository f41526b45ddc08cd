// com.microsoft GELU variants that onnxruntime's transformer optimizer emits for exported models.
import { Tensor, roundToFloat16, roundToBfloat16 } from '../../tensor.js';
import { erf } from '../elementwise/unary.js';
import { OpError, optionalTensor, tensorInput, type OpContext, type OpEntry, type Value } from '../types.js';
import type { UnaryOpName } from '../../native.js';
import { nativeBiasUnary } from '../elementwise/native-dispatch.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

function floatData(op: string, t: Tensor, what: string): Float32Array {
  if (t.dtype === 'float32' || t.dtype === 'float16' || t.dtype === 'bfloat16') return t.data as Float32Array;
  throw new OpError(`${op}: ${what} must be float32/float16/bfloat16, got ${t.dtype}`);
}

/**
 * Applies f to x (+ a bias broadcast over the last dim), rounding back to the input's float type.
 * Eager float32 runs on the native unary kernel `native` (after a native Add of the bias).
 */
function biasedUnary(op: string, ctx: OpContext, x: Tensor, bias: Tensor | undefined, f: (v: number) => number, native?: UnaryOpName): Value[] {
  const xd = floatData(op, x, 'input');
  const bd = bias ? floatData(op, bias, 'bias') : undefined;
  const cols = x.rank ? x.dims[x.rank - 1] : 1;
  if (bias && bias.size !== cols) throw new OpError(`${op}: bias has ${bias.size} values, expected the last dim ${cols}`);
  if (native && x.dtype === 'float32') {
    const fast = nativeBiasUnary(ctx, native, x, bias, 8);
    if (fast) return [fast];
  }
  const out = new Tensor(x.dtype, x.dims);
  const od = out.data as Float32Array;
  if (bd) for (let i = 0; i < od.length; i++) od[i] = f(xd[i] + bd[i % cols]);
  else for (let i = 0; i < od.length; i++) od[i] = f(xd[i]);
  if (x.dtype !== 'float32') {
    const round = x.dtype === 'float16' ? roundToFloat16 : roundToBfloat16;
    for (let i = 0; i < od.length; i++) od[i] = round(od[i]);
  }
  ctx.report({ kernel: `ts_${op.toLowerCase()}_${x.dtype}`, isa: 'scalar', flops: 8 * x.size });
  return [out];
}

const geluErf = (v: number): number => 0.5 * v * (1 + erf(v * Math.SQRT1_2));
const geluTanh = (v: number): number => 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));

function quickGelu(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const alpha = ctx.attrs.float('alpha', 1.702);
  return biasedUnary('QuickGelu', ctx, tensorInput(inputs, 0, 'X'), undefined, (v) => {
    const z = alpha * v;
    return z >= 0 ? v / (1 + Math.exp(-z)) : (v * Math.exp(z)) / (1 + Math.exp(z));
  });
}

export const ops: OpEntry[] = [
  {
    op: 'Gelu',
    domain: 'com.microsoft',
    since: 1,
    impl: (ctx, inputs) => biasedUnary('Gelu', ctx, tensorInput(inputs, 0, 'X'), undefined, geluErf, 'Gelu'),
  },
  {
    op: 'BiasGelu',
    domain: 'com.microsoft',
    since: 1,
    impl: (ctx, inputs) => biasedUnary('BiasGelu', ctx, tensorInput(inputs, 0, 'A'), tensorInput(inputs, 1, 'B'), geluErf, 'Gelu'),
  },
  {
    op: 'FastGelu',
    domain: 'com.microsoft',
    since: 1,
    impl: (ctx, inputs) => biasedUnary('FastGelu', ctx, tensorInput(inputs, 0, 'X'), optionalTensor(inputs, 1), geluTanh, 'GeluTanh'),
  },
  { op: 'QuickGelu', domain: 'com.microsoft', since: 1, impl: quickGelu },
];
