// Runs a model one node at a time (baseline and eager modes), timing each node.
import type { Graph, Model, ModelFunction, Node, AttrValue } from './graph.js';
import { Tensor } from './tensor.js';
import { findOp, unsupportedMessage } from './registry.js';
import { Attrs, OpError, type KernelReport, type Mode, type OpContext, type OpEntry, type Value } from './ops/types.js';
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
  /** The value bound to `name` here or in an enclosing scope; undefined when none is (values are never undefined). */
  get(name: string): Value | undefined {
    const v = this.values.get(name);
    return v !== undefined ? v : this.parent?.get(name);
  }
}

/** What one run carries through every node: options, the timings it collects, the kernel time. */
interface RunState {
  readonly opts: RunOptions;
  readonly timings: NodeTiming[];
  kernelNs: number;
}

const TS_REFERENCE: KernelReport = { kernel: 'ts_reference', isa: 'scalar' };

/**
 * A node's OpContext, made once per plan and reused on every run: its attributes, its input
 * buffer and what its op keeps between runs (memo) stay; mode, threads, backend and the scope it
 * runs in are set before each call.
 */
class NodeContext implements OpContext {
  readonly attrs: Attrs;
  /** Scratch for the node's input values, refilled on every call. */
  readonly inputs: (Value | undefined)[];
  mode: Mode = 'eager';
  threads = 1;
  native!: NativeBackend;
  memo: unknown = undefined;
  last: KernelReport = TS_REFERENCE;
  scope!: Scope;
  state!: RunState;
  /** Subgraph path of the node's own scope ("" at top level). */
  path = '';

  constructor(
    private readonly plan: Plan,
    readonly node: Node,
    readonly opset: number,
    readonly entry: OpEntry | undefined,
    readonly fn: ModelFunction | undefined,
  ) {
    this.attrs = new Attrs(node);
    this.inputs = new Array<Value | undefined>(node.inputs.length);
  }

  /** The path of the subgraphs this node runs. */
  get innerPath(): string {
    return this.path ? `${this.path}/${this.node.name}` : this.node.name;
  }

  runSubgraph(sub: Graph, subInputs: Value[]): Value[] {
    const s = new Scope(this.scope);
    sub.initializers.forEach((v, k) => s.values.set(k, v));
    sub.inputs.forEach((vi, i) => s.values.set(vi.name, subInputs[i] ?? null));
    return this.plan.runGraph(sub, s, this.state, this.innerPath);
  }

  report(k: KernelReport): void {
    this.last = k;
  }
}

/**
 * A loaded model checked against the registry: every op (also in subgraphs) resolved before
 * anything runs. Immutable and reusable; each run keeps its own state.
 */
export class Plan {
  private readonly contexts = new Map<Node, NodeContext>();
  private readonly orders = new Map<Graph, NodeContext[]>();
  private readonly functions = new Map<string, ModelFunction>();
  /** Intermediate buffers recycled from run to run (per-run state kept off the hot path). */
  private readonly pool = new BufferPool();
  /** The main graph's initializers, the parent scope of every run. */
  private readonly constants = new Scope();

  constructor(readonly model: Model) {
    for (const f of model.functions) this.functions.set(`${f.domain}::${f.name}`, f);
    this.prepare(model.graph, model.opsets, new Set());
    for (const [k, v] of model.graph.initializers) this.constants.values.set(k, v);
  }

  private prepare(g: Graph, opsets: Map<string, number>, outer: Set<string>): void {
    const available = new Set<string>([...outer, ...g.inputs.map((i) => i.name), ...g.initializers.keys()]);
    for (const n of g.nodes) {
      const version = opsets.get(n.domain);
      const fn = this.functions.get(`${n.domain}::${n.opType}`);
      const entry = version !== undefined ? findOp(n.opType, n.domain, version) : undefined;
      if (!entry && !fn) {
        if (version === undefined) throw new OpError(`op ${n.opType} (node '${n.name}'): the model imports no opset for domain '${n.domain}'`);
        throw new OpError(`${unsupportedMessage(n.opType, n.domain, version)} (node '${n.name}')`);
      }
      this.contexts.set(n, new NodeContext(this, n, version ?? 0, entry, entry ? undefined : fn));
      if (fn && !entry) {
        const body: Graph = {
          name: fn.name,
          nodes: fn.nodes,
          inputs: fn.inputs.map((name) => ({ name })),
          outputs: fn.outputs.map((name) => ({ name })),
          initializers: new Map(),
          valueInfo: new Map(),
        };
        if (!(fn as ModelFunction & { body?: Graph }).body) {
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
    this.orders.set(
      g,
      topoSort(g.nodes, available).map((n) => this.contexts.get(n)!),
    );
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
    const state: RunState = { opts, timings: [], kernelNs: 0 };
    const scope = new Scope(this.constants);
    g.inputs.forEach((vi, i) => scope.values.set(vi.name, inputs[i]));
    const outputs = withPool(this.pool, () => this.runGraph(g, scope, state, ''));
    const keep = new Set<ArrayBufferLike>();
    for (const v of outputs) for (const t of v === null ? [] : 'kind' in v ? v.items : [v]) if (!Array.isArray(t.data)) keep.add(t.data.buffer);
    this.pool.reclaim(keep);
    return { outputs, timings: state.timings, kernelNs: state.kernelNs };
  }

  /** Runs a graph's nodes in order in `scope` (also the bodies of If/Loop/Scan through their node's context). */
  runGraph(g: Graph, scope: Scope, state: RunState, path: string): Value[] {
    const order = this.orders.get(g);
    if (!order) throw new Error(`graph '${g.name}' was not prepared with the plan`);
    const signal = state.opts.signal;
    for (let i = 0; i < order.length; i++) {
      if (signal?.aborted) throw new Error('the run was cancelled');
      this.runNode(order[i], scope, state, path);
    }
    return g.outputs.map((o) => {
      const v = scope.get(o.name);
      if (v === undefined) throw new Error(`graph output '${o.name}' was never produced`);
      return v;
    });
  }

  private runNode(ctx: NodeContext, scope: Scope, state: RunState, path: string): void {
    const node = ctx.node;
    const names = node.inputs;
    const inputs = ctx.inputs;
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      if (!name) {
        inputs[i] = undefined;
        continue;
      }
      const v = scope.get(name);
      if (v === undefined) throw new ExecutionError(node, `node '${node.name}' (${node.opType}): input '${name}' is not produced by any node`);
      inputs[i] = v;
    }
    const opts = state.opts;
    ctx.mode = opts.mode;
    ctx.threads = opts.threads;
    ctx.native = opts.native;
    ctx.scope = scope;
    ctx.state = state;
    ctx.path = path;
    ctx.last = TS_REFERENCE;
    const timed = opts.timings === true;
    const t0 = timed ? process.hrtime.bigint() : 0n;
    let outs: Value[];
    try {
      outs = ctx.entry ? ctx.entry.impl(ctx, inputs) : this.callFunction(ctx.fn!, node, inputs, state, ctx.innerPath);
    } catch (e) {
      if (e instanceof ExecutionError) throw e;
      const msg = e instanceof Error ? e.message : String(e);
      throw new ExecutionError(node, `node '${node.name}' (${node.opType}): ${msg}`);
    }
    const ns = timed ? Number(process.hrtime.bigint() - t0) : 0;
    const report = ctx.last;
    const kernelNs = report.nativeNs ?? 0;
    state.kernelNs += kernelNs;
    const outNames = node.outputs;
    for (let i = 0; i < outNames.length; i++) {
      if (outNames[i]) scope.values.set(outNames[i], outs[i] === undefined ? null : outs[i]);
    }
    if (timed) {
      let bytes = 0;
      for (const v of inputs) bytes += valueBytes(v);
      for (const v of outs) bytes += valueBytes(v);
      state.timings.push({
        node,
        scope: path,
        ns,
        startNs: Number(t0),
        kernel: report.kernel,
        isa: report.isa,
        flops: report.flops ?? 0,
        inputShapes: inputs.map(valueShape),
        outputShapes: outs.map(valueShape),
        bytes,
        kernelNs,
      });
    }
    // Drop the references so the scratch does not keep this run's tensors alive after it.
    inputs.fill(undefined);
  }

  private callFunction(fn: ModelFunction, node: Node, inputs: (Value | undefined)[], state: RunState, path: string): Value[] {
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
    for (const inner of this.orders.get(body)!) {
      // The call's attributes bind into the body's nodes: a context per call, not kept.
      const bound = new NodeContext(this, bind(inner.node), inner.opset, inner.entry, inner.fn);
      this.runNode(bound, s, state, path);
    }
    return fn.outputs.map((o) => s.get(o) ?? null);
  }
}

/** Convenience for tests: a tensor input list from tensors. */
export function tensors(...t: Tensor[]): Value[] {
  return t;
}
