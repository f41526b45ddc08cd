// Fuses the normalizations exporters decompose back into one op the native layer-norm kernel runs:
//   LayerNorm: ReduceMean -> Sub -> Pow 2 -> ReduceMean -> Add eps -> Sqrt -> Div -> Mul gamma [-> Add beta]
//   RMSNorm:   Pow 2 -> ReduceMean -> Add eps -> Sqrt -> (Div 1 -> Mul x | Div x) -> Mul gamma
// over the last axis, with constant eps, gamma and beta. They become com.microsoft
// LayerNormalization / SimplifiedLayerNormalization (the forms onnxruntime's own fusions make),
// named after the first node of the pattern and listing all of them.
import type { Node } from '../../graph.js';
import type { Pass } from '../pass.js';
import { result } from '../pass.js';
import { constant, Uses, type CompileGraph } from '../ir.js';

const MS = 'com.microsoft';

const isOp = (n: Node | undefined, op: string): n is Node => !!n && n.opType === op && n.domain === '';
const other = (n: Node, x: string) =>
  n.inputs.length !== 2 ? undefined : n.inputs[0] === x ? n.inputs[1] : n.inputs[1] === x ? n.inputs[0] : undefined;

function scalar(g: CompileGraph, name: string | undefined): number | undefined {
  const t = constant(g, name);
  if (!t || t.size !== 1 || (t.dtype !== 'float32' && t.dtype !== 'float64')) return undefined;
  return Number(t.data[0]);
}

/** True when `n` is a ReduceMean over the last axis only, keeping it (axes as attribute or constant input). */
function meanOverLast(g: CompileGraph, n: Node | undefined, x: string): n is Node {
  if (!isOp(n, 'ReduceMean') || n.inputs[0] !== x) return false;
  const keep = n.attrs.keepdims;
  if (keep && keep.type === 'int' && keep.value === 0) return false;
  const a = n.attrs.axes;
  let axes: number[] | undefined = a && a.type === 'ints' ? a.value : undefined;
  if (!axes && n.inputs[1]) {
    const t = constant(g, n.inputs[1]);
    axes = t ? Array.from(t.data as ArrayLike<number | bigint>, Number) : undefined;
  }
  const rank = g.shapes.get(x)?.length;
  return !!axes && axes.length === 1 && (axes[0] === -1 || (rank !== undefined && axes[0] === rank - 1));
}

/** Output of `x -> Pow 2 -> ReduceMean -> Add eps -> Sqrt` and its nodes, or undefined. */
function rootMeanSquare(g: CompileGraph, uses: Uses, x: string, pow: Node): { eps: number; sqrt: Node; nodes: Node[] } | undefined {
  if (!isOp(pow, 'Pow') || pow.inputs[0] !== x || scalar(g, pow.inputs[1]) !== 2) return undefined;
  const mean = uses.soleReader(pow.outputs[0]);
  if (!meanOverLast(g, mean, pow.outputs[0])) return undefined;
  const add = uses.soleReader(mean.outputs[0]);
  const eps = isOp(add, 'Add') ? scalar(g, other(add, mean.outputs[0])) : undefined;
  if (!add || eps === undefined) return undefined;
  const sqrt = uses.soleReader(add.outputs[0]);
  if (!isOp(sqrt, 'Sqrt')) return undefined;
  return { eps, sqrt, nodes: [pow, mean, add, sqrt] };
}

/** The constant per-channel factor `n` multiplies `v` by (Mul v gamma), or undefined. */
function affine(g: CompileGraph, n: Node | undefined, v: string, op: 'Mul' | 'Add'): string | undefined {
  if (!isOp(n, op)) return undefined;
  const c = other(n, v);
  const t = constant(g, c);
  const dims = g.shapes.get(v);
  return t && dims && t.size === dims[dims.length - 1] ? c : undefined;
}

interface Match {
  op: 'LayerNormalization' | 'SimplifiedLayerNormalization';
  x: string;
  gamma: string;
  beta?: string;
  eps: number;
  nodes: Node[];
  out: string;
}

function layerNorm(g: CompileGraph, uses: Uses, mean: Node): Match | undefined {
  const x = mean.inputs[0];
  if (!meanOverLast(g, mean, x)) return undefined;
  const sub = uses.soleReader(mean.outputs[0]);
  if (!isOp(sub, 'Sub') || sub.inputs[0] !== x || sub.inputs[1] !== mean.outputs[0]) return undefined;
  const d = sub.outputs[0];
  const readers = uses.pinned(d) ? [] : uses.of(d);
  if (readers.length !== 2) return undefined;
  const pow = readers.find((r) => isOp(r, 'Pow'));
  const div = readers.find((r) => isOp(r, 'Div') && r.inputs[0] === d);
  const rms = pow && rootMeanSquare(g, uses, d, pow);
  if (!rms || !div || div.inputs[1] !== rms.sqrt.outputs[0] || uses.soleReader(rms.sqrt.outputs[0]) !== div) return undefined;
  const mul = uses.soleReader(div.outputs[0]);
  const gamma = affine(g, mul, div.outputs[0], 'Mul');
  if (!mul || !gamma) return undefined;
  const add = uses.soleReader(mul.outputs[0]);
  const beta = affine(g, add, mul.outputs[0], 'Add');
  const nodes = [mean, sub, ...rms.nodes, div, mul, ...(beta ? [add!] : [])];
  return { op: 'LayerNormalization', x, gamma, beta, eps: rms.eps, nodes, out: (beta ? add! : mul).outputs[0] };
}

function rmsNorm(g: CompileGraph, uses: Uses, pow: Node): Match | undefined {
  const x = pow.inputs[0];
  const rms = rootMeanSquare(g, uses, x, pow);
  if (!rms) return undefined;
  const div = uses.soleReader(rms.sqrt.outputs[0]);
  if (!isOp(div, 'Div') || div.inputs[1] !== rms.sqrt.outputs[0]) return undefined;
  let normed: Node;
  const nodes = [...rms.nodes, div];
  if (div.inputs[0] === x) {
    normed = div;
  } else if (scalar(g, div.inputs[0]) === 1) {
    const mul = uses.soleReader(div.outputs[0]);
    if (!isOp(mul, 'Mul') || other(mul, div.outputs[0]) !== x) return undefined;
    normed = mul;
    nodes.push(mul);
  } else {
    return undefined;
  }
  const scale = uses.soleReader(normed.outputs[0]);
  const gamma = affine(g, scale, normed.outputs[0], 'Mul');
  if (!scale || !gamma) return undefined;
  nodes.push(scale);
  return { op: 'SimplifiedLayerNormalization', x, gamma, eps: rms.eps, nodes, out: scale.outputs[0] };
}

export const normFusion: Pass = {
  name: 'norm-fusion',
  description: 'decomposed LayerNorm and RMSNorm (ReduceMean/Pow/Sqrt/Div chains) fused into one normalization',
  run(g) {
    const notes: string[] = [];
    const removed = new Set<Node>();
    const added = new Map<Node, Node>();
    for (const n of g.nodes) {
      if (removed.has(n) || n.domain !== '' || (n.opType !== 'ReduceMean' && n.opType !== 'Pow')) continue;
      const uses = new Uses({ ...g, nodes: g.nodes.filter((x) => !removed.has(x)) });
      const m = n.opType === 'ReduceMean' ? layerNorm(g, uses, n) : rmsNorm(g, uses, n);
      if (!m) continue;
      const fusedNode: Node = {
        name: n.name,
        opType: m.op,
        domain: MS,
        inputs: [m.x, m.gamma, ...(m.beta ? [m.beta] : [])],
        outputs: [m.out],
        attrs: { axis: { type: 'int', value: -1 }, epsilon: { type: 'float', value: m.eps } },
        fused: { ops: m.nodes.map((x) => x.opType), nodes: m.nodes.map((x) => x.name) },
      };
      for (const x of m.nodes) removed.add(x);
      added.set(n, fusedNode);
      notes.push(`fused ${m.nodes.length} nodes from ${n.name} into ${m.op === 'LayerNormalization' ? 'LayerNorm' : 'RMSNorm'}`);
    }
    if (added.size) {
      g.nodes = g.nodes.flatMap((n) => (added.has(n) ? [added.get(n)!] : removed.has(n) ? [] : [n]));
      if (!g.opsets.has(MS)) g.opsets = new Map([...g.opsets, [MS, 1]]);
    }
    return result(notes);
  },
};
