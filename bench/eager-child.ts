// One eager (or graph-mode) measurement in a fresh process, for bench/eager-vs-ort.ts and
// bench/graph-vs-eager.ts (the same protocol as bench/ort-child.mjs, so the engines are timed alike):
//   node --import tsx bench/eager-child.ts MODEL_DIR THREADS ITERS WARMUP [eager|graph|graph-timed|graph-plan]
// graph runs the compiled graph's native program, graph-timed the same with per-step timings on,
// graph-plan the compiled graph on the JS executor (what the program replaces).
// Prints {"ms": [one per timed run], "ok": outputs match the reference, "reason"?} as JSON.
import path from 'node:path';
import { Plan } from '../engine/executor.js';
import { loadNative } from '../engine/native.js';
import { loadModel } from '../engine/onnx/loader.js';
import type { Tensor } from '../engine/tensor.js';
import { compareOutputs, DEFAULT_TOLERANCE, readDataSets } from '../engine/testdata/conformance.js';
import { graphMode } from '../engine/compiler/graph-mode.js';

const [dir, threads, iters, warmup, mode = 'eager'] = process.argv.slice(2);
const MODES = ['eager', 'graph', 'graph-timed', 'graph-plan'];
if (!MODES.includes(mode)) throw new Error(`mode must be one of ${MODES.join(', ')}, got '${mode}'`);
const loaded = loadModel(path.join(dir, 'model.onnx'));
const [set] = readDataSets(dir, loaded.graph.inputs, loaded.graph.outputs);
const native = loadNative();
const opts = { mode: 'eager' as const, threads: Number(threads), native, timings: mode === 'graph-timed' };
const graph = mode === 'eager' ? undefined : graphMode(loaded, set.inputs, { threads: Number(threads), native });
const model = graph ? graph.model : loaded;
const runner = graph && mode !== 'graph-plan' ? graph.program : new Plan(model);
const run = () => runner.run(set.inputs, opts);
// WARMUP runs, and at least a second of them: a small model's runs are over before V8 has
// optimized the executor and the ops, and its compiler threads then compete with the timed runs.
const warmStart = process.hrtime.bigint();
for (let i = 0; i < Number(warmup) || (Number(warmup) > 0 && process.hrtime.bigint() - warmStart < 1_000_000_000n); i++) run();
const ms: number[] = [];
let outputs: Tensor[] = [];
for (let i = 0; i < Number(iters); i++) {
  const t0 = process.hrtime.bigint();
  outputs = run().outputs as Tensor[];
  ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
const check = compareOutputs(
  outputs,
  set.outputs,
  DEFAULT_TOLERANCE,
  model.graph.outputs.map((o) => o.name),
);
process.stdout.write(JSON.stringify({ ms, ok: check.ok, ...(check.ok ? {} : { reason: check.reason }) }));
