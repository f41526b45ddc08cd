// Places the graph view's boxes and routes its edges: chains of single-consumer nodes are stacked
// into one unit, units are laid out by dagre (a maintained layered-graph layout; its cheaper
// ordering above `fastAbove` units) or, when dagre's recursion overflows on a very deep graph or
// the caller asks for it, by a simple layered pass; edges become polylines between box borders.
// Mutates the nodes' x/y and the edges' points; returns the canvas size and which engine ran.
import dagre from '@dagrejs/dagre';
import type { GraphViewEdge, GraphViewNode } from './graphview.js';

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

export function layout(nodes: GraphViewNode[], edges: GraphViewEdge[], rankdir: 'TB' | 'LR', fastAbove: number, engine: 'auto' | 'layered'): LayoutResult {
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

