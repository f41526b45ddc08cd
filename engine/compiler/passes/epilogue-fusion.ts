// Fuses what follows a Conv or a MatMul into the epilogue its kernel applies while the output tile
// is still in registers: for MatMul a bias Add of N constants first; then a residual Add of a
// tensor shaped like the output (ResNet's skip, a transformer's residual); then one activation:
// Relu, Clip (ReLU6) with constant bounds, Sigmoid, SiLU (x * Sigmoid(x)), HardSwish,
// HardSigmoid, LeakyRelu, Gelu (the op, or the exporters' x * 0.5 * (1 + Erf(x / sqrt 2))).
// Each value passed over must be read by the next node alone.
import type { FusedInfo, Node } from '../../graph.js';
import type { Pass } from '../pass.js';
import { result } from '../pass.js';
import { constant, origin, Uses, type CompileGraph } from '../ir.js';

const floatAttr = (n: Node, name: string, dflt: number) => {
  const a = n.attrs[name];
  return a && a.type === 'float' ? a.value : dflt;
};

function scalarInput(g: CompileGraph, name: string | undefined, dflt?: number): number | undefined {
  if (!name) return dflt;
  const t = constant(g, name);
  if (!t || t.size !== 1 || (t.dtype !== 'float32' && t.dtype !== 'float64')) return undefined;
  return Number(t.data[0]);
}

const near = (v: number | undefined, want: number) => v !== undefined && Math.abs(v - want) <= 1e-4 * Math.abs(want);
const isOp = (n: Node | undefined, op: string): n is Node => !!n && n.opType === op && n.domain === '';
/** The input of a two-input node that is not `x`, when `x` is one of them. */
const other = (n: Node, x: string) =>
  n.inputs.length !== 2 ? undefined : n.inputs[0] === x ? n.inputs[1] : n.inputs[1] === x ? n.inputs[0] : undefined;

interface Activation {
  act: string;
  alpha?: number;
  beta?: number;
  /** The nodes it replaces, in order, and the value it ends in. */
  nodes: Node[];
  out: string;
}

/** The epilogue activation computed of `x` by the nodes reading it, if it is one the kernels fuse. */
function activationOf(g: CompileGraph, uses: Uses, x: string, opset: number): Activation | undefined {
  if (uses.pinned(x)) return undefined;
  const readers = uses.of(x);
  if (readers.length === 1 && readers[0].inputs[0] === x && readers[0].domain === '') {
    const n = readers[0];
    const one = (act: string, alpha?: number, beta?: number): Activation => ({ act, alpha, beta, nodes: [n], out: n.outputs[0] });
    switch (n.opType) {
      case 'Relu':
      case 'Sigmoid':
      case 'HardSwish':
        return one(n.opType);
      case 'LeakyRelu':
        return one('LeakyRelu', floatAttr(n, 'alpha', 0.01));
      case 'HardSigmoid':
        return one('HardSigmoid', floatAttr(n, 'alpha', 0.2), floatAttr(n, 'beta', 0.5));
      case 'Gelu': {
        const a = n.attrs.approximate;
        return one(a && a.type === 'string' && a.value === 'tanh' ? 'GeluTanh' : 'Gelu');
      }
      case 'Clip': {
        const lo = opset >= 11 ? scalarInput(g, n.inputs[1], -Infinity) : floatAttr(n, 'min', -Infinity);
        const hi = opset >= 11 ? scalarInput(g, n.inputs[2], Infinity) : floatAttr(n, 'max', Infinity);
        if (lo === undefined || hi === undefined) return undefined;
        return one('Clip', Math.max(lo, -3.4028234663852886e38), Math.min(hi, 3.4028234663852886e38));
      }
      default:
        return undefined;
    }
  }
  if (readers.length !== 2) return undefined;
  // SiLU: Mul(x, Sigmoid(x)).
  const sig = readers.find((r) => isOp(r, 'Sigmoid') && r.inputs[0] === x);
  const mul = readers.find((r) => isOp(r, 'Mul') && r !== sig);
  if (sig && mul && uses.soleReader(sig.outputs[0]) === mul && other(mul, x) === sig.outputs[0]) {
    return { act: 'SiLU', nodes: [sig, mul], out: mul.outputs[0] };
  }
  // Gelu as exported: Mul(Mul(x, Add(Erf(Div(x, sqrt 2)), 1)), 0.5).
  const div = readers.find((r) => isOp(r, 'Div') && r.inputs[0] === x && near(scalarInput(g, r.inputs[1]), Math.SQRT2));
  const m1 = readers.find((r) => isOp(r, 'Mul') && r !== div);
  const erf = div && uses.soleReader(div.outputs[0]);
  const add = isOp(erf, 'Erf') ? uses.soleReader(erf.outputs[0]) : undefined;
  if (!div || !m1 || !isOp(erf, 'Erf') || !isOp(add, 'Add') || !near(scalarInput(g, other(add, erf.outputs[0])), 1)) return undefined;
  if (other(m1, x) !== add.outputs[0] || uses.soleReader(add.outputs[0]) !== m1) return undefined;
  const m2 = uses.soleReader(m1.outputs[0]);
  if (!isOp(m2, 'Mul') || !near(scalarInput(g, other(m2, m1.outputs[0])), 0.5)) return undefined;
  return { act: 'Gelu', nodes: [div, erf, add, m1, m2], out: m2.outputs[0] };
}

const sameShape = (a: readonly number[] | undefined, b: readonly number[] | undefined) =>
  !!a && !!b && a.length === b.length && a.every((d, i) => d === b[i]);

/** Fuses into `head` (a Conv or MatMul) what follows it; returns the nodes it absorbed. */
function fuseTail(g: CompileGraph, head: Node, opset: number, removed: ReadonlySet<Node>): Node[] {
  const uses = new Uses({ ...g, nodes: g.nodes.filter((n) => !removed.has(n)) });
  const o = origin(head);
  const fused: FusedInfo = { ...(head.fused ?? {}), ops: [...o.ops], nodes: [...o.nodes] };
  const absorbed: Node[] = [];
  const matmul = head.opType === 'MatMul';
  const inputs = matmul ? [head.inputs[0], head.inputs[1], '', ''] : [head.inputs[0], head.inputs[1], head.inputs[2] ?? '', ''];
  let out = head.outputs[0];
  const take = (n: Node) => {
    fused.ops.push(n.opType);
    fused.nodes.push(n.name);
    absorbed.push(n);
    out = n.outputs[0];
  };
  // MatMul: + bias, N constants (the last dim of the output), the output's shape unchanged.
  const b = uses.soleReader(out);
  if (matmul && isOp(b, 'Add') && !fused.bias) {
    const bias = constant(g, other(b, out));
    const dims = g.shapes.get(out);
    if (bias && dims && dims.length >= 2 && bias.size === dims[dims.length - 1] && sameShape(g.shapes.get(b.outputs[0]), dims)) {
      inputs[2] = other(b, out)!;
      fused.bias = true;
      take(b);
    }
  }
  // + residual shaped like the output (a constant would be a bias: left alone).
  const add = uses.soleReader(out);
  if (isOp(add, 'Add') && !fused.residual) {
    const r = other(add, out);
    if (
      r &&
      r !== out &&
      !constant(g, r) &&
      sameShape(g.shapes.get(r), g.shapes.get(out)) &&
      sameShape(g.shapes.get(add.outputs[0]), g.shapes.get(out))
    ) {
      inputs[3] = r;
      fused.residual = true;
      take(add);
    }
  }
  const a = activationOf(g, uses, out, opset);
  if (a) {
    Object.assign(fused, { act: a.act, actAlpha: a.alpha, actBeta: a.beta });
    for (const n of a.nodes) take(n);
  }
  if (absorbed.length === 0) return [];
  while (inputs.length > 2 && inputs[inputs.length - 1] === '') inputs.pop();
  head.inputs = inputs;
  head.outputs = [out];
  head.fused = fused;
  return absorbed;
}

export const epilogueFusion: Pass = {
  name: 'epilogue-fusion',
  description: 'bias and residual Adds and activations (Relu, Clip, SiLU, Gelu...) after a Conv or MatMul fused into its kernel epilogue',
  run(g) {
    const notes: string[] = [];
    const opset = g.opsets.get('') ?? 1;
    const removed = new Set<Node>();
    for (const head of g.nodes) {
      if ((head.opType !== 'Conv' && head.opType !== 'MatMul') || head.domain !== '' || removed.has(head) || head.fused?.act) continue;
      const absorbed = fuseTail(g, head, opset, removed);
      if (absorbed.length === 0) continue;
      for (const n of absorbed) removed.add(n);
      notes.push(`fused ${absorbed.map((n) => n.name).join(', ')} into ${head.name} (${head.fused!.ops.join('+')})`);
    }
    g.nodes = g.nodes.filter((n) => !removed.has(n));
    return result(notes);
  },
};
