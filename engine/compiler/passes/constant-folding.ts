// Evaluates ahead of time what does not depend on the inputs: Constant nodes, Shape and Size of
// values whose shape the bound inputs fix, and then every node whose inputs are all constants
// (the Shape -> Gather -> Concat -> Reshape chains exporters emit). Each such node runs once, on
// the reference TypeScript ops, and its outputs become initializers.
import type { Node } from '../../graph.js';
import { Plan } from '../../executor.js';
import { Tensor } from '../../tensor.js';
import type { Value } from '../../ops/types.js';
import type { NativeBackend } from '../../native.js';
import type { Pass } from '../pass.js';
import { result } from '../pass.js';
import { constant, Uses, type CompileGraph } from '../ir.js';

/** Ops whose output differs between runs, or that stand for a whole computation: never folded. */
const NEVER = new Set([
  'RandomNormal',
  'RandomNormalLike',
  'RandomUniform',
  'RandomUniformLike',
  'Multinomial',
  'Bernoulli',
  'If',
  'Loop',
  'Scan',
  'SequenceMap',
]);
/** Folded outputs above this many elements (64 MB of float32) stay computed at run time. */
const MAX_FOLDED_ELEMENTS = 1 << 24;

/** Shape/Size of a value of known shape, per their ONNX definitions (start/end clamp, negatives from the end). */
function shapeConstant(g: CompileGraph, n: Node): Tensor | undefined {
  if (n.domain !== '' || (n.opType !== 'Shape' && n.opType !== 'Size')) return undefined;
  const dims = g.shapes.get(n.inputs[0]);
  if (!dims) return undefined;
  if (n.opType === 'Size')
    return Tensor.scalar(
      'int64',
      dims.reduce((a, b) => a * b, 1),
    );
  const r = dims.length;
  const at = (name: string, dflt: number) => {
    const a = n.attrs[name];
    let v = a && a.type === 'int' ? a.value : dflt;
    if (v < 0) v += r;
    return Math.min(Math.max(v, 0), r);
  };
  const part = dims.slice(at('start', 0), at('end', r));
  return Tensor.fromNumbers('int64', [part.length], part);
}

function evaluate(g: CompileGraph, n: Node): Tensor[] | undefined {
  const inputs = n.inputs.filter(Boolean);
  const model = {
    path: '(constant folding)',
    irVersion: 8,
    producer: '',
    opsets: new Map(g.opsets),
    functions: [...g.functions],
    bytes: 0,
    graph: {
      name: 'fold',
      nodes: [n],
      inputs: [],
      outputs: n.outputs.filter(Boolean).map((name) => ({ name })),
      initializers: new Map(inputs.map((i) => [i, constant(g, i)!])),
      valueInfo: new Map(),
    },
  };
  let outputs: Value[];
  try {
    outputs = new Plan(model).run([], { mode: 'baseline', threads: 1, native: undefined as unknown as NativeBackend }).outputs;
  } catch {
    return undefined; // left for run time, where the error (if any) is reported with the run
  }
  if (!outputs.every((v): v is Tensor => v instanceof Tensor && v.size <= MAX_FOLDED_ELEMENTS)) return undefined;
  return outputs;
}

export const constantFolding: Pass = {
  name: 'constant-folding',
  description: 'Constant nodes, Shape/Size of known shapes and nodes of constant inputs evaluated once, into initializers',
  run(g) {
    const notes: string[] = [];
    const unfoldable = new Set<Node>();
    let changed = true;
    while (changed) {
      changed = false;
      const uses = new Uses(g);
      const kept: Node[] = [];
      for (const n of g.nodes) {
        const outs = n.outputs.filter(Boolean);
        // Graph outputs and values subgraphs read keep their node (an initializer cannot stand for them everywhere).
        const foldable =
          !unfoldable.has(n) &&
          outs.length === n.outputs.length &&
          !NEVER.has(n.opType) &&
          !Object.values(n.attrs).some((a) => a.type === 'graph' || a.type === 'graphs') &&
          !outs.some((o) => uses.pinned(o));
        const shaped = foldable ? shapeConstant(g, n) : undefined;
        const values = shaped ? [shaped] : foldable && n.inputs.every((i) => !i || constant(g, i)) ? evaluate(g, n) : undefined;
        if (!values) {
          if (foldable && n.inputs.every((i) => !i || constant(g, i))) unfoldable.add(n);
          kept.push(n);
          continue;
        }
        outs.forEach((o, k) => g.initializers.set(o, values[k]));
        notes.push(`folded ${n.opType} ${n.name}${shaped ? ` (shape [${g.shapes.get(n.inputs[0])!.join(',')}])` : ''}`);
        changed = true;
      }
      g.nodes = kept;
    }
    return result(notes);
  },
};
