// Plain-text tables for the terminal.
import type { ModeRun, OpRow, ProfileDoc } from '../engine/profile.js';

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
  for (const run of doc.runs) {
    out.push('', runSummary(run, baseline), '', opTable(run.ops, top));
    if (run.ops.length > top) out.push(`… ${run.ops.length - top} more ops (see the JSON)`);
  }
  return out.join('\n');
}
