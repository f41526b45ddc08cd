// Removes Identity nodes, and inference-mode Dropout (one output, no training_mode input): their
// readers read the input instead. One that writes a graph output stays (the name must be kept).
import type { Pass } from '../pass.js';
import { result } from '../pass.js';
import { Uses } from '../ir.js';

export const identityElimination: Pass = {
  name: 'identity-elimination',
  description: 'Identity and inference Dropout removed, their readers rewired to the input',
  run(g) {
    const notes: string[] = [];
    const uses = new Uses(g);
    const removed = new Set<(typeof g.nodes)[number]>();
    for (const n of g.nodes) {
      const noop =
        (n.opType === 'Identity' && n.domain === '') ||
        (n.opType === 'Dropout' && n.domain === '' && n.outputs.filter(Boolean).length === 1 && !n.inputs[2]);
      if (!noop || !n.inputs[0] || uses.pinned(n.outputs[0])) continue;
      const from = n.inputs[0];
      const to = n.outputs[0];
      for (const r of uses.of(to)) r.inputs = r.inputs.map((i) => (i === to ? from : i));
      removed.add(n);
      notes.push(`removed ${n.opType} ${n.name}`);
    }
    g.nodes = g.nodes.filter((n) => !removed.has(n));
    return result(notes);
  },
};
