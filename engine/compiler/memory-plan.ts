// The static memory plan of a compiled graph: every intermediate value (not a graph input or an
// initializer) gets a lifetime, from the step that writes it to the last step that reads it (graph
// outputs live to the end), and an offset in one arena, placed first-fit among the values alive
// at the same time. The arena's size is what a plan runner allocates once per run state; the peak
// of live bytes is the floor no placement can beat.
import type { Graph } from '../graph.js';
import { topoSort } from '../executor.js';
import type { MemoryPlanInfo } from '../../common/profile.js';

export interface MemoryPlan extends MemoryPlanInfo {
  /** Arena offset of each planned value, bytes (64-byte aligned). */
  offsets: Map<string, number>;
}

const ALIGN = 64;

/** `bytes` holds each value's size as measured in a run with the bound inputs; values without one are left out (counted in `unplanned`). */
export function planMemory(g: Graph, bytes: ReadonlyMap<string, number>): MemoryPlan {
  const external = new Set([...g.inputs.map((i) => i.name), ...g.initializers.keys()]);
  const order = topoSort(g.nodes, external);
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  let unplanned = 0;
  order.forEach((n, step) => {
    for (const i of n.inputs) if (i && first.has(i)) last.set(i, step);
    for (const o of n.outputs) {
      if (!o) continue;
      if (!bytes.has(o)) {
        unplanned++;
        continue;
      }
      first.set(o, step);
      last.set(o, Math.max(last.get(o) ?? step, step));
    }
  });
  for (const o of g.outputs) if (first.has(o.name)) last.set(o.name, order.length);
  // Largest first, each at the lowest offset that overlaps no value alive at the same time.
  const values = [...first.keys()].sort((a, b) => bytes.get(b)! - bytes.get(a)! || first.get(a)! - first.get(b)!);
  const placed: { name: string; start: number; end: number; from: number; to: number }[] = [];
  const offsets = new Map<string, number>();
  let arena = 0;
  for (const v of values) {
    const size = Math.ceil(bytes.get(v)! / ALIGN) * ALIGN;
    const [from, to] = [first.get(v)!, last.get(v)!];
    const busy = placed.filter((p) => p.from <= to && from <= p.to).sort((a, b) => a.start - b.start);
    let at = 0;
    for (const p of busy) {
      if (at + size <= p.start) break;
      at = Math.max(at, p.end);
    }
    placed.push({ name: v, start: at, end: at + size, from, to });
    offsets.set(v, at);
    arena = Math.max(arena, at + size);
  }
  let peak = 0;
  for (let step = 0; step <= order.length; step++) {
    let live = 0;
    for (const p of placed) if (p.from <= step && step <= p.to) live += bytes.get(p.name)!;
    peak = Math.max(peak, live);
  }
  return { arena_bytes: arena, peak_live_bytes: peak, values: values.length, unplanned, offsets };
}
