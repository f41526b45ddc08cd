// Runs a model one node at a time (baseline and eager modes), timing each node.
import type { Graph, Model, ModelFunction, Node, AttrValue } from './graph.js';
import { Tensor } from './tensor.js';
import { findOp, unsupportedMessage } from './registry.js';
import { Attrs, OpError, type KernelReport, type Mode, type OpContext, type OpEntry, type Value } from './ops/types.js';
import type { NativeBackend } from './native.js';
import type { RecordedCall } from './native-calls.js';
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
  /** Bytes of each output (what a memory plan must hold for it). */
  outputBytes: number[];
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

/** Counts (retain) or uncounts a value's float32 buffers as used by a live graph value. */
function useBuffers(pool: BufferPool, v: Value | undefined, retain: boolean): void {
  if (!v) return;
  if ('kind' in v) {
    for (const t of v.items) useBuffers(pool, t, retain);
    return;
  }
  const d = v.data;
  if (!(d instanceof Float32Array)) return;
  if (retain) pool.retain(d.buffer);
  else pool.release(d.buffer);
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

/** Where a node reads its inputs by name: a subgraph scope, or the main graph's values of a run. */
interface Lookup {
  get(name: string): Value | undefined;
}

/** The values of a subgraph run (If/Loop/Scan bodies, function bodies), by name, over the enclosing ones. */
class Scope implements Lookup {
  readonly values = new Map<string, Value>();
  constructor(readonly parent?: Lookup) {}
  /** The value bound to `name` here or in an enclosing scope; undefined when none is (values are never undefined). */
  get(name: string): Value | undefined {
    const v = this.values.get(name);
    return v !== undefined ? v : this.parent?.get(name);
  }
}

/**
 * The main graph's values during one run, one slot per name (numbered when the plan is made), so
 * its nodes read and write arrays instead of hashing names; subgraphs see them by name.
 */
class Slots implements Lookup {
  values: (Value | undefined)[] = [];
  constructor(private readonly slotOf: ReadonlyMap<string, number>) {}
  get(name: string): Value | undefined {
    const i = this.slotOf.get(name);
    return i === undefined ? undefined : this.values[i];
  }
}

/** What one run carries through every node: options, the timings it collects, the kernel time. */
interface RunState {
  opts: RunOptions;
  timings: NodeTiming[];
  kernelNs: number;
  /** Where the run's intermediate buffers come from and go back to. */
  pool: BufferPool;
  /** A recording run: what each main-graph node did (see Plan.record). */
  recording?: RecordedStep[];
}

/** One main-graph node of a recorded run: its values, and the prepared-call runs it made. */
export interface RecordedStep {
  node: Node;
  /** Index of the node in the plan's run order (what Plan.replay runs). */
  index: number;
  inputs: (Value | undefined)[];
  outputs: Value[];
  calls: RecordedCall[];
  report: KernelReport;
  timing: NodeTiming;
}

/** A run of a plan's main-graph nodes one at a time, driven from outside (a graph program's callbacks). */
export interface PlanReplay {
  /** Runs node `index` of the run order; returns the nanoseconds its native kernels reported. */
  node(index: number): number;
  /** The value in `slot` now. */
  get(slot: number): Value | undefined;
  /** The run is over: nothing of it stays reachable from the plan. */
  end(): void;
}

const TS_REFERENCE: KernelReport = { kernel: 'ts_reference', isa: 'scalar' };

/**
 * A node's OpContext, made once per plan and reused on every run: its attributes, its value
 * slots and liveness (main graph) and what its op keeps between runs (memo) stay; mode, threads,
 * backend and the scope it runs in are set before each call.
 */
class NodeContext implements OpContext {
  readonly attrs: Attrs;
  /** Main-graph nodes: the slot of each input (-1 where omitted) and output (-1 where unnamed). */
  inSlots?: Int32Array;
  outSlots?: Int32Array;
  /** Main-graph nodes: the slots whose last use is this node (their buffers go back to the pool after it). */
  dying?: Int32Array;
  mode: Mode = 'eager';
  threads = 1;
  native!: NativeBackend;
  memo: unknown = undefined;
  last: KernelReport = TS_REFERENCE;
  lookup!: Lookup;
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
  }

  /** The path of the subgraphs this node runs. */
  get innerPath(): string {
    return this.path ? `${this.path}/${this.node.name}` : this.node.name;
  }

  runSubgraph(sub: Graph, subInputs: Value[]): Value[] {
    const s = new Scope(this.lookup);
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
  /** The main graph's value slots, and the values every run starts from (its initializers). */
  private readonly slotOf = new Map<string, number>();
  private readonly initialValues: (Value | undefined)[] = [];
  /**
   * The main graph's slots and the run state, one object each per plan (refilled by every run),
   * so the node contexts that point at them need no store per node and run.
   */
  private readonly slots = new Slots(this.slotOf);
  private readonly state: RunState = {
    opts: { mode: 'eager', threads: 1, native: undefined as unknown as NativeBackend },
    timings: [],
    kernelNs: 0,
    pool: this.pool,
  };

  constructor(readonly model: Model) {
    for (const f of model.functions) this.functions.set(`${f.domain}::${f.name}`, f);
    this.prepare(model.graph, model.opsets, new Set());
    this.numberSlots(model.graph);
  }

  private numberSlots(g: Graph): void {
    const slot = (name: string): number => {
      let i = this.slotOf.get(name);
      if (i === undefined) {
        i = this.slotOf.size;
        this.slotOf.set(name, i);
      }
      return i;
    };
    for (const [k, v] of g.initializers) this.initialValues[slot(k)] = v;
    for (const vi of g.inputs) slot(vi.name);
    for (const ctx of this.orders.get(g)!) {
      ctx.outSlots = Int32Array.from(ctx.node.outputs, (o) => (o ? slot(o) : -1));
    }
    // Inputs nothing produces keep no slot: reading one fails with the node's name, as before.
    const order = this.orders.get(g)!;
    for (const ctx of order) {
      ctx.inSlots = Int32Array.from(ctx.node.inputs, (i) => (i ? (this.slotOf.get(i) ?? this.slotOf.size + 1) : -1));
    }
    this.initialValues.length = this.slotOf.size;
    // Liveness: the last node that reads each value (subgraphs' reads of outer values count for
    // their node), or its producer when nothing reads it. Graph inputs, initializers and outputs
    // live through the run.
    const lasting = new Set([...g.initializers.keys(), ...g.inputs.map((i) => i.name), ...g.outputs.map((o) => o.name)]);
    const last = new Map<number, number>();
    order.forEach((ctx, at) => {
      for (const o of ctx.node.outputs) if (o && !lasting.has(o)) last.set(this.slotOf.get(o)!, at);
    });
    order.forEach((ctx, at) => {
      for (const d of nodeDeps(ctx.node)) {
        const slot = this.slotOf.get(d);
        if (slot !== undefined && last.has(slot)) last.set(slot, Math.max(last.get(slot)!, at));
      }
    });
    const dying = order.map(() => [] as number[]);
    for (const [slot, at] of last) dying[at].push(slot);
    order.forEach((ctx, at) => (ctx.dying = Int32Array.from(dying[at])));
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
        const withBody = fn as ModelFunction & { body?: Graph };
        if (!withBody.body) {
          withBody.body = {
            name: fn.name,
            nodes: fn.nodes,
            inputs: fn.inputs.map((name) => ({ name })),
            outputs: fn.outputs.map((name) => ({ name })),
            initializers: new Map(),
            valueInfo: new Map(),
          };
          this.prepare(withBody.body, new Map([...opsets, ...fn.opsets]), new Set());
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
    return this.execute(inputs, opts, this.pool, undefined);
  }

  /**
   * Runs once like run() (with timings), on buffers of its own that no later run reuses, and
   * records what each main-graph node did: the values it read and wrote and the prepared-call runs
   * it made. A graph program replays those calls on the same arrays.
   */
  record(inputs: Value[], opts: RunOptions): RunResult & { steps: RecordedStep[] } {
    const steps: RecordedStep[] = [];
    const r = this.execute(inputs, { ...opts, timings: true }, new BufferPool(), steps);
    return { ...r, steps };
  }

  /** The main graph's nodes in run order. */
  get order(): readonly Node[] {
    return this.orders.get(this.model.graph)!.map((c) => c.node);
  }

  /** The slot of a main-graph value (what replay's values are indexed by). */
  slot(name: string): number | undefined {
    return this.slotOf.get(name);
  }

  /**
   * Starts a run whose nodes are run one by one by the caller: the slots start from the
   * initializers, then `preset` (slot, value) pairs; buffers come from `pool`. One run at a time.
   */
  replay(opts: RunOptions, pool: BufferPool, preset: ReadonlyArray<readonly [number, Value]>): PlanReplay {
    const state = this.state;
    state.opts = opts;
    state.timings = [];
    state.kernelNs = 0;
    state.pool = pool;
    state.recording = undefined;
    const slots = this.slots;
    slots.values = this.initialValues.slice();
    for (const [i, v] of preset) slots.values[i] = v;
    const order = this.orders.get(this.model.graph)!;
    return {
      node: (index) => {
        const before = state.kernelNs;
        this.runNode(order[index], slots, state, '');
        return state.kernelNs - before;
      },
      get: (slot) => slots.values[slot],
      end: () => {
        slots.values = [];
        state.timings = [];
        state.pool = this.pool;
      },
    };
  }

  private execute(inputs: Value[], opts: RunOptions, buffers: BufferPool, recording: RecordedStep[] | undefined): RunResult {
    const g = this.model.graph;
    if (inputs.length !== g.inputs.length) {
      throw new Error(`the model has ${g.inputs.length} inputs (${g.inputs.map((i) => i.name).join(', ')}), ${inputs.length} were given`);
    }
    const state = this.state;
    state.opts = opts;
    state.timings = [];
    state.kernelNs = 0;
    state.pool = buffers;
    state.recording = recording;
    const slots = this.slots;
    slots.values = this.initialValues.slice();
    g.inputs.forEach((vi, i) => (slots.values[this.slotOf.get(vi.name)!] = inputs[i]));
    // Several threads: keep the kernel pool's workers spinning from the first op to the last.
    const pool = opts.threads > 1 ? opts.native : undefined;
    pool?.holdPool(opts.threads);
    try {
      const outputs = withPool(buffers, () => {
        const order = this.orders.get(g)!;
        const signal = opts.signal;
        for (let i = 0; i < order.length; i++) {
          if (signal?.aborted) throw new Error('the run was cancelled');
          this.runNode(order[i], slots, state, '');
        }
        return g.outputs.map((o) => {
          const v = slots.get(o.name);
          if (v === undefined) throw new Error(`graph output '${o.name}' was never produced`);
          return v;
        });
      });
      const keep = new Set<ArrayBufferLike>();
      for (const v of outputs) for (const t of v === null ? [] : 'kind' in v ? v.items : [v]) if (!Array.isArray(t.data)) keep.add(t.data.buffer);
      buffers.reclaim(keep);
      return { outputs, timings: state.timings, kernelNs: state.kernelNs };
    } finally {
      pool?.releasePool();
      // Nothing of this run stays reachable from the plan.
      slots.values = [];
      state.timings = [];
      state.pool = this.pool;
      state.recording = undefined;
    }
  }

  /** Runs a subgraph's nodes in order in `scope` (the bodies of If/Loop/Scan, through their node's context). */
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

  /** Runs one node reading and writing `where`: the main graph's slots (with the node's slot numbers) or a subgraph scope. */
  private runNode(ctx: NodeContext, where: Slots | Scope, state: RunState, path: string): void {
    const node = ctx.node;
    const names = node.inputs;
    // A fresh array: cheaper than refilling one kept in the context (no write barriers).
    const inputs = new Array<Value | undefined>(names.length);
    const slots = where instanceof Slots ? where.values : undefined;
    const inSlots = ctx.inSlots;
    for (let i = 0; i < names.length; i++) {
      if (!names[i]) continue;
      const v = slots && inSlots ? slots[inSlots[i]] : where.get(names[i]);
      if (v === undefined) throw new ExecutionError(node, `node '${node.name}' (${node.opType}): input '${names[i]}' is not produced by any node`);
      inputs[i] = v;
    }
    const opts = state.opts;
    // Stores only where something changed: in the main graph these stay the same run after run.
    if (ctx.mode !== opts.mode) ctx.mode = opts.mode;
    if (ctx.threads !== opts.threads) ctx.threads = opts.threads;
    if (ctx.native !== opts.native) ctx.native = opts.native;
    if (ctx.lookup !== where) ctx.lookup = where;
    if (ctx.state !== state) ctx.state = state;
    if (ctx.path !== path) ctx.path = path;
    ctx.last = TS_REFERENCE;
    const timed = opts.timings === true;
    // A recording run collects the prepared-call runs of each main-graph node (subgraphs' with their node's).
    const calls: RecordedCall[] | undefined = state.recording && !path ? [] : undefined;
    if (calls) opts.native.recordCalls(calls);
    const t0 = timed ? process.hrtime.bigint() : 0n;
    let outs: Value[];
    try {
      outs = ctx.entry ? ctx.entry.impl(ctx, inputs) : this.callFunction(ctx.fn!, node, inputs, state, ctx.innerPath);
    } catch (e) {
      if (e instanceof ExecutionError) throw e;
      const msg = e instanceof Error ? e.message : String(e);
      throw new ExecutionError(node, `node '${node.name}' (${node.opType}): ${msg}`);
    } finally {
      if (calls) opts.native.recordCalls(undefined);
    }
    const ns = timed ? Number(process.hrtime.bigint() - t0) : 0;
    const report = ctx.last;
    const kernelNs = report.nativeNs ?? 0;
    state.kernelNs += kernelNs;
    const outNames = node.outputs;
    const outSlots = ctx.outSlots;
    for (let i = 0; i < outNames.length; i++) {
      if (!outNames[i]) continue;
      const v = outs[i] === undefined ? null : outs[i];
      if (slots && outSlots) {
        slots[outSlots[i]] = v;
        useBuffers(state.pool, v, true);
      } else {
        (where as Scope).values.set(outNames[i], v);
      }
    }
    if (slots && ctx.dying) {
      // Values read for the last time: their buffers can serve the next ops while still in cache.
      for (const s of ctx.dying) {
        useBuffers(state.pool, slots[s], false);
        slots[s] = undefined;
      }
    }
    if (timed) {
      let bytes = 0;
      for (const v of inputs) bytes += valueBytes(v);
      const outputBytes = outs.map(valueBytes);
      for (const b of outputBytes) bytes += b;
      const timing: NodeTiming = {
        node,
        scope: path,
        ns,
        startNs: Number(t0),
        kernel: report.kernel,
        isa: report.isa,
        flops: report.flops ?? 0,
        inputShapes: inputs.map(valueShape),
        outputShapes: outs.map(valueShape),
        outputBytes,
        bytes,
        kernelNs,
      };
      state.timings.push(timing);
      if (calls) {
        const index = this.orders.get(this.model.graph)!.indexOf(ctx);
        state.recording!.push({ node, index, inputs, outputs: outs.map((v) => (v === undefined ? null : v)), calls, report, timing });
      }
    }
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
