// Plain-text tables for the terminal.
import type { ModeRun, OpRow, ProfileDoc } from '../common/profile.js';
import type { ModeDiff, OneSidedOp, ProfileDiff, ProfileSide } from '../common/diff.js';

export function table(header: string[], rows: string[][], rightAlign: boolean[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (rightAlign[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

const ms = (v: number) => (v >= 100 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3));
const truncate = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function opTable(ops: OpRow[], top: number): string {
  const rows = ops.slice(0, top).map((o) => [
    o.op,
    truncate(o.node, 40),
    o.kernel,
    o.isa,
    ms(o.ms),
    `${(o.share * 100).toFixed(1)}%`,
    o.gflops > 0 ? o.gflops.toFixed(1) : '',
  ]);
  return table(['op', 'node', 'kernel', 'ISA', 'ms', 'share', 'GFLOP/s'], rows, [false, false, false, false, true, true, true]);
}

export function runSummary(run: ModeRun, baseline?: ModeRun): string {
  const l = run.latency_ms;
  const speedup = baseline && run !== baseline && l.median > 0 ? `  ${(baseline.latency_ms.median / l.median).toFixed(2)}x vs baseline` : '';
  const check = run.outputs_ok
    ? `outputs ok (max |err| ${run.max_abs_err.toExponential(1)} vs ${run.checked_against})`
    : `OUTPUTS WRONG vs ${run.checked_against}: ${run.error}`;
  return `${run.mode} · ${run.threads} thread(s): median ${ms(l.median)} ms (p10 ${ms(l.p10)}, p90 ${ms(l.p90)}, min ${ms(l.min)}, n=${l.n})${speedup}\n  ${check}`;
}

export function profileReport(doc: ProfileDoc, top: number): string {
  const out: string[] = [];
  const t = doc.target;
  out.push(`${doc.model.name}: ${doc.model.nodes} nodes, ${(doc.model.params / 1e6).toFixed(2)} M params, ${(doc.model.flops / 1e9).toFixed(3)} GFLOP per run`);
  out.push(`target: ${t.host} · ${t.cpu.name} · ${t.arch} · ${t.isa.join(' ') || 'no SIMD extensions detected'}`);
  const baseline = doc.runs.find((r) => r.mode === 'baseline');
  const eager = doc.runs.find((r) => r.mode === 'eager');
  for (const run of doc.runs) {
    out.push('', runSummary(run, baseline));
    if (run.mode === 'graph' && eager && run.latency_ms.median > 0) out.push(`  ${(eager.latency_ms.median / run.latency_ms.median).toFixed(2)}x vs eager`);
    if (run.passes) out.push('', passTable(run, doc.model.nodes));
    out.push('', opTable(run.ops, top));
    if (run.ops.length > top) out.push(`… ${run.ops.length - top} more ops (see the JSON)`);
  }
  return out.join('\n');
}

/** Graph mode's compiler log: each pass, what it changed, and the node count after it. */
export function passTable(run: ModeRun, nodes: number): string {
  const rows = (run.passes ?? []).map((p) => [
    p.pass,
    p.enabled ? String(p.changes) : 'off',
    `${p.nodes_before} -> ${p.nodes_after}`,
    p.enabled ? p.ms.toFixed(1) : '',
    p.notes[0] ? truncate(p.notes[0] + (p.notes.length > 1 ? ` (+${p.notes.length - 1} more)` : ''), 70) : '',
  ]);
  const mem = run.memory ? `; memory plan: ${(run.memory.arena_bytes / 2 ** 20).toFixed(2)} MiB arena for ${run.memory.values} values (peak live ${(run.memory.peak_live_bytes / 2 ** 20).toFixed(2)} MiB)` : '';
  const prog = run.program;
  const callbacks = prog
    ? Object.entries(prog.callbacks)
        .sort((a, b) => b[1] - a[1])
        .map(([op, n]) => `${op} ${n}`)
        .join(', ')
    : '';
  const progLine = prog ? `\nnative program: ${prog.steps} steps, ${prog.kernel_steps} run by the addon, ${prog.callback_steps} call back into JS${callbacks ? ` (${callbacks})` : ''}` : '';
  return `graph compiler: ${nodes} -> ${run.nodes ?? nodes} nodes${mem}${progLine}\n${table(['pass', 'changes', 'nodes', 'ms', 'first change'], rows, [false, true, false, true, false])}`;
}

// ---------------------------------------------------------------- armml diff

const signedMs = (v: number) => `${v > 0 ? '+' : v < 0 ? '-' : ''}${ms(Math.abs(v))}`;
const signedPct = (v: number | null) => (v === null ? '–' : `${v > 0 ? '+' : ''}${v.toFixed(1)}%`);
const spread = (s: { p10: number; p90: number }) => `${ms(s.p10)}–${ms(s.p90)}`;
const okText = (ok: boolean) => (ok ? 'ok' : 'WRONG');
const sideText = (s: ProfileSide) => [s.model.name, s.target.cpu, s.created].filter(Boolean).join(' · ');
const isaText = (isa: string[]) => isa.join(' ') || 'no SIMD extensions';

export function diffModeTable(modes: ModeDiff[]): string {
  const rows = modes.map((m) => [
    m.mode,
    ms(m.a.median),
    ms(m.b.median),
    signedPct(m.change_pct),
    m.verdict,
    spread(m.a),
    spread(m.b),
    m.threads_differ ? `${m.a.threads} → ${m.b.threads}` : String(m.a.threads),
    m.a.outputs_ok === m.b.outputs_ok ? okText(m.a.outputs_ok) : `${okText(m.a.outputs_ok)} → ${okText(m.b.outputs_ok)}`,
  ]);
  const header = ['mode', 'A ms', 'B ms', 'change', 'verdict', 'A p10–p90', 'B p10–p90', 'threads', 'outputs'];
  return table(header, rows, [false, true, true, true]);
}

/** The ops whose time moved most; the kernel column appears only when a shown op changed kernel. */
export function diffOpTable(mode: ModeDiff, top: number): string {
  const shown = mode.ops.slice(0, top);
  const kernelChanged = shown.some((o) => o.kernel_a !== o.kernel_b);
  const rows = shown.map((o) => [
    o.op,
    truncate(o.node, 40),
    ...(kernelChanged ? [o.kernel_a === o.kernel_b ? '' : `${o.kernel_a} → ${o.kernel_b}`] : []),
    ms(o.a_ms),
    ms(o.b_ms),
    signedMs(o.delta_ms),
    o.ratio === null ? '–' : `${o.ratio.toFixed(2)}x`,
  ]);
  const header = ['op', 'node', ...(kernelChanged ? ['kernel A → B'] : []), 'A ms', 'B ms', 'delta', 'ratio'];
  return table(header, rows, header.map((h) => ['A ms', 'B ms', 'delta', 'ratio'].includes(h)));
}

function oneSidedLine(side: 'A' | 'B', ops: OneSidedOp[], names = 3): string {
  const listed = ops.slice(0, names).map((o) => `${truncate(o.node, 40)} ${ms(o.ms)} ms`);
  return `only in ${side}: ${ops.length} op(s) (${listed.join(', ')}${ops.length > names ? ', …' : ''})`;
}

export function diffReport(diff: ProfileDiff, top: number, files: { a: string; b: string }): string {
  const out = [`A: ${files.a} · ${sideText(diff.a)}`, `B: ${files.b} · ${sideText(diff.b)}`, '', diffModeTable(diff.modes)];
  out.push(`(slower/faster: median moved more than ${diff.threshold_pct}% and the p10–p90 ranges do not overlap)`);
  if (diff.modes_only_in_a.length) out.push(`modes only in A: ${diff.modes_only_in_a.join(', ')}`);
  if (diff.modes_only_in_b.length) out.push(`modes only in B: ${diff.modes_only_in_b.join(', ')}`);
  for (const m of diff.modes) {
    const more = m.ops.length > top ? `, top ${top} of ${m.ops.length}` : '';
    if (m.ops.length) out.push('', `${m.mode}: ops in both, largest change first${more}`, '', diffOpTable(m, top));
    else out.push('', `${m.mode}: no op is in both runs`);
    if (m.only_in_a.length) out.push(oneSidedLine('A', m.only_in_a));
    if (m.only_in_b.length) out.push(oneSidedLine('B', m.only_in_b));
  }
  return out.join('\n');
}

/** What makes the comparison suspect without making it wrong: printed on stderr, the diff still runs. */
export function diffWarnings(diff: ProfileDiff): string[] {
  const warnings: string[] = [];
  const model = (s: ProfileSide) => `${s.model.name}${s.model.sha256 ? ` sha256 ${s.model.sha256.slice(0, 12)}` : ''}`;
  const machine = (s: ProfileSide) => `${s.target.cpu} · ${isaText(s.target.isa)}`;
  if (diff.summary.models_differ) {
    warnings.push(`A and B profile different models (A: ${model(diff.a)}, B: ${model(diff.b)}); comparing anyway`);
  }
  if (diff.summary.targets_differ) {
    const machines = `A: ${machine(diff.a)}; B: ${machine(diff.b)}`;
    warnings.push(`A and B ran on different machines (${machines}); the times compare the machines as much as the code`);
  }
  return warnings;
}
