// Fuses what follows a Conv into the epilogue its kernel applies while the output tile is still in
// registers: a residual Add of a tensor shaped like the output (ResNet's skip), then one
// activation: Relu, Clip (ReLU6) with constant bounds, Sigmoid, SiLU (x * Sigmoid(x)), HardSwish,
// HardSigmoid, LeakyRelu. Each value passed over must be read by the next node alone.
import type { Node } from '../../graph.js';
import type { Pass } from '../pass.js';
import { result } from '../pass.js';
import { constant, origin, Uses, type CompileGraph } from '../ir.js';

const floatAttr = (n: Node, name: string, dflt: number) => {
  const a = n.attrs[name];
  return a && a.type === 'float' ? a.value : dflt;
};

function scalarInput(g: CompileGraph, name: string | undefined, dflt: number): number | undefined {
  if (!name) return dflt;
  const t = constant(g, name);
  if (!t || t.size !== 1 || (t.dtype !== 'float32' && t.dtype !== 'float64')) return undefined;
  return Number(t.data[0]);
}

/** The epilogue activation `n` computes of its input 0, if it is one the kernels fuse. */
function activationOf(g: CompileGraph, n: Node, opset: number): { act: string; alpha?: number; beta?: number } | undefined {
  if (n.domain !== '') return undefined;
  switch (n.opType) {
    case 'Relu':
    case 'Sigmoid':
    case 'HardSwish':
      return { act: n.opType };
    case 'LeakyRelu':
      return { act: 'LeakyRelu', alpha: floatAttr(n, 'alpha', 0.01) };
    case 'HardSigmoid':
      return { act: 'HardSigmoid', alpha: floatAttr(n, 'alpha', 0.2), beta: floatAttr(n, 'beta', 0.5) };
    case 'Clip': {
      const lo = opset >= 11 ? scalarInput(g, n.inputs[1], -Infinity) : floatAttr(n, 'min', -Infinity);
      const hi = opset >= 11 ? scalarInput(g, n.inputs[2], Infinity) : floatAttr(n, 'max', Infinity);
      if (lo === undefined || hi === undefined) return undefined;
      return { act: 'Clip', alpha: Math.max(lo, -3.4028234663852886e38), beta: Math.min(hi, 3.4028234663852886e38) };
    }
    default:
      return undefined;
  }
}

const sameShape = (a: readonly number[] | undefined, b: readonly number[] | undefined) =>
  !!a && !!b && a.length === b.length && a.every((d, i) => d === b[i]);

export const epilogueFusion: Pass = {
  name: 'epilogue-fusion',
  description: 'residual Add and activations after a Conv fused into its kernel epilogue',
  run(g) {
    const notes: string[] = [];
    const opset = g.opsets.get('') ?? 1;
    const removed = new Set<Node>();
    for (const conv of g.nodes) {
      if (conv.opType !== 'Conv' || conv.domain !== '' || removed.has(conv) || conv.fused?.act) continue;
      const uses = new Uses({ ...g, nodes: g.nodes.filter((n) => !removed.has(n)) });
      const o = origin(conv);
      const fused = { ...(conv.fused ?? {}), ops: [...o.ops], nodes: [...o.nodes] };
      const absorbed: Node[] = [];
      let out = conv.outputs[0];
      // + residual
      const add = uses.soleReader(out);
      if (add && add.opType === 'Add' && add.domain === '' && !fused.residual && add.inputs.length === 2) {
        const other = add.inputs[0] === out ? add.inputs[1] : add.inputs[1] === out ? add.inputs[0] : undefined;
        if (
          other &&
          other !== out &&
          sameShape(g.shapes.get(other), g.shapes.get(out)) &&
          sameShape(g.shapes.get(add.outputs[0]), g.shapes.get(out))
        ) {
          conv.inputs = [conv.inputs[0], conv.inputs[1], conv.inputs[2] ?? '', other];
          fused.residual = true;
          fused.ops.push('Add');
          fused.nodes.push(add.name);
          absorbed.push(add);
          out = add.outputs[0];
        }
      }
      // then one activation (SiLU: y * Sigmoid(y), with y read by just those two)
      const readers = uses.pinned(out) ? [] : uses.of(out);
      const next = readers.length === 1 ? readers[0] : undefined;
      const a = next && next.inputs[0] === out ? activationOf(g, next, opset) : undefined;
      if (next && a) {
        Object.assign(fused, { act: a.act, actAlpha: a.alpha, actBeta: a.beta });
        fused.ops.push(next.opType);
        fused.nodes.push(next.name);
        absorbed.push(next);
        out = next.outputs[0];
      } else if (readers.length === 2) {
        const sig = readers.find((r) => r.opType === 'Sigmoid' && r.domain === '' && r.inputs[0] === out);
        const mul = readers.find((r) => r.opType === 'Mul' && r.domain === '' && r !== sig);
        if (
          sig &&
          mul &&
          uses.soleReader(sig.outputs[0]) === mul &&
          new Set(mul.inputs).size === 2 &&
          mul.inputs.includes(out) &&
          mul.inputs.includes(sig.outputs[0])
        ) {
          fused.act = 'SiLU';
          fused.ops.push('Sigmoid', 'Mul');
          fused.nodes.push(sig.name, mul.name);
          absorbed.push(sig, mul);
          out = mul.outputs[0];
        }
      }
      if (absorbed.length === 0) continue;
      conv.outputs = [out];
      conv.fused = fused;
      for (const n of absorbed) removed.add(n);
      notes.push(`fused ${absorbed.map((n) => n.name).join(', ')} into ${conv.name} (${fused.ops.join('+')})`);
    }
    g.nodes = g.nodes.filter((n) => !removed.has(n));
    return result(notes);
  },
};
