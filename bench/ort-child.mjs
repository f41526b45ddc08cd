// One onnxruntime-node measurement in a fresh process, for bench/eager-vs-ort.ts:
//   node bench/ort-child.mjs MODEL INPUT.bin LEVEL THREADS ITERS WARMUP
// INPUT.bin holds the float32 input; its shape is the model's. Prints {"ms": [one per timed run]} as JSON.
import fs from 'node:fs';
import ort from 'onnxruntime-node';

const [file, inputFile, level, threads, iters, warmup] = process.argv.slice(2);
const session = await ort.InferenceSession.create(file, {
  intraOpNumThreads: Number(threads),
  interOpNumThreads: 1,
  graphOptimizationLevel: level,
});
const bytes = fs.readFileSync(inputFile);
const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
const meta = session.inputMetadata[0];
const dims = meta.shape.map((d) => (typeof d === 'number' ? d : 1));
if (dims.reduce((a, b) => a * b, 1) !== data.length) throw new Error(`input has ${data.length} floats, the model wants [${dims}]`);
const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, dims) };
for (let i = 0; i < Number(warmup); i++) await session.run(feeds);
const ms = [];
for (let i = 0; i < Number(iters); i++) {
  const t0 = process.hrtime.bigint();
  await session.run(feeds);
  ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
process.stdout.write(JSON.stringify({ ms }));
await session.release();
