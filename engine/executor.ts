// Runs a model one node at a time (baseline and eager modes), timing each node.
import type { Graph, Model, ModelFunction, Node, AttrValue } from './graph.js';
import { Tensor } from './tensor.js';
import { findOp, unsupportedMessage } from './registry.js';
import { Attrs, OpError, type KernelReport, type Mode, type OpEntry, type Value } from './ops/types.js';
import type { NativeBackend } from './native.js';
import { BufferPool, withPool } from './buffer-pool.js';

export interface NodeTiming {
  node: Node;
  /** Path of subgraph owners for nodes inside If/Loop/Scan bodies or functions, empty at top level. */
  scope: string;
  /** Wall time of the node's dispatch and kernel, nanoseconds (monotonic clock). */
  ns: number;
  /** Start on the monotonic clock, nanoseconds (for timelines). */
  startNs: number;
  kernel: string;
  isa: string;
  flops: number;
  /** Input shapes (null for sequences or omitted inputs). */
  inputShapes: (number[] | null)[];
  outputShapes: (number[] | null)[];
  /** Bytes of the input and output tensors (what the op must at least move). */
  bytes: number;
  /** Nanoseconds the native kernels reported for this node (0 when it ran in TypeScript). */
  kernelNs: number;
}

export interface RunOptions {
  mode: Mode;
  threads: number;
  native: NativeBackend;
  /** Collect per-node timings (off for warm-up runs). */
  timings?: boolean;
  /** Checked between nodes; an aborted run throws. */
  signal?: AbortSignal;
}

export interface RunResult {
  outputs: Value[];
  timings: NodeTiming[];
  /** Nanoseconds the native kernels reported over the whole run (kept with timings off too). */
  kernelNs: number;
}

export class ExecutionError extends Error {
  constructor(
    readonly node: Node,
    message: string,
  ) {
    super(message);
    this.name = 'ExecutionError';
  }
}

function valueBytes(v: Value | undefined): number {
  if (!v || 'kind' in v) return 0;
  const d = v.data;
  return Array.isArray(d) ? d.length * 8 : d.byteLength;
}

function valueShape(v: Value | undefined): number[] | null {
  return v && !('kind' in v) ? (v.dims as number[]) : null;
}

/** Names a subgraph reads from enclosing scopes (implicit inputs), recursively. */
function outerNames(g: Graph): Set<string> {
  const defined = new Set<string>([...g.inputs.map((i) => i.name), ...g.initializers.keys()]);
  const used = new Set<string>();
  for (const n of g.nodes) {
    for (const i of n.inputs) if (i && !defined.has(i)) used.add(i);
    for (const a of Object.values(n.attrs)) {
      const subs = a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
      for (const s of subs) for (const u of outerNames(s)) if (!defined.has(u)) used.add(u);
    }
    for (const o of n.outputs) defined.add(o);
  }
  return used;
}

function nodeDeps(n: Node): string[] {
  const deps = n.inputs.filter(Boolean);
  for (const a of Object.values(n.attrs)) {
    const subs = a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
    for (const s of subs) deps.push(...outerNames(s));
  }
  return deps;
}

/** Orders nodes so every input is produced before use (files are meant to be sorted, not all are). */
export function topoSort(nodes: Node[], available: Set<string>): Node[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((o) => o && producer.set(o, i)));
  const order: Node[] = [];
  const state = new Uint8Array(nodes.length); // 0 new, 1 visiting, 2 done
  const visit = (i: number) => {
    if (state[i] === 2) return;
    if (state[i] === 1) throw new Error(`the graph has a cycle through node '${nodes[i].name}'`);
    state[i] = 1;
    for (const d of nodeDeps(nodes[i])) {
      if (available.has(d)) continue;
      const p = producer.get(d);
      if (p !== undefined && p !== i) visit(p);
    }
    state[i] = 2;
    order.push(nodes[i]);
  };
  // Iterative outer loop keeps file order for independent nodes.
  for (let i = 0; i < nodes.length; i++) visit(i);
  return order;
}

class Scope {
  readonly values = new Map<string, Value>();
  constructor(readonly parent?: Scope) {}
  get(name: string): Value | undefined {
    return this.values.has(name) ? this.values.get(name) : this.parent?.get(name);
  }
  has(name: string): boolean {
    return this.values.has(name) || (this.parent?.has(name) ?? false);
  }
}

interface Resolved {
  entry?: OpEntry;
  fn?: ModelFunction;
  version: number;
}

/**
 * A loaded model checked against the registry: every op (also in subgraphs) resolved before
 * anything runs. Immutable and reusable; each run keeps its own state.
 */
export class Plan {
  private readonly resolved = new Map<Node, Resolved>();
  private readonly orders = new Map<Graph, Node[]>();
  private readonly functions = new Map<string, ModelFunction>();
  /** Intermediate buffers recycled from run to run (per-run state kept off the hot path). */
  private readonly pool = new BufferPool();

  constructor(readonly model: Model) {
    for (const f of model.functions) this.functions.set(`${f.domain}::${f.name}`, f);
    this.prepare(model.graph, model.opsets, new Set());
  }

  private prepare(g: Graph, opsets: Map<string, number>, outer: Set<string>): void {
    const available = new Set<string>([...outer, ...g.inputs.map((i) => i.name), ...g.initializers.keys()]);
    this.orders.set(g, topoSort(g.nodes, available));
    for (const n of g.nodes) {
      const version = opsets.get(n.domain);
      const fn = this.functions.get(`${n.domain}::${n.opType}`);
      const entry = version !== undefined ? findOp(n.opType, n.domain, version) : undefined;
      if (!entry && !fn) {
        if (version === undefined) throw new OpError(`op ${n.opType} (node '${n.name}'): the model imports no opset for domain '${n.domain}'`);
        throw new OpError(`${unsupportedMessage(n.opType, n.domain, version)} (node '${n.name}')`);
      }
      this.resolved.set(n, { entry, fn: entry ? undefined : fn, version: version ?? 0 });
      if (fn && !entry) {
        const body: Graph = {
          name: fn.name,
          nodes: fn.nodes,
          inputs: fn.inputs.map((name) => ({ name })),
          outputs: fn.outputs.map((name) => ({ name })),
          initializers: new Map(),
          valueInfo: new Map(),
        };
        if (!this.orders.has(body)) {
          const merged = new Map([...opsets, ...fn.opsets]);
          this.prepare(body, merged, new Set());
          (fn as ModelFunction & { body?: Graph }).body = body;
        }
      }
      for (const a of Object.values(n.attrs)) {
        const subs = a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
        for (const s of subs) this.prepare(s, opsets, new Set([...available, ...g.nodes.flatMap((x) => x.outputs)]));
      }
    }
  }

  /** Number of nodes in the main graph. */
  get nodeCount(): number {
    return this.model.graph.nodes.length;
  }

  run(inputs: Value[], opts: RunOptions): RunResult {
    const g = this.model.graph;
    if (inputs.length !== g.inputs.length) {
      throw new Error(`the model has ${g.inputs.length} inputs (${g.inputs.map((i) => i.name).join(', ')}), ${inputs.length} were given`);
    }
    const timings: NodeTiming[] = [];
    const scope = new Scope();
    for (const [k, v] of g.initializers) scope.values.set(k, v);
    g.inputs.forEach((vi, i) => scope.values.set(vi.name, inputs[i]));
    const state = { kernelNs: 0 };
    const outputs = withPool(this.pool, () => this.runGraph(g, scope, opts, timings, '', state));
    const keep = new Set<ArrayBufferLike>();
    for (const v of outputs) for (const t of v === null ? [] : 'kind' in v ? v.items : [v]) if (!Array.isArray(t.data)) keep.add(t.data.buffer);
    this.pool.reclaim(keep);
    return { outputs, timings, kernelNs: state.kernelNs };
  }

  private runGraph(g: Graph, scope: Scope, opts: RunOptions, timings: NodeTiming[], path: string, state: { kernelNs: number }): Value[] {
    const order = this.orders.get(g) ?? topoSort(g.nodes, new Set());
    for (const node of order) {
      if (opts.signal?.aborted) throw new Error('the run was cancelled');
      this.runNode(node, scope, opts, timings, path, state);
    }
    return g.outputs.map((o) => {
      if (!scope.has(o.name)) throw new Error(`graph output '${o.name}' was never produced`);
      return scope.get(o.name) ?? null;
    });
  }

  private runNode(node: Node, scope: Scope, opts: RunOptions, timings: NodeTiming[], path: string, state: { kernelNs: number }): void {
    const r = this.resolved.get(node);
    if (!r) throw new ExecutionError(node, `node '${node.name}' was not prepared`);
    const inputs = node.inputs.map((name) => {
      if (!name) return undefined;
      if (!scope.has(name)) throw new ExecutionError(node, `node '${node.name}' (${node.opType}): input '${name}' is not produced by any node`);
      return scope.get(name);
    });
    let report: KernelReport = { kernel: 'ts_reference', isa: 'scalar' };
    const innerPath = path ? `${path}/${node.name}` : node.name;
    const ctx = {
      node,
      opset: r.version,
      mode: opts.mode,
      threads: opts.threads,
      attrs: new Attrs(node),
      native: opts.native,
      runSubgraph: (sub: Graph, subInputs: Value[]) => {
        const s = new Scope(scope);
        sub.initializers.forEach((v, k) => s.values.set(k, v));
        sub.inputs.forEach((vi, i) => s.values.set(vi.name, subInputs[i] ?? null));
        return this.runGraph(sub, s, opts, timings, innerPath, state);
      },
      report: (k: KernelReport) => {
        report = k;
      },
    };
    const t0 = process.hrtime.bigint();
    let outs: Value[];
    try {
      outs = r.entry ? r.entry.impl(ctx, inputs) : this.callFunction(r.fn!, node, inputs, opts, timings, innerPath, state);
    } catch (e) {
      if (e instanceof ExecutionError) throw e;
      const msg = e instanceof Error ? e.message : String(e);
      throw new ExecutionError(node, `node '${node.name}' (${node.opType}): ${msg}`);
    }
    const ns = Number(process.hrtime.bigint() - t0);
    const kernelNs = report.nativeNs ?? 0;
    state.kernelNs += kernelNs;
    node.outputs.forEach((name, i) => {
      if (name) scope.values.set(name, outs[i] === undefined ? null : outs[i]);
    });
    if (opts.timings) {
      timings.push({
        node,
        scope: path,
        ns,
        startNs: Number(t0),
        kernel: report.kernel,
        isa: report.isa,
        flops: report.flops ?? 0,
        inputShapes: inputs.map(valueShape),
        outputShapes: outs.map(valueShape),
        bytes: inputs.reduce((a: number, v) => a + valueBytes(v), 0) + outs.reduce((a: number, v) => a + valueBytes(v), 0),
        kernelNs,
      });
    }
  }

  private callFunction(
    fn: ModelFunction,
    node: Node,
    inputs: (Value | undefined)[],
    opts: RunOptions,
    timings: NodeTiming[],
    path: string,
    state: { kernelNs: number },
  ): Value[] {
    const body = (fn as ModelFunction & { body?: Graph }).body!;
    const attrs: Record<string, AttrValue> = { ...fn.attributeDefaults, ...node.attrs };
    const bind = (n: Node): Node => {
      const out: Record<string, AttrValue> = {};
      for (const [k, a] of Object.entries(n.attrs)) {
        const ref = (a as AttrValue & { ref?: string }).ref;
        if (ref === undefined) out[k] = a;
        else if (attrs[ref]) out[k] = attrs[ref];
      }
      return { ...n, attrs: out };
    };
    const s = new Scope();
    fn.inputs.forEach((name, i) => s.values.set(name, inputs[i] ?? null));
    const order = this.orders.get(body)!;
    for (const inner of order) {
      const bound = bind(inner);
      this.resolved.set(bound, this.resolved.get(inner)!);
      this.runNode(bound, s, opts, timings, path, state);
      this.resolved.delete(bound);
    }
    return fn.outputs.map((o) => s.get(o) ?? null);
  }
}

/** Convenience for tests: a tensor input list from tensors. */
export function tensors(...t: Tensor[]): Value[] {
  return t;
}
