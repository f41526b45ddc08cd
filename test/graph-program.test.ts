// Graph mode's native program (engine/compiler/program.ts, programCreate/programRun in
// native/src/napi_calls.cc): the same outputs as the compiled graph run node by node, kernel and
// callback steps as recorded, step timings from native code, and the mistakes it refuses.
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel, loadModel } from '../engine/onnx/loader.js';
import { Plan } from '../engine/executor.js';
import { loadNative } from '../engine/native.js';
import { Tensor } from '../engine/tensor.js';
import { graphMode } from '../engine/compiler/graph-mode.js';
import { GraphProgram } from '../engine/compiler/program.js';
import { readDataSets } from '../engine/testdata/conformance.js';
import type { Value } from '../engine/ops/types.js';
import { buildModel } from './support/build-model.js';
import { random } from './support/random.js';
import { ROOT } from './support/paths.js';

const native = loadNative();
const EXAMPLE = path.join(ROOT, 'examples/shapes-mobilenetv2');
const data = (v: Value) => Array.from((v as Tensor).data as Float32Array);

function example() {
  const model = loadModel(path.join(EXAMPLE, 'model.onnx'));
  const [set] = readDataSets(EXAMPLE, model.graph.inputs, model.graph.outputs);
  return { model, set };
}

/** MatMul (kernel) -> Reshape (callback, a view) -> Relu (kernel on the callback's value); both ends are outputs. */
function mixedModel() {
  const w = random(32 * 24, 3);
  return decodeModel(
    buildModel({
      nodes: [
        { op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] },
        { op: 'Reshape', inputs: ['y', 'shape'], outputs: ['r'] },
        { op: 'Relu', inputs: ['r'], outputs: ['z'] },
      ],
      inputs: [{ name: 'x', dims: [16, 32] }],
      outputs: [
        { name: 'y', dims: [16, 24] },
        { name: 'z', dims: [24, 16] },
      ],
      initializers: [
        { name: 'w', dims: [32, 24], dataType: 1, floatData: Array.from(w) },
        { name: 'shape', dims: [2], dataType: 7, int64Data: [24, 16] },
      ],
    }),
    'mixed.onnx',
  );
}

describe('graph program', () => {
  it("gives the compiled graph's outputs, run after run, with kernel steps for the convs and callbacks for the rest", () => {
    const { model, set } = example();
    const g = graphMode(model, set.inputs, { threads: 2, native });
    const want = new Plan(g.model).run(set.inputs, { mode: 'eager', threads: 2, native }).outputs;
    const info = g.program.info;
    expect(info.steps).toBe(g.model.graph.nodes.length);
    expect(info.kernel_steps + info.callback_steps).toBe(info.steps);
    // Every Conv of the example (fused or not) is a kernel step; pooling and Flatten call back.
    expect(info.kernel_steps).toBeGreaterThanOrEqual(g.model.graph.nodes.filter((n) => n.opType === 'Conv').length);
    expect(info.callbacks).toEqual({ GlobalAveragePool: 1, Flatten: 1 });
    const first = g.program.run(set.inputs, { mode: 'eager', threads: 2, native }).outputs;
    const kept = data(first[0]);
    for (let i = 0; i < 3; i++) {
      const r = g.program.run(set.inputs, { mode: 'eager', threads: i + 1, native });
      expect(data(r.outputs[0])).toEqual(data(want[0]));
    }
    // The caller's outputs are its own: later runs do not write into them.
    expect(data(first[0])).toEqual(kept);
  });

  it('rebinds what a callback makes for the kernels that read it, and copies outputs out of its fixed buffers', () => {
    const model = mixedModel();
    const x0 = new Tensor('float32', [16, 32], random(512, 1));
    const program = GraphProgram.create(new Plan(model), [x0], { mode: 'eager', threads: 1, native });
    expect(program.info).toEqual({ steps: 3, kernel_steps: 2, callback_steps: 1, callbacks: { Reshape: 1 } });
    const plan = new Plan(model);
    const results = [1, 2, 5].map((seed) => {
      const x = new Tensor('float32', [16, 32], random(512, seed));
      const got = program.run([x], { mode: 'eager', threads: 1, native, timings: true });
      const want = plan.run([x], { mode: 'eager', threads: 1, native }).outputs;
      expect(got.outputs.map(data)).toEqual(want.map(data));
      expect(got.timings.map((t) => t.node.opType)).toEqual(['MatMul', 'Reshape', 'Relu']);
      return got;
    });
    // Each run's outputs stayed as they were (a later run wrote new arrays).
    expect(data(results[0].outputs[0])).not.toEqual(data(results[1].outputs[0]));
    expect(results[0].outputs[0]).not.toBe(results[1].outputs[0]);
  });

  it('times each step in native code, in order, with the recorded kernels and shapes', () => {
    const { model, set } = example();
    const g = graphMode(model, set.inputs, { threads: 1, native });
    const r = g.program.run(set.inputs, { mode: 'eager', threads: 1, native, timings: true });
    expect(r.timings.length).toBe(g.program.info.steps);
    for (let i = 0; i < r.timings.length; i++) {
      const t = r.timings[i];
      expect(t.ns).toBeGreaterThan(0);
      if (i > 0) expect(t.startNs).toBeGreaterThanOrEqual(r.timings[i - 1].startNs + r.timings[i - 1].ns);
    }
    const conv = r.timings.find((t) => t.node.opType === 'Conv')!;
    expect(conv.kernel).toMatch(/^conv2d_f32|^dwconv2d_f32/);
    expect(conv.kernelNs).toBe(conv.ns);
    expect(conv.outputShapes[0]?.length).toBe(4);
    // Untimed runs collect nothing but still report the kernels' time.
    const u = g.program.run(set.inputs, { mode: 'eager', threads: 1, native });
    expect(u.timings).toEqual([]);
    expect(u.kernelNs).toBeGreaterThan(0);
  });

  it('refuses inputs of another shape than it was compiled for, and stops on cancel, then runs again', () => {
    const { model, set } = example();
    const g = graphMode(model, set.inputs, { threads: 1, native });
    const x = set.inputs[0] as Tensor;
    const other = new Tensor('float32', [1, 3, x.dims[2] + 8, x.dims[3]]);
    expect(() => g.program.run([other], { mode: 'eager', threads: 1, native })).toThrow(
      new RegExp(`compiled for input '${model.graph.inputs[0].name}' of shape \\[${x.dims.join(', ')}\\], got \\[1, 3, ${x.dims[2] + 8}, ${x.dims[3]}\\]`),
    );
    expect(() => g.program.run([], { mode: 'eager', threads: 1, native })).toThrow(/the model has 1 inputs/);
    const ac = new AbortController();
    ac.abort();
    expect(() => g.program.run(set.inputs, { mode: 'eager', threads: 2, native, signal: ac.signal })).toThrow(/the run was cancelled/);
    const want = new Plan(g.model).run(set.inputs, { mode: 'eager', threads: 1, native }).outputs;
    expect(data(g.program.run(set.inputs, { mode: 'eager', threads: 2, native }).outputs[0])).toEqual(data(want[0]));
  });

  it('passes an error thrown in a callback step through with its node, and runs again after it', () => {
    const w = random(32 * 24, 3);
    const model = decodeModel(
      buildModel({
        nodes: [
          { op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] },
          { op: 'Gather', inputs: ['y', 'idx'], outputs: ['g'], name: 'pick' },
          { op: 'Relu', inputs: ['g'], outputs: ['z'] },
        ],
        inputs: [
          { name: 'x', dims: [16, 32] },
          { name: 'idx', elemType: 7, dims: [12] },
        ],
        outputs: [{ name: 'z', dims: [12, 24] }],
        initializers: [{ name: 'w', dims: [32, 24], dataType: 1, floatData: Array.from(w) }],
      }),
      'gather.onnx',
    );
    const x = new Tensor('float32', [16, 32], random(512, 1));
    const idx = (last: number) => new Tensor('int64', [12], BigInt64Array.from([...Array.from({ length: 11 }, (_, i) => BigInt(i)), BigInt(last)]));
    const program = GraphProgram.create(new Plan(model), [x, idx(15)], { mode: 'eager', threads: 1, native });
    expect(program.info).toEqual({ steps: 3, kernel_steps: 2, callback_steps: 1, callbacks: { Gather: 1 } });
    expect(() => program.run([x, idx(99)], { mode: 'eager', threads: 1, native })).toThrow(/node 'pick' \(Gather\): .*99/);
    const want = new Plan(model).run([x, idx(3)], { mode: 'eager', threads: 1, native }).outputs;
    expect(data(program.run([x, idx(3)], { mode: 'eager', threads: 1, native }).outputs[0])).toEqual(data(want[0]));
  });
});

describe('programCreate / programRun', () => {
  const raw = createRequire(__filename)('node-gyp-build')(ROOT) as Record<string, (...args: unknown[]) => unknown>;
  const relu = () => raw.unaryPrepare(0, 0, 0, 1, 'auto') as { handle: number };

  it('runs kernel steps on table entries and callbacks that rebind entries', () => {
    const r = relu();
    const x = Float32Array.from([-1, 2, -3, 4]);
    const y = new Float32Array(4);
    const z = new Float32Array(4);
    // table: 0 x (input), 1 y (fixed), 2 z (rebound by the callback); steps: relu(x->y), callback, relu(z->z)
    const prog = raw.programCreate(Float64Array.from([3, 1, 0, 3, 1, r.handle, 2, 0, 1, 0, 1, 2, 1, r.handle, 2, 2, 2]), [null, y, null]) as { handle: number };
    const seen: number[] = [];
    const times = new Float64Array(6);
    raw.programRun(
      prog.handle,
      [x],
      (step: number) => {
        seen.push(step);
        z.set(y.map((v) => v - 3));
        return [z];
      },
      times,
    );
    expect(seen).toEqual([1]);
    expect(Array.from(y)).toEqual([0, 2, 0, 4]);
    expect(Array.from(z)).toEqual([0, 0, 0, 1]);
    for (let i = 0; i < 3; i++) expect(times[2 * i + 1]).toBeGreaterThanOrEqual(times[2 * i]);
  });

  it('refuses malformed specs, wrong handles and bad callback results with a message', () => {
    const r = relu();
    const y = new Float32Array(4);
    expect(() => raw.programCreate(Float64Array.from([2, 0, 1, 1, r.handle, 2, 0]), [null, y])).toThrow(/spec ends early/);
    expect(() => raw.programCreate(Float64Array.from([2, 0, 1, 1, r.handle, 3, 0, 1, 1]), [null, y])).toThrow(/wrong operand count/);
    expect(() => raw.programCreate(Float64Array.from([2, 0, 1, 1, r.handle, 2, 0, 7]), [null, y])).toThrow(/table entry/);
    expect(() => raw.programCreate(Float64Array.from([2, 0, 1, 1, 987654, 2, 0, 1]), [null, y])).toThrow();
    expect(() => raw.programCreate(Float64Array.from([2, 0, 0, 5]), [null, y])).toThrow(/past its last step/);
    expect(() => raw.programCreate(Float64Array.from([2, 0, 0]), [null])).toThrow(/one entry per table entry/);
    const prog = raw.programCreate(Float64Array.from([2, 1, 0, 2, 1, r.handle, 2, 0, 1, 0, 1, 0]), [null, y]) as { handle: number };
    // A program is not a kernel call, and a kernel call is not a program.
    expect(() => raw.programCreate(Float64Array.from([2, 0, 1, 1, prog.handle, 2, 0, 1]), [null, y])).toThrow(/kernel call/);
    expect(() => raw.programRun(r.handle, [], () => undefined, null)).toThrow(/must be a program/);
    expect(() => raw.programRun(prog.handle, [], () => undefined, null)).toThrow(/one array per program input/);
    expect(() => raw.programRun(prog.handle, [new Float32Array(5)], () => [y], null)).toThrow(/step 0: y has 4 elements but the parameters need 5/);
    expect(() => raw.programRun(prog.handle, [new Float32Array(4)], () => [], null)).toThrow(/step 1: the callback must return one array/);
    expect(() => raw.programRun(prog.handle, [new Float32Array(4)], () => {
      throw new Error('from the op');
    }, null)).toThrow(/from the op/);
    expect(() => raw.programRun(prog.handle, [new Float32Array(4)], () => [y], new Float64Array(3))).toThrow(/2 entries per step/);
    // Still usable after every refusal.
    const x = Float32Array.from([-1, 1, -2, 2]);
    raw.programRun(prog.handle, [x], () => [x], null);
    expect(Array.from(y)).toEqual([0, 1, 0, 2]);
  });
});
