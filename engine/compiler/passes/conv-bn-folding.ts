// Folds an inference BatchNormalization into the Conv before it: with s = scale / sqrt(var + eps)
// per output channel, W' = W * s and B' = (B - mean) * s + bias, so the pair is one convolution
// (new initializers; the file's own tensors are never written). Needs float32 constants for
// W, B and all four statistics, and the Conv's output read by that BatchNormalization alone.
import type { Node } from '../../graph.js';
import { Tensor } from '../../tensor.js';
import type { Pass } from '../pass.js';
import { result } from '../pass.js';
import { constant, freshName, origin, Uses, type CompileGraph } from '../ir.js';

function f32(g: CompileGraph, name: string | undefined, length?: number): Float32Array | undefined {
  const t = constant(g, name);
  if (!t || t.dtype !== 'float32' || (length !== undefined && t.size !== length)) return undefined;
  return t.data as Float32Array;
}

function fold(g: CompileGraph, conv: Node, bn: Node): boolean {
  const w = constant(g, conv.inputs[1]);
  if (!w || w.dtype !== 'float32' || w.rank < 3) return false;
  const M = w.dims[0];
  const [scale, beta, mean, variance] = [1, 2, 3, 4].map((k) => f32(g, bn.inputs[k], M));
  const bias = conv.inputs[2] ? f32(g, conv.inputs[2], M) : new Float32Array(M);
  if (!scale || !beta || !mean || !variance || !bias) return false;
  if (bn.outputs.filter(Boolean).length !== 1) return false; // training-mode outputs
  const epsAttr = bn.attrs.epsilon;
  const eps = epsAttr && epsAttr.type === 'float' ? epsAttr.value : 1e-5;
  const per = w.size / M;
  const wd = w.data as Float32Array;
  const nw = new Float32Array(w.size);
  const nb = new Float32Array(M);
  for (let m = 0; m < M; m++) {
    const s = scale[m] / Math.sqrt(variance[m] + eps);
    for (let i = 0; i < per; i++) nw[m * per + i] = wd[m * per + i] * s;
    nb[m] = (bias[m] - mean[m]) * s + beta[m];
  }
  const wName = freshName(g, `${conv.inputs[1]}_bn_folded`);
  g.initializers.set(wName, new Tensor('float32', w.dims, nw));
  const bName = freshName(g, `${conv.name}_bias_bn_folded`);
  g.initializers.set(bName, new Tensor('float32', [M], nb));
  const o = origin(conv);
  conv.inputs = [conv.inputs[0], wName, bName];
  conv.outputs = [bn.outputs[0]];
  conv.fused = { ...(conv.fused ?? {}), ops: [...o.ops, 'BatchNormalization'], nodes: [...o.nodes, bn.name] };
  return true;
}

export const convBatchNormFolding: Pass = {
  name: 'conv-bn-folding',
  description: 'BatchNormalization after a Conv folded into its weights and bias',
  run(g) {
    const notes: string[] = [];
    const uses = new Uses(g);
    const removed = new Set<Node>();
    for (const conv of g.nodes) {
      if (conv.opType !== 'Conv' || conv.domain !== '' || conv.fused?.act || conv.fused?.residual) continue;
      const bn = uses.soleReader(conv.outputs[0]);
      if (!bn || bn.opType !== 'BatchNormalization' || bn.domain !== '' || bn.inputs[0] !== conv.outputs[0]) continue;
      if (!fold(g, conv, bn)) continue;
      removed.add(bn);
      notes.push(`folded ${bn.name} into ${conv.name}`);
    }
    g.nodes = g.nodes.filter((n) => !removed.has(n));
    return result(notes);
  },
};
