// Removes nodes whose outputs nothing reads (no node, graph output or subgraph), repeatedly, and
// then the initializers nothing reads any more.
import type { Pass } from '../pass.js';
import { result } from '../pass.js';
import { Uses } from '../ir.js';

export const deadNodeElimination: Pass = {
  name: 'dead-node-elimination',
  description: 'nodes whose outputs nothing reads removed, then unread initializers',
  run(g) {
    const notes: string[] = [];
    for (;;) {
      const uses = new Uses(g);
      const dead = g.nodes.filter((n) => !n.outputs.some((o) => o && uses.used(o)));
      if (dead.length === 0) break;
      for (const n of dead) notes.push(`removed ${n.opType} ${n.name} (nothing reads it)`);
      g.nodes = g.nodes.filter((n) => !dead.includes(n));
    }
    const uses = new Uses(g);
    let dropped = 0;
    for (const name of [...g.initializers.keys()]) {
      if (!uses.used(name) && !g.inputs.some((i) => i.name === name)) {
        g.initializers.delete(name);
        dropped++;
      }
    }
    if (dropped) notes.push(`dropped ${dropped} initializer(s) nothing reads`);
    return result(notes, notes.length - (dropped ? 1 : 0) + dropped);
  },
};
