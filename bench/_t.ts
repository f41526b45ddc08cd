import path from 'node:path';
import { Plan } from '../engine/executor.js';
import { loadNative } from '../engine/native.js';
import { loadModel } from '../engine/onnx/loader.js';
import { readDataSets } from '../engine/testdata/conformance.js';
import { compileForInputs } from '../engine/compiler/graph-mode.js';
const dir = path.join('/work/main/.cache/torch-models', process.argv[2] ?? 'mobilenet_v2');
const loaded = loadModel(path.join(dir, 'model.onnx'));
const [set] = readDataSets(dir, loaded.graph.inputs, loaded.graph.outputs);
const native = loadNative();
for (const mode of ['eager', 'graph']) {
  const model = mode === 'graph' ? compileForInputs(loaded, set.inputs, { threads: 2, native }).model : loaded;
  const plan = new Plan(model);
  const t0 = Date.now(); while (Date.now() - t0 < 1500) plan.run(set.inputs, { mode: 'eager', threads: 2, native });
  for (const timings of [false, true, false, true]) {
    const ms: number[] = []; let kern = 0; let opsum = 0;
    for (let i = 0; i < 100; i++) { const a = process.hrtime.bigint(); const r = plan.run(set.inputs, { mode: 'eager', threads: 2, native, timings }); ms.push(Number(process.hrtime.bigint() - a) / 1e6); kern += r.kernelNs / 1e6; opsum += r.timings.reduce((x, t) => x + t.ns, 0) / 1e6; }
    ms.sort((a, b) => a - b);
    console.log(mode, 'nodes', model.graph.nodes.length, 'timings', timings, 'median', ms[50].toFixed(3), 'kernel avg', (kern / 100).toFixed(3), 'op sum avg', (opsum / 100).toFixed(3));
  }
}
