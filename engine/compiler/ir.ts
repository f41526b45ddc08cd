// The graph compiler's working form: a copy of the loaded graph that passes may rewrite (the
// loaded model stays as it was: eager keeps running it), with the facts passes ask about it.
import type { Graph, Model, ModelFunction, Node } from '../graph.js';
import type { Tensor } from '../tensor.js';

export interface CompileGraph extends Graph {
  /** Concrete shapes of values, where a run with the bound inputs saw them (empty when unknown). */
  shapes: Map<string, readonly number[]>;
  /** The model's opset imports (passes that emit contrib ops add their domain) and functions. */
  opsets: ReadonlyMap<string, number>;
  functions: readonly ModelFunction[];
}

/** A copy of the model's graph whose node list, nodes and initializer map passes may change (tensors are shared, never written). */
export function workingCopy(model: Model, shapes: ReadonlyMap<string, readonly number[]> = new Map()): CompileGraph {
  const g = model.graph;
  return {
    ...g,
    opsets: model.opsets,
    functions: model.functions,
    nodes: g.nodes.map((n) => ({ ...n, inputs: n.inputs.slice(), outputs: n.outputs.slice(), attrs: { ...n.attrs } })),
    inputs: g.inputs.slice(),
    outputs: g.outputs.slice(),
    initializers: new Map(g.initializers),
    valueInfo: new Map(g.valueInfo),
    shapes: new Map(shapes),
  };
}

/** Names subgraphs (If/Loop/Scan bodies) read from the enclosing graph: they count as uses. */
function subgraphReads(n: Node, into: Set<string>): void {
  for (const a of Object.values(n.attrs)) {
    const subs = a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
    for (const s of subs) {
      for (const m of s.nodes) {
        for (const i of m.inputs) if (i) into.add(i);
        subgraphReads(m, into);
      }
    }
  }
}

/** Who reads each value: node readers (a node reading a value twice is listed twice) and graph outputs. */
export class Uses {
  private readonly readers = new Map<string, Node[]>();
  private readonly outputs: Set<string>;
  private readonly captured = new Set<string>();

  constructor(g: Graph) {
    this.outputs = new Set(g.outputs.map((o) => o.name));
    for (const n of g.nodes) {
      for (const i of n.inputs) {
        if (!i) continue;
        let r = this.readers.get(i);
        if (!r) this.readers.set(i, (r = []));
        r.push(n);
      }
      subgraphReads(n, this.captured);
    }
  }

  /** The nodes reading `name` (not counting subgraphs or graph outputs). */
  of(name: string): readonly Node[] {
    return this.readers.get(name) ?? [];
  }

  /** True when `name` is a graph output or read inside a subgraph: it must keep its name and value. */
  pinned(name: string): boolean {
    return this.outputs.has(name) || this.captured.has(name);
  }

  /** The single node reading `name`, when exactly one does and nothing else needs the value. */
  soleReader(name: string): Node | undefined {
    const r = this.of(name);
    return r.length === 1 && !this.pinned(name) ? r[0] : undefined;
  }

  used(name: string): boolean {
    return this.of(name).length > 0 || this.pinned(name);
  }
}

/** The constant tensor behind `name`: an initializer that no graph input overrides. */
export function constant(g: Graph, name: string | undefined): Tensor | undefined {
  if (!name) return undefined;
  if (g.inputs.some((i) => i.name === name)) return undefined;
  return g.initializers.get(name);
}

/** A name no value of `g` has yet, made from `base`. */
export function freshName(g: Graph, base: string): string {
  const taken = (n: string) => g.initializers.has(n) || g.nodes.some((x) => x.outputs.includes(n)) || g.inputs.some((i) => i.name === n);
  if (!taken(base)) return base;
  for (let k = 1; ; k++) if (!taken(`${base}_${k}`)) return `${base}_${k}`;
}

/** The op types and names a node stands for (the file's own node, or what the compiler fused into it). */
export function origin(n: Node): { ops: string[]; nodes: string[] } {
  return n.fused ? { ops: n.fused.ops, nodes: n.fused.nodes } : { ops: [n.opType], nodes: [n.name] };
}
