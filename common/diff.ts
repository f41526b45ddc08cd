// A/B comparison of two `armml.profile/1` documents, per mode and per op: what `armml diff` prints
// and gates CI on. Pure (no node:, no vscode) so the extension can show the same diff later.
//
// The gate rule is deliberately two-sided. Timings on one machine drift 10–20% from run to run, so
// a median moving past the threshold is not enough: B's p10 must also sit above A's p90 (the middle
// 80% of the samples do not overlap) before a mode is called slower; faster is the mirror image.
import type { ModeRun, OpRow, ProfileDoc } from './profile.js';

export const DIFF_SCHEMA = 'armml.diff/1';

export interface DiffOptions {
  /** How far B's median must move from A's, in percent, before the spread is even looked at. */
  thresholdPct: number;
  /** Compare only this mode. */
  mode?: string;
}

export type Verdict = 'slower' | 'faster' | 'same';

export interface RunSide {
  median: number;
  p10: number;
  p90: number;
  n: number;
  threads: number;
  outputs_ok: boolean;
}

export interface OpDiff {
  node: string;
  op: string;
  scope?: string;
  a_ms: number;
  b_ms: number;
  delta_ms: number;
  /** b_ms / a_ms; null when A took no measurable time (JSON has no Infinity). */
  ratio: number | null;
  kernel_a: string;
  kernel_b: string;
}

export interface OneSidedOp {
  node: string;
  op: string;
  scope?: string;
  kernel: string;
  ms: number;
}

export interface ModeDiff {
  mode: string;
  a: RunSide;
  b: RunSide;
  /** B median / A median; null when A's median is 0. */
  ratio: number | null;
  change_pct: number | null;
  threads_differ: boolean;
  verdict: Verdict;
  /** Ops in both runs, largest |delta_ms| first. */
  ops: OpDiff[];
  /** Ops in one run only, slowest first. */
  only_in_a: OneSidedOp[];
  only_in_b: OneSidedOp[];
}

export interface ProfileSide {
  model: { name: string; sha256?: string };
  target: { host: string; cpu: string; isa: string[] };
  created: string;
  modes: string[];
}

export interface ProfileDiff {
  schema: typeof DIFF_SCHEMA;
  threshold_pct: number;
  a: ProfileSide;
  b: ProfileSide;
  modes: ModeDiff[];
  modes_only_in_a: string[];
  modes_only_in_b: string[];
  summary: {
    /** Modes whose verdict is `slower`. */
    regressions: string[];
    /** Modes whose outputs were correct in A and are wrong in B. */
    outputs_broken: string[];
    models_differ: boolean;
    /** Different CPU or ISA features: the timings measure machines as much as code. */
    targets_differ: boolean;
  };
}

export function diffProfiles(a: ProfileDoc, b: ProfileDoc, opts: DiffOptions): ProfileDiff {
  const wanted = (r: ModeRun) => opts.mode === undefined || r.mode === opts.mode;
  const runsA = a.runs.filter(wanted);
  const runsB = b.runs.filter(wanted);
  const modesB = new Set(runsB.map((r) => r.mode as string));
  const modesA = new Set(runsA.map((r) => r.mode as string));
  const modes = runsA.flatMap((ra) => {
    const rb = runsB.find((r) => r.mode === ra.mode);
    return rb ? [diffRun(ra, rb, opts.thresholdPct)] : [];
  });
  return {
    schema: DIFF_SCHEMA,
    threshold_pct: opts.thresholdPct,
    a: profileSide(a),
    b: profileSide(b),
    modes,
    modes_only_in_a: runsA.map((r) => r.mode as string).filter((m) => !modesB.has(m)),
    modes_only_in_b: runsB.map((r) => r.mode as string).filter((m) => !modesA.has(m)),
    summary: {
      regressions: modes.filter((m) => m.verdict === 'slower').map((m) => m.mode),
      outputs_broken: modes.filter((m) => m.a.outputs_ok && !m.b.outputs_ok).map((m) => m.mode),
      models_differ: modelsDiffer(a, b),
      targets_differ: targetsDiffer(a, b),
    },
  };
}

/**
 * The gate rule (see the file comment). A mode whose B outputs are wrong is never called faster:
 * a wrong answer computed quickly is not an improvement.
 */
export function verdictOf(a: RunSide, b: RunSide, thresholdPct: number): Verdict {
  const t = thresholdPct / 100;
  if (b.median > a.median * (1 + t) && b.p10 > a.p90) return 'slower';
  if (b.outputs_ok && b.median < a.median * (1 - t) && b.p90 < a.p10) return 'faster';
  return 'same';
}

function diffRun(ra: ModeRun, rb: ModeRun, thresholdPct: number): ModeDiff {
  const a = runSide(ra);
  const b = runSide(rb);
  const ratio = a.median > 0 ? b.median / a.median : null;
  const opsA = opsByKey(ra.ops);
  const opsB = opsByKey(rb.ops);
  const ops: OpDiff[] = [];
  for (const [key, oa] of opsA) {
    const ob = opsB.get(key);
    if (!ob) continue;
    ops.push({
      node: oa.node,
      op: oa.op,
      ...(oa.scope ? { scope: oa.scope } : {}),
      a_ms: oa.ms,
      b_ms: ob.ms,
      delta_ms: ob.ms - oa.ms,
      ratio: oa.ms > 0 ? ob.ms / oa.ms : null,
      kernel_a: oa.kernel,
      kernel_b: ob.kernel,
    });
  }
  ops.sort((x, y) => Math.abs(y.delta_ms) - Math.abs(x.delta_ms) || x.node.localeCompare(y.node));
  return {
    mode: ra.mode,
    a,
    b,
    ratio,
    change_pct: ratio === null ? null : (ratio - 1) * 100,
    threads_differ: a.threads !== b.threads,
    verdict: verdictOf(a, b, thresholdPct),
    ops,
    only_in_a: oneSided(opsA, opsB),
    only_in_b: oneSided(opsB, opsA),
  };
}

function runSide(r: ModeRun): RunSide {
  const l = r.latency_ms;
  return { median: l.median, p10: l.p10, p90: l.p90, n: l.n, threads: r.threads, outputs_ok: r.outputs_ok };
}

/** Nodes inside If/Loop/Scan bodies may reuse a name of the main graph, so the scope is part of the key. */
function opKey(o: { node: string; scope?: string }): string {
  return o.scope ? `${o.scope}\u0000${o.node}` : o.node;
}

/** One row per key; should a file repeat a node (hand-edited or imported), its times add up rather than one being dropped. */
function opsByKey(ops: OpRow[]): Map<string, OpRow> {
  const byKey = new Map<string, OpRow>();
  for (const o of ops) {
    const key = opKey(o);
    const seen = byKey.get(key);
    byKey.set(key, seen ? { ...seen, ms: seen.ms + o.ms } : o);
  }
  return byKey;
}

function oneSided(mine: Map<string, OpRow>, theirs: Map<string, OpRow>): OneSidedOp[] {
  return [...mine]
    .filter(([key]) => !theirs.has(key))
    .map(([, o]) => ({ node: o.node, op: o.op, ...(o.scope ? { scope: o.scope } : {}), kernel: o.kernel, ms: o.ms }))
    .sort((x, y) => y.ms - x.ms || x.node.localeCompare(y.node));
}

function profileSide(d: ProfileDoc): ProfileSide {
  return {
    model: { name: d.model.name, ...(d.model.sha256 ? { sha256: d.model.sha256 } : {}) },
    target: { host: d.target?.host ?? '', cpu: d.target?.cpu?.name ?? '', isa: [...(d.target?.isa ?? [])] },
    created: d.created ?? '',
    modes: d.runs.map((r) => r.mode),
  };
}

/** By content hash when both files have one (a renamed copy is the same model), else by name. */
function modelsDiffer(a: ProfileDoc, b: ProfileDoc): boolean {
  if (a.model.sha256 && b.model.sha256) return a.model.sha256 !== b.model.sha256;
  return a.model.name !== b.model.name;
}

function targetsDiffer(a: ProfileDoc, b: ProfileDoc): boolean {
  const isa = (d: ProfileDoc) => [...new Set(d.target?.isa ?? [])].sort().join(' ');
  return (a.target?.cpu?.name ?? '') !== (b.target?.cpu?.name ?? '') || isa(a) !== isa(b);
}
