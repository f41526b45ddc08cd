// Marks the MatMuls whose B is a constant 2-D float32 weight: their kernel call packs it into the
// micro-kernel's panels once, on the first run, instead of on every call as eager does.
import type { Pass } from '../pass.js';
import { result } from '../pass.js';
import { constant, origin } from '../ir.js';

export const weightPrepacking: Pass = {
  name: 'weight-prepacking',
  description: "MatMul weights packed into the micro-kernel's panel layout once, not on every run",
  run(g) {
    const notes: string[] = [];
    for (const n of g.nodes) {
      if (n.opType !== 'MatMul' || n.domain !== '' || n.fused?.prepackB) continue;
      const b = constant(g, n.inputs[1]);
      if (!b || b.dtype !== 'float32' || b.rank !== 2) continue;
      const o = origin(n);
      n.fused = { ...(n.fused ?? {}), ops: o.ops, nodes: o.nodes, prepackB: true };
      notes.push(`prepacked ${n.inputs[1]} (${b.dims.join('x')}) for ${n.name}`);
    }
    return result(notes);
  },
};
