// GEMM and conv kernel throughput, elementwise and GEMV bandwidth, at 1 and 2 threads against the roofs measured in the same
// run, in one table. Usage: npx tsx bench/kernels.ts [--quick] [--write]
// With --write, replaces the "kernels" section of BENCHMARKS.md with the tables printed.
import os from 'node:os';
import path from 'node:path';
import { loadNative } from '../engine/native.js';
import { benchRows, peakLine, runBench, type BenchKind } from '../engine/bench.js';
import { replaceSection } from './report.js';

const ROOT = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const threads = [1, Math.min(2, os.availableParallelism())];

function markdown(headers: string[], rows: string[][]): string {
  const numeric = (h: string) => !['layer', 'case', 'kernel', 'MxNxK', 'B'].includes(h);
  return [
    `| ${headers.join(' | ')} |`,
    `| ${headers.map((h) => (numeric(h) ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function main(): void {
  const native = loadNative();
  const cpu = native.cpuInfo();
  const parts: string[] = [
    'Median kernel time over several calls (the addon\'s own timer, after one warm-up); "% peak" is against the fp32 FMA ' +
      'peak measured at the start of the same run (register-resident FMA chains, best of short trials) at that thread count. ' +
      'The machine is shared, so the 2-thread numbers vary from run to run. In the bandwidth table "% bandwidth" is against the ' +
      'DRAM read bandwidth probe: the in-cache cases (128K floats, the 2.4 MB BatchNorm) run from cache and go past it. The gemv table (M = 1 products, B ' +
      'K x N or N x K as Linear weights are stored) gives the same fraction and "% roof", against min(FMA peak, flops per byte x bandwidth).',
  ];
  for (const kind of ['gemm', 'conv', 'depthwise', 'gemv', 'bandwidth'] as BenchKind[]) {
    const report = runBench(native, kind, { threads, quick });
    const { headers, rows } = benchRows(report);
    parts.push('', `**${kind}** · ${peakLine(report)}`, '', markdown(headers, rows));
    console.error(`${kind} done`);
  }
  const body = parts.join('\n');
  console.log(body);
  if (args.includes('--write')) {
    const command = `npx tsx bench/kernels.ts${quick ? ' --quick' : ''} --write`;
    replaceSection(
      path.join(ROOT, 'BENCHMARKS.md'),
      'kernels',
      command,
      `${cpu.name} (${cpu.isa.join(' ')}), ${os.availableParallelism()} cores`,
      body,
    );
  }
}

main();
