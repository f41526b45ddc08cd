// View models of `armml.profile/1` documents for the profile webview and the HTML report.
// Pure functions: no DOM, no vscode, so they are unit-tested with small fixtures and the webview
// only draws what they return.
import type { ModeRun, OpRow, ProfileDoc } from './profile.js';
import { formatShapes } from './format.js';
import { defaultRunIndex, kernelFamily, normalizeIsa, profileLabels, profileThreads } from './classify.js';

export * from './classify.js';

/** What a stack block or a table filter narrows the ops to. */
export interface Facet {
  kind: 'family' | 'isa';
  value: string;
}

function opKey(r: { node: string; scope?: string }): string {
  return r.scope ? `${r.scope}\u0000${r.node}` : r.node;
}

function sumMs(ops: OpRow[]): number {
  let s = 0;
  for (const o of ops) s += o.ms;
  return s;
}

// ---------------------------------------------------------------- (a) software stack

export interface StackBlock {
  id: string;
  label: string;
  detail: string;
  ms: number;
  /** Of the run's total time (max of median latency and summed op time). */
  share: number;
  facet?: Facet;
  /** Kernel names in this block, slowest first. */
  kernels: string[];
}

export interface StackLayer {
  id: 'model' | 'passes' | 'dispatcher' | 'families' | 'isa';
  title: string;
  blocks: StackBlock[];
}

export interface StackView {
  mode: string;
  threads: number;
  latencyMs: number;
  opMs: number;
  totalMs: number;
  layers: StackLayer[];
}

const DISPATCHERS: Record<string, string> = {
  baseline: 'reference dispatcher · node by node',
  eager: 'eager dispatcher · node by node',
  graph: 'compiled graph · fused nodes, eager kernels',
};

function groupBlocks(ops: OpRow[], keyOf: (o: OpRow) => string, kind: Facet['kind'], totalMs: number): StackBlock[] {
  const groups = new Map<string, { ms: number; calls: number; kernels: Map<string, number> }>();
  for (const o of ops) {
    const key = keyOf(o);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ms: 0, calls: 0, kernels: new Map() }));
    g.ms += o.ms;
    g.calls += o.calls;
    g.kernels.set(o.kernel, (g.kernels.get(o.kernel) ?? 0) + o.ms);
  }
  return [...groups.entries()]
    .map(([value, g]) => ({
      id: `${kind}:${value}`,
      label: value,
      detail: `${g.kernels.size} kernel${g.kernels.size === 1 ? '' : 's'} · ${g.calls} call${g.calls === 1 ? '' : 's'}`,
      ms: g.ms,
      share: totalMs > 0 ? g.ms / totalMs : 0,
      facet: { kind, value },
      kernels: [...g.kernels.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k),
    }))
    .sort((a, b) => b.ms - a.ms || a.label.localeCompare(b.label));
}

/** Model -> graph passes -> dispatcher -> kernel families -> ISA features, for one run. */
export function stackView(doc: ProfileDoc, runIndex = defaultRunIndex(doc)): StackView {
  const run = doc.runs[runIndex];
  if (!run) throw new Error(`profile has no run #${runIndex}`);
  const opMs = sumMs(run.ops);
  const latencyMs = run.latency_ms.median;
  const totalMs = Math.max(latencyMs, opMs);
  const share = (ms: number) => (totalMs > 0 ? ms / totalMs : 0);
  const calls = run.ops.reduce((a, o) => a + o.calls, 0);
  const overhead = Math.max(0, latencyMs - opMs);
  const passes = (run.passes ?? []).filter((p) => p && typeof p.pass === 'string' && p.enabled);
  return {
    mode: run.mode,
    threads: run.threads,
    latencyMs,
    opMs,
    totalMs,
    layers: [
      {
        id: 'model',
        title: 'Model',
        blocks: [
          {
            id: 'model',
            label: doc.model.name,
            detail: `${doc.model.nodes} nodes · ${run.mode} · ${run.threads} thread${run.threads === 1 ? '' : 's'}`,
            ms: latencyMs,
            share: share(latencyMs),
            kernels: [],
          },
        ],
      },
      {
        id: 'passes',
        title: 'Graph passes',
        blocks: passes.length
          ? passes.map((p) => ({
              id: `pass:${p.pass}`,
              label: p.pass,
              // Compile time, not inference time: no share of the run.
              detail: `${p.changes} change${p.changes === 1 ? '' : 's'} · ${p.nodes_before} -> ${p.nodes_after} nodes · compiled in ${(p.ms ?? 0).toFixed(1)} ms`,
              ms: 0,
              share: 0,
              kernels: [],
            }))
          : [{ id: 'pass:none', label: `${run.mode}: none`, detail: 'no graph passes in this mode', ms: 0, share: 0, kernels: [] }],
      },
      {
        id: 'dispatcher',
        title: 'Dispatcher',
        blocks: [
          {
            id: 'dispatcher',
            label: DISPATCHERS[run.mode] ?? `${run.mode} plan runner`,
            detail: `${calls} kernel calls · overhead beyond op time`,
            ms: overhead,
            share: share(overhead),
            kernels: [],
          },
        ],
      },
      { id: 'families', title: 'Kernel families', blocks: groupBlocks(run.ops, (o) => kernelFamily(o.kernel, o.kernel_family), 'family', totalMs) },
      { id: 'isa', title: 'ISA features', blocks: groupBlocks(run.ops, (o) => normalizeIsa(o.isa), 'isa', totalMs) },
    ],
  };
}

// ---------------------------------------------------------------- (b) speedups

export interface ModeSpeedup {
  mode: string;
  threads: number;
  medianMs: number;
  /** baseline median / this mode's median; undefined without a baseline run. */
  speedup?: number;
  outputsOk: boolean;
}

export interface OpSpeedup {
  node: string;
  op: string;
  baselineMs: number;
  modes: { mode: string; ms: number; kernel: string; speedup?: number }[];
}

export interface ProfileSpeedups {
  label: string;
  model: string;
  host: string;
  threads: number;
  baselineMs?: number;
  /** The non-baseline runs, in document order. */
  modes: ModeSpeedup[];
  topOps: OpSpeedup[];
}

export interface SpeedupsView {
  profiles: ProfileSpeedups[];
  /** Every non-baseline mode of any profile, in first-seen order (for legends and colours). */
  modes: string[];
}

/** Per mode vs baseline for the model (median latency ratio) and for the top N ops of baseline. */
export function speedupsView(docs: ProfileDoc[], topN = 10): SpeedupsView {
  const labels = profileLabels(docs);
  const modes: string[] = [];
  const profiles = docs.map((doc, i): ProfileSpeedups => {
    const base = doc.runs.find((r) => r.mode === 'baseline');
    const others = doc.runs.filter((r) => r.mode !== 'baseline');
    for (const r of others) if (!modes.includes(r.mode)) modes.push(r.mode);
    const ratio = (b: number | undefined, x: number) => (b !== undefined && b > 0 && x > 0 ? b / x : undefined);
    const byNode = others.map((r) => new Map(r.ops.map((o) => [opKey(o), o])));
    const topOps = base
      ? [...base.ops]
          .sort((a, b) => b.ms - a.ms)
          .slice(0, topN)
          .map((o) => ({
            node: o.node,
            op: o.op,
            baselineMs: o.ms,
            modes: others.flatMap((r, j) => {
              const m = byNode[j].get(opKey(o));
              return m ? [{ mode: r.mode, ms: m.ms, kernel: m.kernel, speedup: ratio(o.ms, m.ms) }] : [];
            }),
          }))
      : [];
    return {
      label: labels[i],
      model: doc.model.name,
      host: doc.target.host,
      threads: profileThreads(doc),
      baselineMs: base?.latency_ms.median,
      modes: others.map((r) => ({
        mode: r.mode,
        threads: r.threads,
        medianMs: r.latency_ms.median,
        speedup: ratio(base?.latency_ms.median, r.latency_ms.median),
        outputsOk: r.outputs_ok,
      })),
      topOps,
    };
  });
  return { profiles, modes };
}

// ---------------------------------------------------------------- (c) op table

export interface OpTableRow {
  op: string;
  node: string;
  kernel: string;
  isa: string;
  family: string;
  calls: number;
  ms: number;
  share: number;
  gflops: number;
  shapes: string;
  scope?: string;
  /** Lower-cased text the filter searches. */
  haystack: string;
}

export type SortKey = 'op' | 'node' | 'kernel' | 'isa' | 'calls' | 'ms' | 'share' | 'gflops' | 'shapes';
export type SortDir = 'asc' | 'desc';

export const SORT_KEYS: readonly SortKey[] = ['op', 'node', 'kernel', 'isa', 'calls', 'ms', 'share', 'gflops', 'shapes'];

export function opTableRows(run: ModeRun): OpTableRow[] {
  return run.ops.map((o) => {
    const isa = normalizeIsa(o.isa);
    const family = kernelFamily(o.kernel, o.kernel_family);
    const shapes = formatShapes(o.shapes);
    return {
      op: o.op,
      node: o.node,
      kernel: o.kernel,
      isa,
      family,
      calls: o.calls,
      ms: o.ms,
      share: o.share,
      gflops: o.gflops,
      shapes,
      ...(o.scope ? { scope: o.scope } : {}),
      haystack: `${o.op}\n${o.node}\n${o.kernel}\n${isa}\n${family}\n${shapes}\n${o.scope ?? ''}`.toLowerCase(),
    };
  });
}

/** Case-insensitive substring match on op, node, kernel, ISA, family and shapes, plus an optional facet. */
export function filterRows(rows: OpTableRow[], text: string, facet?: Facet): OpTableRow[] {
  const needle = text.trim().toLowerCase();
  if (!needle && !facet) return rows;
  return rows.filter(
    (r) => (!needle || r.haystack.includes(needle)) && (!facet || (facet.kind === 'family' ? r.family : r.isa) === facet.value),
  );
}

/** Stable sort (ties keep their order) into a new array. */
export function sortRows(rows: OpTableRow[], key: SortKey, dir: SortDir): OpTableRow[] {
  const sign = dir === 'asc' ? 1 : -1;
  const numeric = key === 'calls' || key === 'ms' || key === 'share' || key === 'gflops';
  const indexed = rows.map((r, i) => ({ r, i }));
  indexed.sort((a, b) => {
    const c = numeric ? (a.r[key] as number) - (b.r[key] as number) : (a.r[key] as string).localeCompare(b.r[key] as string);
    return c !== 0 ? sign * c : a.i - b.i;
  });
  return indexed.map((x) => x.r);
}

// ---------------------------------------------------------------- (d) timeline

export interface TimelineBar {
  node: string;
  op: string;
  kernel: string;
  family: string;
  lane: number;
  start: number;
  dur: number;
}

export interface TimelineView {
  mode: string;
  totalMs: number;
  /** Lane titles: the main graph first, then each subgraph scope in order of first appearance. */
  lanes: string[];
  bars: TimelineBar[];
}

export function timelineView(doc: ProfileDoc, runIndex = defaultRunIndex(doc)): TimelineView {
  const run = doc.runs[runIndex];
  if (!run) throw new Error(`profile has no run #${runIndex}`);
  const lanes = ['graph'];
  const laneOf = new Map<string, number>([['', 0]]);
  let totalMs = 0;
  const bars = (run.timeline ?? []).map((e) => {
    const scope = e.scope ?? '';
    let lane = laneOf.get(scope);
    if (lane === undefined) {
      lane = lanes.length;
      lanes.push(scope);
      laneOf.set(scope, lane);
    }
    totalMs = Math.max(totalMs, e.start_ms + e.dur_ms);
    return { node: e.node, op: e.op, kernel: e.kernel, family: kernelFamily(e.kernel, e.kernel_family), lane, start: e.start_ms, dur: e.dur_ms };
  });
  return { mode: run.mode, totalMs, lanes, bars };
}

// ---------------------------------------------------------------- (e) roofline

export interface RooflinePoint {
  node: string;
  op: string;
  kernel: string;
  family: string;
  /** FLOPs per byte moved. */
  intensity: number;
  gflops: number;
  ms: number;
}

export interface RooflineView {
  mode: string;
  points: RooflinePoint[];
  /** Ops left out because they do no arithmetic, move no bytes or took no time. */
  skipped: number;
  peakGflops?: number;
  peakGbps?: number;
  /** Intensity where the memory roof meets the compute roof. */
  ridge?: number;
  roofsMeasured: boolean;
  note: string;
  x: [number, number];
  y: [number, number];
}

type PeakTarget = { peak?: { gflops?: number; gbps?: number } };

const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

export function rooflineView(doc: ProfileDoc, runIndex = defaultRunIndex(doc)): RooflineView {
  const run = doc.runs[runIndex];
  if (!run) throw new Error(`profile has no run #${runIndex}`);
  const peak = (doc.target as typeof doc.target & PeakTarget).peak;
  const peakGflops = positive(peak?.gflops) ? peak.gflops : undefined;
  const peakGbps = positive(peak?.gbps) ? peak.gbps : undefined;
  const points: RooflinePoint[] = [];
  for (const o of run.ops) {
    if (!(o.flops > 0 && o.bytes > 0 && o.ms > 0)) continue;
    points.push({
      node: o.node,
      op: o.op,
      kernel: o.kernel,
      family: kernelFamily(o.kernel, o.kernel_family),
      intensity: o.flops / o.bytes,
      gflops: o.flops / (o.ms * 1e6),
      ms: o.ms,
    });
  }
  const ridge = peakGflops !== undefined && peakGbps !== undefined ? peakGflops / peakGbps : undefined;
  const roofsMeasured = peakGflops !== undefined || peakGbps !== undefined;
  const missing = [peakGflops === undefined ? 'compute (GFLOP/s)' : '', peakGbps === undefined ? 'memory (GB/s)' : '']
    .filter(Boolean)
    .join(' and ');
  const note = !roofsMeasured
    ? 'Roofs were not measured for this target (no target.peak in the profile); points are plotted without them.'
    : missing
      ? `The ${missing} roof was not measured; only the measured roof is drawn.`
      : `Roofs measured on this target: ${peakGflops!.toFixed(1)} GFLOP/s and ${peakGbps!.toFixed(1)} GB/s (ridge at ${ridge!.toFixed(2)} FLOP/byte).`;
  const xs = points.map((p) => p.intensity);
  const ys = points.map((p) => p.gflops);
  if (ridge !== undefined) xs.push(ridge);
  if (peakGflops !== undefined) ys.push(peakGflops);
  const span = (v: number[], fallback: [number, number]): [number, number] => {
    if (v.length === 0) return fallback;
    // A loop, not Math.min(...v): spreading 100k+ values overflows the call stack.
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of v) {
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    return [lo / 2, hi * 2];
  };
  return {
    mode: run.mode,
    points,
    skipped: run.ops.length - points.length,
    ...(peakGflops !== undefined ? { peakGflops } : {}),
    ...(peakGbps !== undefined ? { peakGbps } : {}),
    ...(ridge !== undefined ? { ridge } : {}),
    roofsMeasured,
    note,
    x: span(xs, [0.01, 100]),
    y: span(ys, [0.001, 100]),
  };
}
