// Lays out an ONNX graph for the `.onnx` graph view, coloured by where a profile run spent its time.
//
// API (no vscode import; the extension host and tests call it, the webview bundle renders its result):
//   buildGraphView(model: Model, run?: ModeRun, options?: GraphViewOptions): GraphView
//     model   - from engine/onnx/loader.ts loadModel()
//     run     - one entry of a ProfileDoc's runs[]; adds heat, ms, kernel and tensor shapes
//     options - showConstants (default false: Constant/Identity nodes are folded away),
//               rankdir ('TB' default), fastLayoutAbove (layout units above which the cheaper
//               dagre settings are used; default 1500)
//   GraphView is plain JSON (schema 'armml.graphview/1'): nodes with centre x/y and size, edges
//   with polyline points, and the canvas size. Send it to the webview as window.ARMML_GRAPH or
//   as a message {type: 'graph', graph}.
import dagre from '@dagrejs/dagre';
import type { AttrValue, Graph, Model, Node, ValueType } from '../engine/graph.js';
import type { ModeRun, OpRow } from '../engine/profile.js';

export const GRAPHVIEW_SCHEMA = 'armml.graphview/1';

export interface GraphViewOptions {
  /** Show Constant and Identity nodes (hidden by default: they clutter and take no time). */
  showConstants?: boolean;
  rankdir?: 'TB' | 'LR';
  /** Above this many layout units (chains count once), use the longest-path ranker and skip ordering refinement. */
  fastLayoutAbove?: number;
  /** 'auto' (dagre, with the built-in layering as fallback) or force the built-in layering. */
  engine?: 'auto' | 'layered';
}

export interface TensorInfo {
  name: string;
  /** "1x3x224x224", "?x128" when only partly known; absent when unknown. */
  shape?: string;
  dtype?: string;
  /** Where the value comes from when it has no visible producer. */
  kind?: 'initializer' | 'constant' | 'graph-input';
}

export interface GraphViewNode {
  id: string;
  kind: 'op' | 'input' | 'output';
  /** Op type (with domain prefix for non-default domains), or the value name for inputs/outputs. */
  label: string;
  name: string;
  /** Centre of the box. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** Time share scaled so the hottest node is 1; 0 without a profile or for untimed nodes. */
  heat: number;
  share?: number;
  ms?: number;
  kernel?: string;
  isa?: string;
  calls?: number;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  attributes: { name: string; value: string }[];
}

export interface GraphViewEdge {
  from: string;
  to: string;
  /** The tensor carried. */
  value: string;
  shape?: string;
  points: { x: number; y: number }[];
}

export interface GraphView {
  schema: typeof GRAPHVIEW_SCHEMA;
  name: string;
  width: number;
  height: number;
  nodes: GraphViewNode[];
  edges: GraphViewEdge[];
  /** Constant/Identity nodes folded away (0 when showConstants). */
  hiddenNodes: number;
  /** 'dagre' normally; 'layered' when the graph is too deep for dagre's recursion. */
  layoutEngine: 'dagre' | 'layered';
  /** Boxes the layout placed after stacking single-file chains into one. */
  layoutUnits: number;
  /** Profile run the colours come from. */
  mode?: string;
  totalMs?: number;
  layoutMs: number;
}

const NODE_HEIGHT = 34;
const TIMED_NODE_HEIGHT = 48;
const IO_HEIGHT = 28;
// Monospace-ish estimate; the webview clips labels to the box, so over-estimating is the safe side.
const CHAR_WIDTH = 7.2;

const HIDDEN_OPS = new Set(['Constant', 'Identity']);

export function buildGraphView(model: Model, run?: ModeRun, options: GraphViewOptions = {}): GraphView {
  const graph = model.graph;
  const showConstants = options.showConstants ?? false;
  const rowsByNode = indexRows(run);
  const shapes = knownShapes(graph, run);
  const isHidden = (n: Node) => !showConstants && HIDDEN_OPS.has(n.opType) && n.domain === '';

  // A hidden Identity passes its input through, so its consumers connect to the input's producer.
  const alias = new Map<string, string>();
  for (const n of graph.nodes) if (isHidden(n) && n.opType === 'Identity' && n.inputs[0]) alias.set(n.outputs[0], n.inputs[0]);
  const resolve = (value: string): string => {
    let v = value;
    for (let hops = 0; alias.has(v) && hops < 10_000; hops++) v = alias.get(v)!;
    return v;
  };

  const producer = new Map<string, string>();
  const constantValues = new Set<string>();
  const nodes: GraphViewNode[] = [];
  const ids = new Set<string>();
  const uniqueId = (base: string) => {
    let id = base;
    for (let i = 1; ids.has(id); i++) id = `${base}#${i}`;
    ids.add(id);
    return id;
  };

  for (const input of graph.inputs) {
    const id = uniqueId(`input:${input.name}`);
    producer.set(input.name, id);
    nodes.push(ioNode(id, 'input', input.name, shapes.get(input.name), dtypeOf(input.type)));
  }

  let hiddenNodes = 0;
  const visible: { node: Node; id: string }[] = [];
  for (const n of graph.nodes) {
    if (isHidden(n)) {
      hiddenNodes++;
      if (n.opType === 'Constant') {
        for (const o of n.outputs) constantValues.add(o);
        const value = n.attrs.value;
        if (value?.type === 'tensor' && n.outputs[0] && !shapes.has(n.outputs[0])) shapes.set(n.outputs[0], formatDims(value.value.dims));
      }
      continue;
    }
    const id = uniqueId(n.name || `${n.opType}_${visible.length}`);
    for (const o of n.outputs) if (o) producer.set(o, id);
    visible.push({ node: n, id });
  }

  const graphInputs = new Set(graph.inputs.map((i) => i.name));
  const tensorInfo = (name: string): TensorInfo => {
    const info: TensorInfo = { name };
    const shape = shapes.get(name);
    if (shape) info.shape = shape;
    const init = graph.initializers.get(name);
    if (init) {
      info.kind = 'initializer';
      info.dtype = init.dtype;
    } else if (constantValues.has(name)) {
      info.kind = 'constant';
    } else if (graphInputs.has(name)) {
      info.kind = 'graph-input';
    }
    const vt = graph.valueInfo.get(name)?.type;
    if (!info.dtype && vt) info.dtype = dtypeOf(vt);
    return info;
  };

  const edges: GraphViewEdge[] = [];
  let maxShare = 0;
  let totalMs = 0;
  for (const { node, id } of visible) {
    const row = rowsByNode.get(node.name);
    const label = node.domain ? `${node.domain}.${node.opType}` : node.opType;
    const timed = row !== undefined;
    const width = Math.max(label.length, timed ? 16 : 0) * CHAR_WIDTH + 24;
    const viewNode: GraphViewNode = {
      id,
      kind: 'op',
      label,
      name: node.name,
      x: 0,
      y: 0,
      width: Math.max(72, Math.round(width)),
      height: timed ? TIMED_NODE_HEIGHT : NODE_HEIGHT,
      heat: 0,
      inputs: node.inputs.filter((i) => i !== '').map(tensorInfo),
      outputs: node.outputs.filter((o) => o !== '').map(tensorInfo),
      attributes: Object.entries(node.attrs).map(([name, value]) => ({ name, value: summarizeAttr(value) })),
    };
    if (row) {
      viewNode.share = row.share;
      viewNode.ms = row.ms;
      viewNode.kernel = row.kernel;
      viewNode.isa = row.isa;
      viewNode.calls = row.calls;
      maxShare = Math.max(maxShare, row.share);
      totalMs += row.ms;
    }
    nodes.push(viewNode);
    const seen = new Set<string>();
    for (const input of node.inputs) {
      if (!input) continue;
      const source = resolve(input);
      const from = producer.get(source);
      // One edge per (producer, tensor) pair: a node reading the same tensor twice gets one line.
      if (!from || seen.has(source)) continue;
      seen.add(source);
      edges.push({ from, to: id, value: source, ...(shapes.has(source) ? { shape: shapes.get(source) } : {}), points: [] });
    }
  }
  if (maxShare > 0) for (const n of nodes) if (n.share !== undefined) n.heat = n.share / maxShare;

  for (const output of graph.outputs) {
    const id = uniqueId(`output:${output.name}`);
    nodes.push(ioNode(id, 'output', output.name, shapes.get(output.name), dtypeOf(output.type)));
    const from = producer.get(resolve(output.name));
    if (from) edges.push({ from, to: id, value: output.name, ...(shapes.has(output.name) ? { shape: shapes.get(output.name) } : {}), points: [] });
  }

  const t0 = performance.now();
  const size = layout(nodes, edges, options.rankdir ?? 'TB', options.fastLayoutAbove ?? 1500, options.engine ?? 'auto');
  const layoutMs = performance.now() - t0;

  return {
    schema: GRAPHVIEW_SCHEMA,
    name: graph.name || model.path,
    width: size.width,
    height: size.height,
    nodes,
    edges,
    hiddenNodes,
    layoutEngine: size.engine,
    layoutUnits: size.units,
    ...(run ? { mode: run.mode, totalMs } : {}),
    layoutMs: Math.round(layoutMs),
  };
}

const NODESEP = 24;
const RANKSEP = 36;
const MARGIN = 16;

/** Boxes stacked into one layout unit: a run of nodes each feeding only the next. */
interface Unit {
  members: GraphViewNode[];
  width: number;
  height: number;
  x: number;
  y: number;
}

interface LayoutResult {
  width: number;
  height: number;
  engine: 'dagre' | 'layered';
  units: number;
  /** dagre's route between two units ("a>b"), through the dummy nodes of long edges. */
  routes?: Map<string, { x: number; y: number }[]>;
}

function layout(nodes: GraphViewNode[], edges: GraphViewEdge[], rankdir: 'TB' | 'LR', fastAbove: number, engine: 'auto' | 'layered'): LayoutResult {
  const horizontal = rankdir === 'LR';
  const { units, unitOf } = collapseChains(nodes, edges, horizontal);
  const unitEdges = new Map<string, [number, number]>();
  for (const e of edges) {
    const a = unitOf.get(e.from)!;
    const b = unitOf.get(e.to)!;
    if (a !== b) unitEdges.set(`${a}>${b}`, [a, b]);
  }
  let result: LayoutResult | undefined;
  if (engine === 'auto') {
    try {
      result = dagreLayout(units, [...unitEdges.values()], rankdir, units.length > fastAbove);
    } catch (err) {
      // dagre walks the graph recursively; very deep graphs overflow the stack, so they get the simple layering.
      if (!(err instanceof RangeError)) throw err;
    }
  }
  result ??= layeredLayout(units, [...unitEdges.values()], horizontal);
  placeMembers(units, horizontal);
  routeEdges(edges, units, unitOf, horizontal, result.routes);
  delete result.routes;
  return result;
}

function collapseChains(nodes: GraphViewNode[], edges: GraphViewEdge[], horizontal: boolean): { units: Unit[]; unitOf: Map<string, number> } {
  const succ = new Map<string, Set<string>>();
  const pred = new Map<string, Set<string>>();
  for (const n of nodes) {
    succ.set(n.id, new Set());
    pred.set(n.id, new Set());
  }
  for (const e of edges) {
    succ.get(e.from)!.add(e.to);
    pred.get(e.to)!.add(e.from);
  }
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const linksToNext = (id: string): string | undefined => {
    const s = succ.get(id)!;
    if (s.size !== 1) return undefined;
    const next = s.values().next().value!;
    return pred.get(next)!.size === 1 && next !== id ? next : undefined;
  };
  const hasChainPredecessor = (id: string): boolean => {
    const p = pred.get(id)!;
    return p.size === 1 && linksToNext(p.values().next().value!) === id;
  };
  const units: Unit[] = [];
  const unitOf = new Map<string, number>();
  const addUnit = (members: GraphViewNode[]) => {
    const across = (n: GraphViewNode) => (horizontal ? n.height : n.width);
    const along = (n: GraphViewNode) => (horizontal ? n.width : n.height);
    const length = members.reduce((a, n) => a + along(n), 0) + RANKSEP * (members.length - 1);
    const breadth = Math.max(...members.map(across));
    for (const m of members) unitOf.set(m.id, units.length);
    units.push({ members, width: horizontal ? length : breadth, height: horizontal ? breadth : length, x: 0, y: 0 });
  };
  for (const n of nodes) {
    if (unitOf.has(n.id) || hasChainPredecessor(n.id)) continue;
    const members = [n];
    for (let next = linksToNext(n.id); next && !unitOf.has(next); next = linksToNext(next)) {
      members.push(byId.get(next)!);
      if (members.length > nodes.length) break;
    }
    addUnit(members);
  }
  // Pure cycles have no chain head; give each leftover node its own unit.
  for (const n of nodes) if (!unitOf.has(n.id)) addUnit([n]);
  return { units, unitOf };
}

function dagreLayout(units: Unit[], unitEdges: [number, number][], rankdir: 'TB' | 'LR', fast: boolean): LayoutResult {
  const g = new dagre.graphlib.Graph();
  g.setGraph({
    rankdir,
    nodesep: NODESEP,
    ranksep: RANKSEP,
    edgesep: 8,
    marginx: MARGIN,
    marginy: MARGIN,
    // network-simplex ranks better but grows super-linearly; longest-path keeps big graphs fast.
    ranker: fast ? 'longest-path' : 'network-simplex',
  });
  g.setDefaultEdgeLabel(() => ({}));
  units.forEach((u, i) => g.setNode(String(i), { width: u.width, height: u.height }));
  for (const [a, b] of unitEdges) g.setEdge(String(a), String(b));
  dagre.layout(g, fast ? { disableOptimalOrderHeuristic: true } : {});
  units.forEach((u, i) => {
    const laid = g.node(String(i));
    u.x = laid.x ?? 0;
    u.y = laid.y ?? 0;
  });
  const routes = new Map<string, { x: number; y: number }[]>();
  for (const e of g.edges()) routes.set(`${e.v}>${e.w}`, g.edge(e)?.points ?? []);
  const label = g.graph();
  return { width: Math.ceil(label.width ?? 0), height: Math.ceil(label.height ?? 0), engine: 'dagre', units: units.length, routes };
}

/** Iterative layering for graphs too deep for dagre: longest-path ranks, one barycentre sweep, packed rows. */
function layeredLayout(units: Unit[], unitEdges: [number, number][], horizontal: boolean): LayoutResult {
  const n = units.length;
  const preds: number[][] = units.map(() => []);
  const succs: number[][] = units.map(() => []);
  const indegree = new Int32Array(n);
  for (const [a, b] of unitEdges) {
    preds[b].push(a);
    succs[a].push(b);
    indegree[b]++;
  }
  const rank = new Int32Array(n);
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (indegree[i] === 0) queue.push(i);
  const placed = new Uint8Array(n);
  for (let head = 0; head < queue.length || placed.indexOf(0) >= 0; head++) {
    // Units on a cycle never reach indegree 0: release the first unplaced one.
    if (head >= queue.length) queue.push(placed.indexOf(0));
    const u = queue[head];
    if (placed[u]) continue;
    placed[u] = 1;
    for (const s of succs[u]) {
      if (placed[s]) continue;
      rank[s] = Math.max(rank[s], rank[u] + 1);
      if (--indegree[s] === 0) queue.push(s);
    }
  }
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) (rows[rank[i]] ??= []).push(i);
  const across = (u: Unit) => (horizontal ? u.height : u.width);
  const along = (u: Unit) => (horizontal ? u.width : u.height);
  const position = new Float64Array(n);
  let alongOffset = MARGIN;
  let breadth = 0;
  for (const row of rows) {
    if (!row) continue;
    const key = (u: number) => (preds[u].length ? preds[u].reduce((a, p) => a + position[p], 0) / preds[u].length : position[u]);
    row.sort((a, b) => key(a) - key(b));
    let cursor = MARGIN;
    let depth = 0;
    for (const u of row) {
      position[u] = cursor + across(units[u]) / 2;
      cursor += across(units[u]) + NODESEP;
      depth = Math.max(depth, along(units[u]));
    }
    for (const u of row) {
      const a = alongOffset + depth / 2;
      if (horizontal) [units[u].x, units[u].y] = [a, position[u]];
      else [units[u].x, units[u].y] = [position[u], a];
    }
    alongOffset += depth + RANKSEP;
    breadth = Math.max(breadth, cursor - NODESEP + MARGIN);
  }
  const length = alongOffset - RANKSEP + MARGIN;
  return { width: Math.ceil(horizontal ? length : breadth), height: Math.ceil(horizontal ? breadth : length), engine: 'layered', units: n };
}

function placeMembers(units: Unit[], horizontal: boolean): void {
  for (const u of units) {
    let cursor = horizontal ? u.x - u.width / 2 : u.y - u.height / 2;
    for (const m of u.members) {
      const along = horizontal ? m.width : m.height;
      if (horizontal) [m.x, m.y] = [Math.round(cursor + along / 2), Math.round(u.y)];
      else [m.x, m.y] = [Math.round(u.x), Math.round(cursor + along / 2)];
      cursor += along + RANKSEP;
    }
  }
}

/** Edges leave the bottom (right for LR) of their source and enter the top (left) of their target. */
function routeEdges(
  edges: GraphViewEdge[],
  units: Unit[],
  unitOf: Map<string, number>,
  horizontal: boolean,
  routes: Map<string, { x: number; y: number }[]> | undefined,
): void {
  const nodeOf = new Map<string, GraphViewNode>();
  for (const u of units) for (const m of u.members) nodeOf.set(m.id, m);
  for (const e of edges) {
    const a = nodeOf.get(e.from)!;
    const b = nodeOf.get(e.to)!;
    const start = horizontal ? { x: a.x + a.width / 2, y: a.y } : { x: a.x, y: a.y + a.height / 2 };
    const end = horizontal ? { x: b.x - b.width / 2, y: b.y } : { x: b.x, y: b.y - b.height / 2 };
    const points = [start];
    const ua = unitOf.get(e.from)!;
    const ub = unitOf.get(e.to)!;
    const route = routes?.get(`${ua}>${ub}`);
    if (route && route.length > 2) {
      // dagre's ends sit on the unit's border; keep its bends, replace the ends with the member's ports.
      points.push(...route.slice(1, -1));
      points.push(end);
      e.points = points.map((p) => ({ x: Math.round(p.x), y: Math.round(p.y) }));
      continue;
    }
    // Between separate units, bend halfway so parallel edges read as a bus rather than crossing diagonals.
    if (ua !== ub) {
      if (horizontal) {
        const mid = end.x - RANKSEP / 2;
        points.push({ x: mid, y: start.y }, { x: mid, y: end.y });
      } else {
        const mid = end.y - RANKSEP / 2;
        points.push({ x: start.x, y: mid }, { x: end.x, y: mid });
      }
    }
    points.push(end);
    e.points = points.map((p) => ({ x: Math.round(p.x), y: Math.round(p.y) }));
  }
}

function ioNode(id: string, kind: 'input' | 'output', name: string, shape: string | undefined, dtype: string | undefined): GraphViewNode {
  const tensor: TensorInfo = { name, ...(shape ? { shape } : {}), ...(dtype ? { dtype } : {}), ...(kind === 'input' ? { kind: 'graph-input' as const } : {}) };
  return {
    id,
    kind,
    label: name,
    name,
    x: 0,
    y: 0,
    width: Math.max(72, Math.round(name.length * CHAR_WIDTH + 24)),
    height: IO_HEIGHT,
    heat: 0,
    inputs: kind === 'output' ? [tensor] : [],
    outputs: kind === 'input' ? [tensor] : [],
    attributes: [],
  };
}

function indexRows(run: ModeRun | undefined): Map<string, OpRow> {
  const rows = new Map<string, OpRow>();
  // Nodes inside If/Loop bodies carry a scope and are not part of the top-level graph.
  for (const r of run?.ops ?? []) if (!r.scope && !rows.has(r.node)) rows.set(r.node, r);
  return rows;
}

/** Tensor shapes: measured ones from the profile first, then declared ones from the file. */
function knownShapes(graph: Graph, run: ModeRun | undefined): Map<string, string> {
  const shapes = new Map<string, string>();
  const byName = new Map<string, Node>();
  for (const n of graph.nodes) byName.set(n.name, n);
  for (const r of run?.ops ?? []) {
    if (r.scope) continue;
    const n = byName.get(r.node);
    if (!n) continue;
    n.inputs.forEach((input, i) => {
      const dims = r.shapes[i];
      if (input && dims && !shapes.has(input)) shapes.set(input, formatDims(dims));
    });
  }
  for (const [name, t] of graph.initializers) if (!shapes.has(name)) shapes.set(name, formatDims(t.dims));
  const declared = [...graph.inputs, ...graph.outputs, ...graph.valueInfo.values()];
  for (const vi of declared) {
    if (shapes.has(vi.name) || vi.type?.kind !== 'tensor' || !vi.type.shape) continue;
    shapes.set(vi.name, formatDims(vi.type.shape));
  }
  return shapes;
}

function formatDims(dims: readonly (number | string | undefined)[]): string {
  if (dims.length === 0) return 'scalar';
  return dims.map((d) => (d === undefined || d === '' ? '?' : String(d))).join('x');
}

function dtypeOf(type: ValueType | undefined): string | undefined {
  return type?.kind === 'tensor' ? type.dtype : type?.kind;
}

const MAX_ATTR_CHARS = 80;

export function summarizeAttr(attr: AttrValue): string {
  const clip = (s: string) => (s.length > MAX_ATTR_CHARS ? `${s.slice(0, MAX_ATTR_CHARS - 1)}…` : s);
  switch (attr.type) {
    case 'float':
    case 'int':
      return String(attr.value);
    case 'string':
      return clip(JSON.stringify(attr.value));
    case 'floats':
    case 'ints':
      return clip(`[${attr.value.join(', ')}]`);
    case 'strings':
      return clip(`[${attr.value.map((s) => JSON.stringify(s)).join(', ')}]`);
    case 'tensor':
      return `tensor ${attr.value.dtype}[${attr.value.dims.join(', ')}]`;
    case 'tensors':
      return `${attr.value.length} tensors`;
    case 'graph':
      return `graph '${attr.value.name}' (${attr.value.nodes.length} nodes)`;
    case 'graphs':
      return `${attr.value.length} graphs`;
  }
}
