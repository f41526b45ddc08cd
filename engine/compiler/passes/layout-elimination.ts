// Removes data movement that does nothing or undoes itself, with the shapes of the bound inputs:
// a Reshape/Squeeze/Unsqueeze/Flatten whose output has its input's shape, a Transpose whose
// permutation is the identity, a Reshape of a Reshape (the outer one then reshapes the first
// input straight to the shape it produced), and a Transpose of a Transpose (one, with the
// composed permutation, or none).
import type { Node } from '../../graph.js';
import { Tensor } from '../../tensor.js';
import type { Pass } from '../pass.js';
import { result } from '../pass.js';
import { freshName, Uses, type CompileGraph } from '../ir.js';

const RESHAPES = new Set(['Reshape', 'Squeeze', 'Unsqueeze', 'Flatten']);
const same = (a: readonly number[] | undefined, b: readonly number[] | undefined) =>
  !!a && !!b && a.length === b.length && a.every((d, i) => d === b[i]);

function perm(n: Node, rank: number | undefined): number[] | undefined {
  const a = n.attrs.perm;
  if (a && a.type === 'ints') return a.value;
  return rank === undefined ? undefined : Array.from({ length: rank }, (_, i) => rank - 1 - i);
}

export const layoutElimination: Pass = {
  name: 'layout-elimination',
  description: 'Reshapes and Transposes that change nothing, or undo one another, removed or merged',
  run(g: CompileGraph) {
    const notes: string[] = [];
    const removed = new Set<Node>();
    const rewire = (n: Node, uses: Uses) => {
      for (const r of uses.of(n.outputs[0])) r.inputs = r.inputs.map((i) => (i === n.outputs[0] ? n.inputs[0] : i));
      removed.add(n);
    };
    // Who reads and who writes each value, made again only after a rewrite.
    let index: { uses: Uses; producer: Map<string, Node> } | undefined;
    for (const n of g.nodes) {
      if (n.domain !== '' || removed.has(n) || !n.inputs[0] || (!RESHAPES.has(n.opType) && n.opType !== 'Transpose')) continue;
      if (!index) {
        const live = g.nodes.filter((x) => !removed.has(x));
        index = {
          uses: new Uses({ ...g, nodes: live }),
          producer: new Map(live.flatMap((x) => x.outputs.filter(Boolean).map((o) => [o, x] as const))),
        };
      }
      const { uses, producer } = index;
      const before = removed.size + notes.length;
      const inShape = g.shapes.get(n.inputs[0]);
      const outShape = g.shapes.get(n.outputs[0]);
      const p = n.opType === 'Transpose' ? perm(n, inShape?.length) : undefined;
      const noop = n.opType === 'Transpose' ? !!p && p.every((v, i) => v === i) : same(inShape, outShape);
      if (noop && !uses.pinned(n.outputs[0])) {
        rewire(n, uses);
        notes.push(`removed ${n.opType} ${n.name} (changes nothing)`);
        index = undefined;
        continue;
      }
      const inner = producer.get(n.inputs[0]);
      if (!inner || inner.domain !== '' || uses.soleReader(inner.outputs[0]) !== n) continue;
      if (n.opType === 'Reshape' && RESHAPES.has(inner.opType) && outShape && outShape.every((d) => d > 0)) {
        // The outer Reshape now reshapes the inner one's input, to the shape it produced.
        const shapeName = freshName(g, `${n.name}_shape`);
        g.initializers.set(shapeName, Tensor.fromNumbers('int64', [outShape.length], outShape));
        g.shapes.set(shapeName, [outShape.length]);
        n.inputs = [inner.inputs[0], shapeName];
        removed.add(inner);
        notes.push(`merged ${inner.opType} ${inner.name} into Reshape ${n.name}`);
      } else if (n.opType === 'Transpose' && inner.opType === 'Transpose') {
        const rank = g.shapes.get(inner.inputs[0])?.length;
        const [p1, p2] = [perm(inner, rank), perm(n, rank)];
        if (!p1 || !p2 || p1.length !== p2.length) continue;
        const composed = p2.map((i) => p1[i]);
        removed.add(inner);
        n.inputs = [inner.inputs[0]];
        if (composed.every((v, i) => v === i) && !uses.pinned(n.outputs[0])) {
          rewire(n, uses);
          notes.push(`removed Transposes ${inner.name} and ${n.name} (they cancel)`);
        } else {
          n.attrs = { ...n.attrs, perm: { type: 'ints', value: composed } };
          notes.push(`merged Transpose ${inner.name} into ${n.name}`);
        }
      }
      if (removed.size + notes.length !== before) index = undefined;
    }
    g.nodes = g.nodes.filter((n) => !removed.has(n));
    return result(notes);
  },
};
