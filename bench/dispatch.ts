// What eager dispatch costs per op: a model of ~300 small ops (test/support/dispatch-model.ts), where
// kernels take a microsecond or two, run through eager with per-op timing on and off, beside
// onnxruntime-node on the same file and thread count. Usage: npx tsx bench/dispatch.ts [--ms N] [--write]
// With --write, replaces the "dispatch" section of BENCHMARKS.md with the table printed.
//
// The engine is measured as it ships: bundled by esbuild like dist/ (scripts/build.mjs), not through
// tsx's per-module transform, whose getters for every imported binding add ~0.1 us per op here.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import type { Plan as PlanType, RunOptions } from '../engine/executor.js';
import type * as Executor from '../engine/executor.js';
import type * as Loader from '../engine/onnx/loader.js';
import type * as Native from '../engine/native.js';
import type * as Tensors from '../engine/tensor.js';
import { median } from '../engine/stats.js';
import { dispatchInput, dispatchModel } from '../test/support/dispatch-model.js';
import { replaceSection } from './report.js';

const ROOT = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const opt = (n: string) => (args.includes(n) ? args[args.indexOf(n) + 1] : undefined);
/** Wall-clock budget per measured configuration, ms. */
const budgetMs = Number(opt('--ms') ?? 700);
const threadCounts = [...new Set([1, Math.min(2, os.availableParallelism())])];

type Engine = typeof Executor & typeof Loader & typeof Native & typeof Tensors;

/** The engine bundled into .cache/bench (the addon is found from there like from dist/). */
async function bundledEngine(): Promise<Engine> {
  const outfile = path.join(ROOT, '.cache/bench/engine.cjs');
  await build({
    stdin: {
      contents: ['executor', 'onnx/loader', 'native', 'tensor'].map((m) => `export * from './engine/${m}.ts';`).join('\n'),
      resolveDir: ROOT,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['node-gyp-build'],
    outfile,
    logLevel: 'warning',
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(outfile) as Engine;
}

let engine: Engine;

interface Row {
  runner: string;
  threads: number;
  /** Median wall time of one inference, µs. */
  us: number;
  /** Sum of the addon-reported kernel time per inference, µs (eager only). */
  kernelUs?: number;
  /** Sum of the per-op timers per inference, µs (eager with timing on only). */
  opsUs?: number;
}

/** Median of per-call times (µs) of `run`, after a warm-up, over about `budgetMs`. */
async function timeCalls(run: () => unknown, after?: () => void): Promise<number[]> {
  // Long enough for V8 to optimize the executor and the ops (the first configuration measured pays for it otherwise).
  const warm = Date.now() + Math.max(300, budgetMs / 2);
  for (let i = 0; Date.now() < warm || i < 20; i++) await run();
  const us: number[] = [];
  const end = Date.now() + budgetMs;
  while (Date.now() < end || us.length < 5) {
    const t0 = process.hrtime.bigint();
    await run();
    us.push(Number(process.hrtime.bigint() - t0) / 1e3);
    after?.();
  }
  return us;
}

async function eagerRow(plan: PlanType, x: Tensors.Tensor, threads: number, timings: boolean): Promise<Row> {
  const opts: RunOptions = { mode: 'eager', threads, native: engine.loadNative(), timings };
  const kernel: number[] = [];
  const ops: number[] = [];
  let last: ReturnType<PlanType['run']> | undefined;
  const us = await timeCalls(
    () => (last = plan.run([x], opts)),
    () => {
      kernel.push(last!.kernelNs / 1e3);
      if (timings) ops.push(last!.timings.reduce((a, t) => a + t.ns, 0) / 1e3);
    },
  );
  return {
    runner: `eager, per-op timing ${timings ? 'on' : 'off'}`,
    threads,
    us: median(us),
    kernelUs: median(kernel),
    ...(timings ? { opsUs: median(ops) } : {}),
  };
}

async function ortRow(file: string, x: Tensors.Tensor, threads: number, level: 'disabled' | 'all'): Promise<{ row: Row; y: Float32Array }> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(file, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: level,
  });
  const feeds = { x: new ort.Tensor('float32', x.data as Float32Array, x.dims as number[]) };
  const us = await timeCalls(() => session.run(feeds));
  const y = (await session.run(feeds)).y.data as Float32Array;
  await session.release();
  return { row: { runner: `onnxruntime-node, graph optimizations '${level}'`, threads, us: median(us) }, y };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function main() {
  engine = await bundledEngine();
  const { loadModel, loadNative, Plan, Tensor } = engine;
  const native = loadNative();
  const cpu = native.cpuInfo();
  const dir = path.join(ROOT, '.cache/dispatch');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'model.onnx');
  fs.writeFileSync(file, dispatchModel());
  const model = loadModel(file);
  const plan = new Plan(model);
  const ops = model.graph.nodes.length;
  const input = dispatchInput();
  const x = new Tensor('float32', input.dims, input.data);
  const ours = plan.run([x], { mode: 'eager', threads: 1, native }).outputs[0] as Tensors.Tensor;
  const rows: Row[] = [];
  let err = 0;
  for (const threads of threadCounts) {
    rows.push(await eagerRow(plan, x, threads, false), await eagerRow(plan, x, threads, true));
    for (const level of ['disabled', 'all'] as const) {
      const { row, y } = await ortRow(file, x, threads, level);
      err = Math.max(err, maxAbsDiff(ours.data as Float32Array, y));
      rows.push(row);
    }
    for (const r of rows.slice(-4)) console.error(`${r.runner} · ${r.threads} thr: ${(r.us / ops).toFixed(2)} µs/op`);
  }
  const f = (v: number, d = 2) => v.toFixed(d);
  const pct = (v: number) => `${Math.round(100 * v)}%`;
  const table = [
    `${ops} ops (${[...new Set(model.graph.nodes.map((n) => n.opType))].join(', ')}) on [${input.dims.join(',')}] float32 tensors ` +
      `(test/support/dispatch-model.ts). Median over ~${budgetMs} ms of back-to-back inferences after a warm-up; the engine bundled ` +
      'by esbuild as dist/ ships it. "kernels" is the time ' +
      'the native addon reports around its kernels, summed over the ops; "outside kernels" is the rest of the wall time (executor, ' +
      'op layer, the addon boundary, and ops that run in TypeScript). onnxruntime-node 1.30 on the same file, in the same process; ' +
      `its output matches ours within ${err.toExponential(1)}.`,
    '',
    '| runner | threads | µs / inference | µs / op | kernels µs / op | outside kernels | per-op timers, µs / op |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.runner} | ${r.threads} | ${f(r.us, 0)} | **${f(r.us / ops)}** | ${r.kernelUs === undefined ? '—' : f(r.kernelUs / ops)} | ` +
        `${r.kernelUs === undefined ? '—' : pct(1 - r.kernelUs / r.us)} | ${r.opsUs === undefined ? '—' : f(r.opsUs / ops)} |`,
    ),
  ].join('\n');
  console.log(table);
  if (args.includes('--write')) {
    const command = `npx tsx bench/dispatch.ts${opt('--ms') ? ` --ms ${budgetMs}` : ''} --write`;
    replaceSection(
      path.join(ROOT, 'BENCHMARKS.md'),
      'dispatch',
      command,
      `${cpu.name} (${cpu.isa.join(' ')}), ${os.availableParallelism()} cores`,
      table,
    );
  }
}

void main();
