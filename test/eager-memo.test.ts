// What eager keeps per node between runs of one plan (prepared native calls, broadcast plans,
// reused contexts) must never outlive the shapes, mode or thread count it was made for.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../engine/onnx/loader.js';
import { Plan } from '../engine/executor.js';
import { loadNative } from '../engine/native.js';
import { Tensor } from '../engine/tensor.js';
import { buildModel } from './support/build-model.js';
import { random } from './support/random.js';

const native = loadNative();

function init(name: string, dims: number[], seed: number) {
  const data = random(
    dims.reduce((a, b) => a * b, 1),
    seed,
  );
  return { name, dims, dataType: 1, rawData: new Uint8Array(data.buffer) };
}

// x [N, 4, S, S] (N and S free) -> Conv 1x1 -> Relu -> Mul per channel -> Add x, then a MatMul of
// each plane with its own transpose (S is free, so no fixed weight fits): y = a @ a^T.
const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'armml-memo-')), 'model.onnx');
fs.writeFileSync(
  file,
  buildModel({
    opset: 13,
    inputs: [{ name: 'x', dims: ['N', 4, 'S', 'S'] }],
    outputs: [{ name: 'y', dims: ['N', 4, 'S', 'S'] }],
    initializers: [init('w', [4, 4, 1, 1], 1), init('b', [4], 2), init('scale', [1, 4, 1, 1], 3)],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'] },
      { op: 'Relu', inputs: ['c'], outputs: ['r'] },
      { op: 'Mul', inputs: ['r', 'scale'], outputs: ['m'] },
      { op: 'Add', inputs: ['m', 'x'], outputs: ['a'] },
      { op: 'Transpose', inputs: ['a'], outputs: ['t'], attrs: [{ name: 'perm', type: 7, ints: [0, 1, 3, 2] }] },
      { op: 'MatMul', inputs: ['a', 't'], outputs: ['y'] },
    ],
  }),
);

function input(n: number, s: number, seed: number): Tensor {
  return new Tensor('float32', [n, 4, s, s], random(n * 4 * s * s, seed));
}

function expectClose(got: Tensor, want: Tensor): void {
  expect(got.dims).toEqual(want.dims);
  const g = got.data as Float32Array;
  const w = want.data as Float32Array;
  let worst = 0;
  for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(g[i] - w[i]) / (1 + Math.abs(w[i])));
  expect(worst).toBeLessThan(1e-5);
}

describe('eager state kept between runs', () => {
  it('follows input shapes that change from run to run (small, large enough for native elementwise, back)', () => {
    const reference = new Plan(loadModel(file));
    const plan = new Plan(loadModel(file));
    // 1x4x4x4 stays in TypeScript for the elementwise ops; 2x4x24x24 goes native; then back.
    for (const [n, s, seed] of [
      [1, 4, 10],
      [2, 24, 11],
      [1, 4, 12],
      [3, 9, 13],
      [2, 24, 14],
    ]) {
      const x = input(n, s, seed);
      const want = reference.run([x], { mode: 'baseline', threads: 1, native }).outputs[0] as Tensor;
      for (const threads of [1, 2]) {
        const got = plan.run([x], { mode: 'eager', threads, native }).outputs[0] as Tensor;
        expectClose(got, want);
      }
    }
  });

  it('gives baseline its reference kernels after eager ran the same plan, and eager its own after baseline', () => {
    const plan = new Plan(loadModel(file));
    const x = input(2, 24, 20);
    const eager = plan.run([x], { mode: 'eager', threads: 2, native, timings: true });
    const base = plan.run([x], { mode: 'baseline', threads: 1, native, timings: true });
    const again = plan.run([x], { mode: 'eager', threads: 2, native, timings: true });
    expectClose(eager.outputs[0] as Tensor, base.outputs[0] as Tensor);
    const kernels = (r: typeof eager) => Object.fromEntries(r.timings.map((t) => [t.node.opType, t.kernel]));
    expect(kernels(base).Conv).toMatch(/scalar_ref/);
    expect(kernels(base).Add).toBe('ts_add_float32');
    expect(kernels(eager).Conv).not.toMatch(/scalar_ref/);
    expect(kernels(eager).Add).toMatch(/^binary_f32_/);
    expect(kernels(again)).toEqual(kernels(eager));
  });

  it('leaves earlier outputs intact and reports every node with timing on', () => {
    const plan = new Plan(loadModel(file));
    const x = input(1, 8, 30);
    const first = plan.run([x], { mode: 'eager', threads: 1, native }).outputs[0] as Tensor;
    const copy = Float32Array.from(first.data as Float32Array);
    const timed = plan.run([input(1, 8, 31)], { mode: 'eager', threads: 1, native, timings: true });
    expect(first.data).toEqual(copy);
    expect(timed.timings.map((t) => t.node.opType)).toEqual(['Conv', 'Relu', 'Mul', 'Add', 'Transpose', 'MatMul']);
    expect(timed.timings.every((t) => t.ns > 0 && t.inputShapes.length > 0)).toBe(true);
  });
});

describe('buffers reused within a run', () => {
  // Values whose last reader ran give their buffers to later ops at once; views (Reshape) and
  // reads from a subgraph (If) keep a buffer in use. Checked against onnxruntime: baseline runs
  // through the same pool, so it could not tell.
  const dims = [1, 4, 32, 32];
  const vi = (name: string) => ({ name, dims });
  const shape = (name: string, v: number[]) => ({ name, dims: [v.length], dataType: 7, int64Data: v });
  const branch = (name: string, nodes: unknown[], out: string) => ({
    name,
    node: nodes,
    output: [{ name: out, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } }],
  });
  const aliasFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'armml-alias-')), 'model.onnx');
  fs.writeFileSync(
    aliasFile,
    buildModel({
      opset: 13,
      inputs: [vi('x')],
      outputs: [vi('y'), vi('g')],
      initializers: [shape('flat', [1, 4, 1024]), shape('back', dims), { name: 'cond', dims: [], dataType: 9, int32Data: [1] }],
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['a'] },
        { op: 'Reshape', inputs: ['a', 'flat'], outputs: ['r'] }, // a's last reader; r keeps its buffer
        { op: 'Sigmoid', inputs: ['x'], outputs: ['b'] },
        { op: 'Add', inputs: ['b', 'b'], outputs: ['c'] }, // b dies: c or later values may take its buffer
        { op: 'Reshape', inputs: ['r', 'back'], outputs: ['d'] },
        { op: 'Mul', inputs: ['d', 'c'], outputs: ['e'] },
        { op: 'Neg', inputs: ['c'], outputs: ['f'] },
        { op: 'Abs', inputs: ['f'], outputs: ['h'] },
        {
          op: 'If',
          inputs: ['cond'],
          outputs: ['g'],
          // Both branches read e and d from the main graph: they must live until the If ran.
          attrs: [
            { name: 'then_branch', type: 5, g: branch('then', [{ opType: 'Add', input: ['e', 'd'], output: ['t'] }], 't') },
            { name: 'else_branch', type: 5, g: branch('else', [{ opType: 'Sub', input: ['e', 'd'], output: ['u'] }], 'u') },
          ],
        },
        { op: 'Mul', inputs: ['g', 'h'], outputs: ['y'] },
      ],
    }),
  );

  it('keep every value intact until its last reader, views and subgraphs included', async () => {
    const ort = await import('onnxruntime-node');
    const x = input(1, 32, 40);
    const session = await ort.InferenceSession.create(aliasFile, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
    const theirs = await session.run({ x: new ort.Tensor('float32', x.data as Float32Array, [...x.dims]) });
    await session.release();
    const plan = new Plan(loadModel(aliasFile));
    for (const mode of ['eager', 'baseline', 'eager'] as const) {
      for (let run = 0; run < 3; run++) {
        const [y, g] = plan.run([x], { mode, threads: 2, native }).outputs as Tensor[];
        for (const [ours, name] of [
          [y, 'y'],
          [g, 'g'],
        ] as const) {
          expectClose(ours, new Tensor('float32', dims, theirs[name].data as Float32Array));
        }
        // The two outputs never share memory with each other.
        expect((y.data as Float32Array).buffer).not.toBe((g.data as Float32Array).buffer);
      }
    }
  });
});
