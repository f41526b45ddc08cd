// Graph mode against eager and against onnxruntime-node with all its graph optimizations, on the
// PyTorch-exported CNNs and a BERT-style encoder, 2 threads, in one run: each engine in three
// fresh processes (bench/eager-child.ts in eager and graph mode, bench/ort-child.mjs), taken in
// turns; the best median of each is compared. Bars (the graph-mode issue): geomean graph/eager
// speedup >= 1.5x; ResNet-18 and MobileNet-v2 in graph mode <= 0.9x onnxruntime 'all'.
// Usage: npx tsx bench/graph-vs-eager.ts [--iters N] [--write]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadModel } from '../engine/onnx/loader.js';
import { loadNative } from '../engine/native.js';
import { readDataSets } from '../engine/testdata/conformance.js';
import type { Tensor } from '../engine/tensor.js';
import { ensureTorchModels, TORCH_MODELS_DIR } from '../test/support/torch-models.js';
import { best, child, iters, PROCESSES, threads, warmup, writeSection, type ChildRun } from './children.js';

const MODELS = [
  'resnet18',
  'mobilenet_v2',
  'mobilenet_v3_small',
  'squeezenet1_1',
  'shufflenet_v2_x0_5',
  'efficientnet_b0',
  'regnet_y_400mf',
  'bert_tiny_op14',
  'bert_tiny_op17',
  'llama_tiny_op14',
  'llama_tiny_op17',
];
/** The bar's geomean is over the CNNs and the BERT-style encoder; the Llama row is shown beside them. */
const IN_GEOMEAN = (name: string) => !name.startsWith('llama');
const VS_ORT = new Set(['resnet18', 'mobilenet_v2']);
const ENGINES = ['eager', 'graph', 'graph-timed', 'graph-plan'] as const;

function main(): void {
  ensureTorchModels();
  const cpu = loadNative().cpuInfo();
  const f = (v: number) => v.toFixed(2);
  const rows: string[] = [];
  const speedups: number[] = [];
  const overheads: number[] = [];
  for (const name of MODELS) {
    const dir = path.join(TORCH_MODELS_DIR, name);
    const file = path.join(dir, 'model.onnx');
    const model = loadModel(file);
    const [set] = readDataSets(dir, model.graph.inputs, model.graph.outputs);
    const input = set.inputs[0] as Tensor;
    const inputFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'armml-graph-')), 'input.bin');
    const data = input.data as Float32Array;
    const ortOk = input.dtype === 'float32' && set.inputs.length === 1;
    if (ortOk) fs.writeFileSync(inputFile, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    const counts = [String(threads), String(iters), String(warmup)];
    const runs: Record<(typeof ENGINES)[number] | 'ort', ChildRun[]> = { eager: [], graph: [], 'graph-timed': [], 'graph-plan': [], ort: [] };
    for (let p = 0; p < PROCESSES; p++) {
      for (const mode of ENGINES)
        runs[mode].push(child(['--import', 'tsx', path.join(__dirname, 'eager-child.ts'), dir, ...counts, mode]));
      if (ortOk) runs.ort.push(child([path.join(__dirname, 'ort-child.mjs'), file, inputFile, 'all', ...counts]));
    }
    fs.rmSync(path.dirname(inputFile), { recursive: true, force: true });
    const [e, g, gt, gp] = [best(runs.eager), best(runs.graph), best(runs['graph-timed']), best(runs['graph-plan'])];
    const overhead = gt.stats.median / g.stats.median - 1;
    overheads.push(overhead);
    const o = runs.ort.length ? best(runs.ort) : undefined;
    const speedup = e.stats.median / g.stats.median;
    if (IN_GEOMEAN(name)) speedups.push(speedup);
    const vsOrt = o ? g.stats.median / o.stats.median : undefined;
    const bar = VS_ORT.has(name) && vsOrt !== undefined ? (vsOrt <= 0.9 ? 'met' : 'not met') : '';
    const wrong = ENGINES.flatMap((m) => runs[m]).find((r) => !r.ok);
    rows.push(
      `| ${name} | ${f(e.stats.median)} | ${f(g.stats.median)} (${runs.graph.map((r) => f(r.stats.median)).join(' / ')}) | **${f(speedup)}x** | ` +
        `${f(gp.stats.median)} | ${(overhead * 100).toFixed(1)}% | ` +
        `${o ? f(o.stats.median) : '—'} | ${vsOrt !== undefined ? `${f(vsOrt)}x` : '—'} | ${bar} | ${wrong ? `no: ${wrong.reason}` : 'yes'} |`,
    );
    console.error(rows[rows.length - 1]);
  }
  const geomean = Math.exp(speedups.reduce((a, s) => a + Math.log(s), 0) / speedups.length);
  const medianOverhead = overheads.slice().sort((a, b) => a - b)[Math.floor((overheads.length - 1) / 2)];
  const table = [
    `Milliseconds per inference at ${threads} threads, the test_data_set_0 input of each model. Eager and graph mode (bench/eager-child.ts) and onnxruntime-node 1.30 with graphOptimizationLevel 'all' (bench/ort-child.mjs): ` +
      `each of ${PROCESSES} fresh processes per engine, taken in turns, times ${iters} runs after ${warmup} warm-ups; the best median is compared. ` +
      `Geomean graph/eager speedup over the CNNs and BERT: **${f(geomean)}x** (bar 1.5x: ${geomean >= 1.5 ? 'met' : 'not met'}). Bar for ResNet-18 and MobileNet-v2: graph <= 0.9x onnxruntime 'all'. ` +
      `Graph mode runs its native program (one addon call per inference); 'JS executor' is the same compiled graph run node by node from JS. ` +
      `Per-step timing cost (graph with timings on against off, best medians): median ${(medianOverhead * 100).toFixed(1)}% over the models (bar 3%: ${medianOverhead <= 0.03 ? 'met' : 'not met'}).`,
    '',
    "| model | eager ms | graph ms (3 processes) | graph speedup | graph on JS executor ms | timing cost | ORT 'all' ms | graph / ORT 'all' | <= 0.9x | outputs match reference |",
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
    ...rows,
  ].join('\n');
  console.log(table);
  writeSection('graph-vs-eager', 'graph-vs-eager.ts', cpu, table);
}

main();
