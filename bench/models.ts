// Eager vs baseline, and ours vs onnxruntime-node, on the example and shared models, in one run.
// Usage: npx tsx bench/models.ts [--iters N] [--models a,b] [--write]
// With --write, replaces the "models" section of BENCHMARKS.md with the table printed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadModel } from '../engine/onnx/loader.js';
import { Plan } from '../engine/executor.js';
import { loadNative } from '../engine/native.js';
import { readDataSets } from '../engine/testdata/conformance.js';
import { latencyStats } from '../engine/stats.js';
import type { Mode, Value } from '../engine/ops/types.js';
import type { Tensor } from '../engine/tensor.js';
import { replaceSection } from './report.js';

const ROOT = path.resolve(__dirname, '..');
const SHARED = path.resolve(ROOT, '../shared/testdata/models');
const MODELS: Record<string, string> = {
  'shapes-mobilenetv2 (example)': path.join(ROOT, 'examples/shapes-mobilenetv2'),
  'mnist-8': path.join(SHARED, 'mnist-8'),
  ppocr_mobile_v2_cls: path.join(SHARED, 'ppocr_mobile_v2_cls'),
  ppocr_v4_rec: path.join(SHARED, 'ppocr_v4_rec'),
  ppocr_v4_det: path.join(SHARED, 'ppocr_v4_det'),
};

const args = process.argv.slice(2);
const opt = (n: string) => (args.includes(n) ? args[args.indexOf(n) + 1] : undefined);
const iters = Number(opt('--iters') ?? 15);
const only = opt('--models')?.split(',');
const threads = Math.min(2, os.availableParallelism());

function timeOurs(plan: Plan, inputs: Value[], mode: Mode, nthreads: number): number {
  const native = loadNative();
  const run = () => plan.run(inputs, { mode, threads: nthreads, native });
  run();
  const ms: number[] = [];
  // Baseline is slow: fewer iterations keep the run short; medians stay stable.
  const n = mode === 'baseline' ? Math.max(3, Math.ceil(iters / 3)) : iters;
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    run();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return latencyStats(ms).median;
}

async function timeOrt(file: string, names: string[], inputs: Value[], nthreads: number): Promise<number> {
  const ort = await import('onnxruntime-node');
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
  inputs.forEach((v, i) => {
    const t = v as Tensor;
    const type = t.dtype === 'float32' ? 'float32' : t.dtype === 'int64' ? 'int64' : t.dtype;
    feeds[names[i]] = new ort.Tensor(type as 'float32', t.data as Float32Array, t.dims as number[]);
  });
  // onnxruntime's multi-threaded latency varies by session: take the best of several.
  let best = Infinity;
  for (let s = 0; s < 3; s++) {
    const session = await ort.InferenceSession.create(file, {
      intraOpNumThreads: nthreads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    await session.run(feeds);
    const ms: number[] = [];
    for (let i = 0; i < iters; i++) {
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    best = Math.min(best, latencyStats(ms).median);
    await session.release();
  }
  return best;
}

async function main() {
  const cpu = loadNative().cpuInfo();
  const rows: string[] = [];
  for (const [name, dir] of Object.entries(MODELS)) {
    if (only && !only.some((o) => name.includes(o))) continue;
    const file = path.join(dir, 'model.onnx');
    if (!fs.existsSync(file)) continue;
    const model = loadModel(file);
    const plan = new Plan(model);
    const [set] = readDataSets(dir, model.graph.inputs, model.graph.outputs);
    const base = timeOurs(plan, set.inputs, 'baseline', 1);
    const eager1 = timeOurs(plan, set.inputs, 'eager', 1);
    const eagerN = timeOurs(plan, set.inputs, 'eager', threads);
    const ort1 = await timeOrt(
      file,
      model.graph.inputs.map((i) => i.name),
      set.inputs,
      1,
    );
    const ortN = await timeOrt(
      file,
      model.graph.inputs.map((i) => i.name),
      set.inputs,
      threads,
    );
    const f = (v: number) => v.toFixed(2);
    rows.push(
      `| ${name} | ${f(base)} | ${f(eager1)} | ${f(eagerN)} | **${f(base / eagerN)}x** | ${f(ort1)} | ${f(ortN)} | ${f(eagerN / ortN)}x |`,
    );
    console.error(rows[rows.length - 1]);
  }
  const table = [
    `Median latency in ms (${iters} iterations after one warm-up; baseline ${Math.max(3, Math.ceil(iters / 3))}), ${threads} threads where not 1. onnxruntime-node 1.30 with all graph optimizations, best median of 3 sessions.`,
    '',
    `| model | baseline (1 thr) | eager (1 thr) | eager (${threads} thr) | eager speedup vs baseline | ORT (1 thr) | ORT (${threads} thr) | ours / ORT (${threads} thr) |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
  console.log(table);
  if (args.includes('--write')) {
    replaceSection(
      path.join(ROOT, 'BENCHMARKS.md'),
      'models',
      `npx tsx bench/models.ts --iters ${iters} --write`,
      `${cpu.name} (${cpu.isa.join(' ')}), ${os.availableParallelism()} cores`,
      table,
    );
  }
}

void main();
