// The dispatch benchmark's model (bench/dispatch.ts): what it contains, that it loads and runs the
// same in every mode and in onnxruntime, and that runs report the kernel time the bench divides.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../engine/onnx/loader.js';
import { Plan } from '../engine/executor.js';
import { loadNative } from '../engine/native.js';
import { Tensor } from '../engine/tensor.js';
import { DISPATCH_BLOCK, dispatchInput, dispatchModel } from './support/dispatch-model.js';
import { ROOT, SHARED } from './support/paths.js';

const native = loadNative();

function write(bytes: Uint8Array): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'armml-dispatch-')), 'model.onnx');
  fs.writeFileSync(file, bytes);
  return file;
}

function input(opts = {}): Tensor {
  const x = dispatchInput(opts);
  return new Tensor('float32', x.dims, x.data);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('dispatch model', () => {
  const file = write(dispatchModel());
  const model = loadModel(file);

  it('is 300 small ops in blocks of Conv, Relu, MatMul, Mul, Add on 1x16x8x8', () => {
    expect(model.graph.nodes).toHaveLength(300);
    expect(model.graph.nodes.map((n) => n.opType)).toEqual(Array.from({ length: 300 }, (_, i) => DISPATCH_BLOCK[i % 5]));
    expect(model.graph.inputs.map((i) => i.type)).toEqual([{ kind: 'tensor', dtype: 'float32', shape: [1, 16, 8, 8] }]);
    expect(model.graph.initializers.get('b0.conv.w')?.dims).toEqual([16, 16, 1, 1]);
    expect(model.graph.initializers.get('b0.mm.w')?.dims).toEqual([8, 8]);
  });

  it('is deterministic and follows its options', () => {
    expect(Buffer.from(dispatchModel())).toEqual(Buffer.from(dispatchModel()));
    expect(Buffer.from(dispatchModel({ seed: 8 }))).not.toEqual(Buffer.from(dispatchModel()));
    const small = loadModel(write(dispatchModel({ blocks: 2, channels: 4, size: 3 })));
    expect(small.graph.nodes).toHaveLength(10);
    expect(small.graph.initializers.get('b1.conv.w')?.dims).toEqual([4, 4, 1, 1]);
    expect(dispatchInput({ channels: 4, size: 3 }).dims).toEqual([1, 4, 3, 3]);
    expect(() => dispatchModel({ blocks: 0 })).toThrow(/blocks must be a positive integer/);
  });

  it('gives the same output in eager as in baseline, run after run, with finite values', () => {
    const plan = new Plan(model);
    const x = input();
    const base = plan.run([x], { mode: 'baseline', threads: 1, native }).outputs[0] as Tensor;
    const y = base.data as Float32Array;
    expect(y.every(Number.isFinite)).toBe(true);
    // Contractive blocks: the output stays near the input's magnitude after 300 ops.
    expect(Math.max(...Array.from(y, Math.abs))).toBeLessThan(10);
    for (let i = 0; i < 3; i++) {
      const eager = plan.run([x], { mode: 'eager', threads: 2, native, timings: i === 1 }).outputs[0] as Tensor;
      expect(maxDiff(eager.data as Float32Array, y)).toBeLessThan(1e-5);
    }
  });

  it('matches onnxruntime', async () => {
    const ort = await import('onnxruntime-node');
    const x = input();
    const session = await ort.InferenceSession.create(file, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
    const theirs = (await session.run({ x: new ort.Tensor('float32', x.data as Float32Array, [...x.dims]) })).y.data as Float32Array;
    await session.release();
    const ours = (new Plan(model).run([x], { mode: 'eager', threads: 1, native }).outputs[0] as Tensor).data as Float32Array;
    expect(maxDiff(ours, theirs)).toBeLessThan(1e-5);
  });

  it('reports the kernel time of a run, with per-op timing on or off', () => {
    const plan = new Plan(model);
    const x = input();
    const timed = plan.run([x], { mode: 'eager', threads: 1, native, timings: true });
    const perOp = timed.timings.reduce((a, t) => a + t.kernelNs, 0);
    expect(timed.kernelNs).toBeGreaterThan(0);
    expect(timed.kernelNs).toBe(perOp);
    // Native ops report their kernel's time, and it is part of the op's own.
    const conv = timed.timings.find((t) => t.node.opType === 'Conv')!;
    expect(conv.kernelNs).toBeGreaterThan(0);
    expect(conv.kernelNs).toBeLessThanOrEqual(conv.ns);
    expect(plan.run([x], { mode: 'eager', threads: 1, native }).kernelNs).toBeGreaterThan(0);
  });
});

describe('bench/ort-child.mjs', () => {
  it('times onnxruntime in its own process on a model and a raw float32 input', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'armml-ort-child-'));
    const file = path.join(dir, 'model.onnx');
    fs.writeFileSync(file, dispatchModel({ blocks: 2 }));
    const x = dispatchInput().data;
    fs.writeFileSync(path.join(dir, 'input.bin'), new Uint8Array(x.buffer));
    const child = path.join(__dirname, '../bench/ort-child.mjs');
    const out = execFileSync(process.execPath, [child, file, path.join(dir, 'input.bin'), 'disabled', '1', '4', '1'], { encoding: 'utf8' });
    const { ms } = JSON.parse(out) as { ms: number[] };
    expect(ms).toHaveLength(4);
    expect(ms.every((v) => v > 0 && v < 1000)).toBe(true);
    // An input of the wrong size is an error, not a number.
    fs.writeFileSync(path.join(dir, 'short.bin'), new Uint8Array(12));
    expect(() =>
      execFileSync(process.execPath, [child, file, path.join(dir, 'short.bin'), 'all', '1', '1', '0'], { stdio: 'pipe' }),
    ).toThrow(/input has 3 floats/);
  });
});

describe('bench/eager-child.ts', () => {
  it('times eager in its own process on a model directory and checks the outputs against its reference', () => {
    const child = path.join(__dirname, '../bench/eager-child.ts');
    const dir = path.join(SHARED, 'models/mnist-8');
    const out = execFileSync(process.execPath, ['--import', 'tsx', child, dir, '2', '3', '1'], { encoding: 'utf8', cwd: ROOT });
    const r = JSON.parse(out) as { ms: number[]; ok: boolean };
    expect(r.ms).toHaveLength(3);
    expect(r.ms.every((v) => v > 0 && v < 1000)).toBe(true);
    expect(r.ok).toBe(true);
    // A directory without a model is an error, not a number.
    expect(() => execFileSync(process.execPath, ['--import', 'tsx', child, os.tmpdir(), '1', '1', '0'], { stdio: 'pipe', cwd: ROOT })).toThrow(/model\.onnx/);
  });
});
