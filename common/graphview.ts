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
import type { AttrValue, Graph, Model, Node, ValueType } from '../engine/graph.js';
import type { ModeRun, OpRow } from './profile.js';
import { layout } from './graph-layout.js';

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
  // A graph-mode step the compiler fused stands for each of the file's nodes in it.
  for (const r of run?.ops ?? []) for (const n of r.scope ? [] : (r.fused ?? [])) if (!rows.has(n)) rows.set(n, r);
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
