// Checks a graph is a well-formed dataflow graph before anything runs it: every value has one
// producer (static single assignment), no node depends on itself through others, and every value
// a node reads is defined (by a node, a graph input, an initializer, or an enclosing graph for
// subgraphs). The loader runs it on every model and the graph compiler after every pass, so a
// file that breaks one of these is refused with the nodes named, not run into a wrong result.
import type { Graph, Node } from '../graph.js';

export class GraphError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphError';
  }
}

const label = (n: Node) => `'${n.name}' (${n.opType})`;

function subgraphs(n: Node): Graph[] {
  const out: Graph[] = [];
  for (const a of Object.values(n.attrs)) {
    if (a.type === 'graph') out.push(a.value);
    else if (a.type === 'graphs') out.push(...a.value);
  }
  return out;
}

/**
 * Throws a GraphError naming the first problem found in `g` or its subgraphs. `outer` holds the
 * names an enclosing graph defines (subgraphs may read them).
 */
export function verifyGraph(g: Graph, outer: ReadonlySet<string> = new Set()): void {
  // Single assignment: a graph input or initializer, or exactly one node output, per name.
  const defined = new Map<string, Node | 'input' | 'initializer'>();
  for (const name of g.initializers.keys()) defined.set(name, 'initializer');
  for (const vi of g.inputs) defined.set(vi.name, 'input');
  for (const n of g.nodes) {
    for (const o of n.outputs) {
      if (!o) continue;
      const prev = defined.get(o);
      if (prev === undefined) {
        defined.set(o, n);
      } else if (typeof prev === 'string') {
        throw new GraphError(`node ${label(n)} writes '${o}', which is already a graph ${prev}${g.name ? ` of '${g.name}'` : ''}`);
      } else if (prev === n) {
        throw new GraphError(`node ${label(n)} lists output '${o}' twice`);
      } else {
        throw new GraphError(`value '${o}' is written by two nodes: ${label(prev)} and ${label(n)}`);
      }
    }
  }
  const visible = (name: string) => defined.has(name) || outer.has(name);
  // Every input defined; subgraphs see this graph's names and the enclosing ones.
  let inner: Set<string> | undefined;
  for (const n of g.nodes) {
    for (const i of n.inputs) {
      if (i && !visible(i)) throw new GraphError(`node ${label(n)} reads '${i}', which no node, graph input or initializer defines`);
    }
    for (const s of subgraphs(n)) {
      inner ??= new Set([...outer, ...defined.keys()]);
      verifyGraph(s, inner);
    }
  }
  for (const o of g.outputs) {
    if (!visible(o.name)) throw new GraphError(`graph output '${o.name}' is never produced`);
  }
  // No cycles: depth-first over producers, iteratively (graphs have thousands of nodes).
  const producer = new Map<string, number>();
  g.nodes.forEach((n, i) => n.outputs.forEach((o) => o && producer.set(o, i)));
  const deps = g.nodes.map((n) => {
    const d: number[] = [];
    for (const i of n.inputs) {
      const p = i ? producer.get(i) : undefined;
      if (p !== undefined) d.push(p);
    }
    return d;
  });
  const state = new Uint8Array(g.nodes.length); // 0 new, 1 on the stack, 2 done
  for (let root = 0; root < g.nodes.length; root++) {
    if (state[root]) continue;
    const stack: [number, number][] = [[root, 0]];
    state[root] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [i, k] = top;
      if (k < deps[i].length) {
        top[1]++;
        const d = deps[i][k];
        if (state[d] === 1) {
          const path = stack.slice(stack.findIndex(([j]) => j === d)).map(([j]) => label(g.nodes[j]));
          throw new GraphError(`the graph has a cycle: ${[...path, label(g.nodes[d])].join(' -> ')}`);
        }
        if (state[d] === 0) {
          state[d] = 1;
          stack.push([d, 0]);
        }
      } else {
        state[i] = 2;
        stack.pop();
      }
    }
  }
}
