// The epilogue of a fused node (FusedInfo in engine/graph.ts) where no native kernel applies it:
// y = act(y + residual), element by element, in the TypeScript paths of the fused ops. The
// activations are those the graph compiler fuses (engine/compiler/passes/epilogue-fusion.ts),
// with the formulas of their ONNX ops.
import type { FusedInfo } from '../../graph.js';
import type { DType, Tensor } from '../../tensor.js';
import { OpError } from '../types.js';
import type { NumArray } from './common.js';
import { erf } from '../elementwise/unary.js';

/** The activations a fused epilogue may name, with the TypeScript formula of each. */
export const FUSABLE_ACTIVATIONS: Record<string, (x: number, alpha: number, beta: number) => number> = {
  Relu: (x) => (x > 0 ? x : x < 0 ? 0 : x),
  Clip: (x, lo, hi) => (x < lo ? lo : x > hi ? hi : x),
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  SiLU: (x) => x / (1 + Math.exp(-x)),
  HardSwish: (x) => (x * Math.max(0, Math.min(6, x + 3))) / 6,
  HardSigmoid: (x, alpha, beta) => Math.max(0, Math.min(1, alpha * x + beta)),
  LeakyRelu: (x, alpha) => (x < 0 ? alpha * x : x),
  Gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  GeluTanh: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))),
};

/** The residual input of a fused node: present, and laid out exactly like the output. */
export function residualInput(
  fused: FusedInfo | undefined,
  input: Tensor | undefined,
  dtype: DType,
  out: readonly number[],
  op: string,
): Tensor | undefined {
  if (!fused?.residual) return undefined;
  if (!input) throw new OpError(`${op}: the fused residual input is missing`);
  if (input.dtype !== dtype) throw new OpError(`${op}: the fused residual is ${input.dtype}, the output ${dtype}`);
  if (input.dims.length !== out.length || input.dims.some((d, i) => d !== out[i])) {
    throw new OpError(`${op}: the fused residual has shape [${input.dims.join(',')}], the output [${out.join(',')}]`);
  }
  return input;
}

/** Applies `+ residual` and the activation of `fused` to `y` in place. */
export function applyEpilogue(y: Tensor, fused: FusedInfo | undefined, residual: Tensor | undefined): void {
  if (!fused || (!fused.act && !residual)) return;
  const d = y.data as NumArray;
  if (residual) {
    const r = residual.data as NumArray;
    for (let i = 0; i < d.length; i++) d[i] += r[i];
  }
  if (!fused.act) return;
  const f = FUSABLE_ACTIVATIONS[fused.act];
  if (!f) throw new OpError(`the fused activation '${fused.act}' has no TypeScript form`);
  const a = fused.actAlpha ?? 0;
  const b = fused.actBeta ?? 0;
  for (let i = 0; i < d.length; i++) d[i] = f(d[i], a, b);
}
