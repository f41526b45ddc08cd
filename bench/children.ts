// What the model benchmarks share: their command line, and timing an engine in a fresh child
// process (bench/eager-child.ts, bench/ort-child.mjs) that prints {"ms": [...], "ok"?, "reason"?}.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { latencyStats, type LatencyStats } from '../engine/stats.js';
import type { CpuInfo } from '../engine/native.js';
import { replaceSection } from './report.js';

const args = process.argv.slice(2);
export const flag = (n: string) => args.includes(n);
const opt = (n: string) => (args.includes(n) ? args[args.indexOf(n) + 1] : undefined);
export const iters = Number(opt('--iters') ?? 20);
/** Warm-up runs per process (eager's child also warms up for at least a second). */
export const warmup = 15;
export const threads = Math.min(2, os.availableParallelism());
/** Fresh processes per engine; the best median of them is compared. */
export const PROCESSES = 3;

export interface ChildRun {
  stats: LatencyStats;
  ok?: boolean;
  reason?: string;
}

export function child(argv: string[]): ChildRun {
  const out = execFileSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 16 << 20 });
  const r = JSON.parse(out) as { ms: number[]; ok?: boolean; reason?: string };
  return { stats: latencyStats(r.ms), ok: r.ok, reason: r.reason };
}

export const best = (runs: ChildRun[]) => runs.reduce((a, b) => (b.stats.median < a.stats.median ? b : a));

/** With --write, replaces section `id` of BENCHMARKS.md with `table`, naming the command and this machine. */
export function writeSection(id: string, script: string, cpu: CpuInfo, table: string): void {
  if (!flag('--write')) return;
  replaceSection(
    path.join(__dirname, '..', 'BENCHMARKS.md'),
    id,
    `npx tsx bench/${script} --iters ${iters} --write`,
    `${cpu.name} (${cpu.isa.join(' ')}), ${os.availableParallelism()} cores`,
    table,
  );
}
