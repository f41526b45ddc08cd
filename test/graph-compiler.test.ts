// The graph compiler (engine/compiler): each pass alone on a small model built for it, what it
// must and must not rewrite, the pass log, and the compiled graph's outputs against eager's.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../engine/onnx/loader.js';
import { Plan } from '../engine/executor.js';
import { loadNative } from '../engine/native.js';
import { Tensor } from '../engine/tensor.js';
import type { Model } from '../engine/graph.js';
import { compileModel, PASSES } from '../engine/compiler/compile.js';
import { compileForInputs } from '../engine/compiler/graph-mode.js';
import { planMemory } from '../engine/compiler/memory-plan.js';
import { buildModel, type ModelSpec } from './support/build-model.js';
import { random } from './support/random.js';
import { ROOT } from './support/paths.js';

const native = loadNative();
const f32 = (name: string, dims: number[], seed: number, positive = false) => {
  const v = random(
    dims.reduce((a, b) => a * b, 1),
    seed,
  );
  return { name, dims, dataType: 1, floatData: Array.from(positive ? v.map((x) => Math.abs(x) + 0.5) : v) };
};
const floatAttr = (name: string, f: number) => ({ name, type: 1, f });
const intAttr = (name: string, i: number) => ({ name, type: 2, i });
const intsAttr = (name: string, ints: number[]) => ({ name, type: 7, ints });

/** Only `keep` runs (the others turned off), with the shapes of a run on `x`. */
function only(model: Model, keep: string[], x: Tensor) {
  const disabled = PASSES.map((p) => p.name).filter((n) => !keep.includes(n));
  return compileForInputs(model, [x], { threads: 2, native, disabled });
}

function expectSameOutputs(a: Model, b: Model, inputs: Tensor[]) {
  const run = (m: Model) => new Plan(m).run(inputs, { mode: 'eager', threads: 2, native }).outputs as Tensor[];
  const [ra, rb] = [run(a), run(b)];
  expect(rb.map((t) => t.dims)).toEqual(ra.map((t) => t.dims));
  ra.forEach((t, k) => {
    const da = t.data as Float32Array;
    const db = rb[k].data as Float32Array;
    for (let i = 0; i < da.length; i++) expect(Math.abs(da[i] - db[i])).toBeLessThanOrEqual(1e-4 + 1e-3 * Math.abs(da[i]));
  });
}

const io = (c: number, h: number, out = 'y', m = c) => ({
  inputs: [{ name: 'x', dims: [1, c, h, h] }],
  outputs: [{ name: out, dims: [1, m, h, h] }],
});
const conv = (inputs: string[], output: string, name = 'conv') => ({
  op: 'Conv',
  name,
  inputs,
  outputs: [output],
  attrs: [intsAttr('pads', [1, 1, 1, 1])],
});
const bnInits = (c: number) => [f32('scale', [c], 3), f32('beta', [c], 4), f32('mean', [c], 5), f32('var', [c], 6, true)];
const model = (spec: ModelSpec) => decodeModel(buildModel(spec), 'built.onnx');
const xOf = (c: number, h: number) => new Tensor('float32', [1, c, h, h], random(c * h * h, 9));

describe('graph compiler passes', () => {
  it('conv-bn-folding folds a BatchNormalization into the Conv before it, into new tensors', () => {
    const m = model({
      ...io(4, 6),
      nodes: [
        conv(['x', 'w', 'b'], 'c'),
        {
          op: 'BatchNormalization',
          name: 'bn',
          inputs: ['c', 'scale', 'beta', 'mean', 'var'],
          outputs: ['y'],
          attrs: [floatAttr('epsilon', 1e-3)],
        },
      ],
      initializers: [f32('w', [4, 4, 3, 3], 1), f32('b', [4], 2), ...bnInits(4)],
    });
    const before = Array.from(m.graph.initializers.get('w')!.data as Float32Array);
    const x = xOf(4, 6);
    const c = only(m, ['conv-bn-folding'], x);
    expect(c.model.graph.nodes.map((n) => n.opType)).toEqual(['Conv']);
    expect(c.model.graph.nodes[0].fused).toMatchObject({ ops: ['Conv', 'BatchNormalization'], nodes: ['conv', 'bn'] });
    expect(c.log.find((l) => l.pass === 'conv-bn-folding')).toMatchObject({
      enabled: true,
      changes: 1,
      nodes_before: 2,
      nodes_after: 1,
      notes: ['folded bn into conv'],
    });
    expect(Array.from(m.graph.initializers.get('w')!.data as Float32Array)).toEqual(before);
    expect(m.graph.nodes).toHaveLength(2);
    expectSameOutputs(m, c.model, [x]);
  });

  it('conv-bn-folding leaves a Conv whose output something else reads too', () => {
    const m = model({
      inputs: [{ name: 'x', dims: [1, 4, 6, 6] }],
      outputs: [
        { name: 'y', dims: [1, 4, 6, 6] },
        { name: 'c', dims: [1, 4, 6, 6] },
      ],
      nodes: [
        conv(['x', 'w'], 'c'),
        { op: 'BatchNormalization', name: 'bn', inputs: ['c', 'scale', 'beta', 'mean', 'var'], outputs: ['y'] },
      ],
      initializers: [f32('w', [4, 4, 3, 3], 1), ...bnInits(4)],
    });
    const c = only(m, ['conv-bn-folding'], xOf(4, 6));
    expect(c.model.graph.nodes).toHaveLength(2);
    expect(c.log.find((l) => l.pass === 'conv-bn-folding')!.changes).toBe(0);
  });

  it('epilogue-fusion fuses a residual Add and Relu (ResNet) into the Conv, with the kernel doing both', () => {
    const m = model({
      ...io(4, 6),
      nodes: [
        conv(['x', 'w', 'b'], 'c'),
        { op: 'Add', name: 'add', inputs: ['x', 'c'], outputs: ['s'] },
        { op: 'Relu', name: 'relu', inputs: ['s'], outputs: ['y'] },
      ],
      initializers: [f32('w', [4, 4, 3, 3], 1), f32('b', [4], 2)],
    });
    const x = xOf(4, 6);
    const c = only(m, ['epilogue-fusion'], x);
    const [n] = c.model.graph.nodes;
    expect(c.model.graph.nodes).toHaveLength(1);
    expect(n.inputs).toEqual(['x', 'w', 'b', 'x']);
    expect(n.fused).toMatchObject({ ops: ['Conv', 'Add', 'Relu'], residual: true, act: 'Relu' });
    expectSameOutputs(m, c.model, [x]);
    // Without the shapes of a run it cannot know the Add is not a broadcast: nothing fused.
    const blind = compileModel(m, { disabled: PASSES.map((p) => p.name).filter((p) => p !== 'epilogue-fusion') });
    expect(blind.model.graph.nodes).toHaveLength(3);
  });

  it('epilogue-fusion fuses Clip with constant bounds (ReLU6) and SiLU, and not a Clip of computed bounds', () => {
    const relu6 = model({
      ...io(3, 5),
      nodes: [conv(['x', 'w'], 'c'), { op: 'Clip', name: 'clip', inputs: ['c', 'lo', 'hi'], outputs: ['y'] }],
      initializers: [
        f32('w', [3, 3, 3, 3], 1),
        { name: 'lo', dims: [], dataType: 1, floatData: [0] },
        { name: 'hi', dims: [], dataType: 1, floatData: [6] },
      ],
    });
    const x = xOf(3, 5);
    const c1 = only(relu6, ['epilogue-fusion'], x);
    expect(c1.model.graph.nodes[0].fused).toMatchObject({ act: 'Clip', actAlpha: 0, actBeta: 6 });
    expectSameOutputs(relu6, c1.model, [x]);
    const silu = model({
      ...io(3, 5),
      nodes: [
        conv(['x', 'w'], 'c'),
        { op: 'Sigmoid', name: 'sig', inputs: ['c'], outputs: ['s'] },
        { op: 'Mul', name: 'mul', inputs: ['c', 's'], outputs: ['y'] },
      ],
      initializers: [f32('w', [3, 3, 3, 3], 1)],
    });
    const c2 = only(silu, ['epilogue-fusion'], x);
    expect(c2.model.graph.nodes.map((n) => n.fused?.ops.join('+'))).toEqual(['Conv+Sigmoid+Mul']);
    expectSameOutputs(silu, c2.model, [x]);
    const computed = model({
      ...io(3, 5),
      inputs: [
        { name: 'x', dims: [1, 3, 5, 5] },
        { name: 'hi', dims: [] },
      ],
      nodes: [conv(['x', 'w'], 'c'), { op: 'Clip', name: 'clip', inputs: ['c', '', 'hi'], outputs: ['y'] }],
      initializers: [f32('w', [3, 3, 3, 3], 1)],
    });
    const c3 = compileModel(computed, {});
    expect(c3.model.graph.nodes).toHaveLength(2);
  });

  it('epilogue-fusion fuses a MatMul bias, a residual Add and the exported Gelu (x * 0.5 * (1 + Erf(x / sqrt 2)))', () => {
    const scalar = (name: string, v: number) => ({ name, dims: [], dataType: 1, floatData: [v] });
    const m = model({
      inputs: [{ name: 'x', dims: [1, 5, 8] }],
      outputs: [{ name: 'y', dims: [1, 5, 8] }],
      nodes: [
        { op: 'MatMul', name: 'mm', inputs: ['x', 'w'], outputs: ['h'] },
        { op: 'Add', name: 'bias', inputs: ['bvec', 'h'], outputs: ['hb'] },
        { op: 'Add', name: 'res', inputs: ['hb', 'x'], outputs: ['r'] },
        { op: 'Div', name: 'div', inputs: ['r', 'sqrt2'], outputs: ['d'] },
        { op: 'Erf', name: 'erf', inputs: ['d'], outputs: ['e'] },
        { op: 'Add', name: 'add1', inputs: ['e', 'one'], outputs: ['e1'] },
        { op: 'Mul', name: 'mul1', inputs: ['r', 'e1'], outputs: ['p'] },
        { op: 'Mul', name: 'mul2', inputs: ['p', 'half'], outputs: ['y'] },
      ],
      initializers: [f32('w', [8, 8], 1), f32('bvec', [8], 2), scalar('sqrt2', Math.SQRT2), scalar('one', 1), scalar('half', 0.5)],
    });
    const x = new Tensor('float32', [1, 5, 8], random(40, 4));
    const c = only(m, ['epilogue-fusion'], x);
    expect(c.model.graph.nodes).toHaveLength(1);
    const [n] = c.model.graph.nodes;
    expect(n.inputs).toEqual(['x', 'w', 'bvec', 'x']);
    expect(n.fused).toMatchObject({
      ops: ['MatMul', 'Add', 'Add', 'Div', 'Erf', 'Add', 'Mul', 'Mul'],
      bias: true,
      residual: true,
      act: 'Gelu',
    });
    expectSameOutputs(m, c.model, [x]);
    // A different constant is not Gelu: the Div stays unfused.
    const notGelu = model({
      inputs: [{ name: 'x', dims: [1, 5, 8] }],
      outputs: [{ name: 'y', dims: [1, 5, 8] }],
      nodes: [
        { op: 'MatMul', name: 'mm', inputs: ['x', 'w'], outputs: ['r'] },
        { op: 'Div', name: 'div', inputs: ['r', 'two'], outputs: ['d'] },
        { op: 'Erf', name: 'erf', inputs: ['d'], outputs: ['e'] },
        { op: 'Add', name: 'add1', inputs: ['e', 'one'], outputs: ['e1'] },
        { op: 'Mul', name: 'mul1', inputs: ['r', 'e1'], outputs: ['p'] },
        { op: 'Mul', name: 'mul2', inputs: ['p', 'half'], outputs: ['y'] },
      ],
      initializers: [f32('w', [8, 8], 1), scalar('two', 2), scalar('one', 1), scalar('half', 0.5)],
    });
    expect(only(notGelu, ['epilogue-fusion'], x).model.graph.nodes).toHaveLength(6);
  });

  it('norm-fusion turns the exported LayerNorm and RMSNorm chains into one normalization each', () => {
    const scalar = (name: string, v: number) => ({ name, dims: [], dataType: 1, floatData: [v] });
    const axes = [{ name: 'axes', type: 7, ints: [-1] }];
    const ln = model({
      inputs: [{ name: 'x', dims: [1, 3, 8] }],
      outputs: [{ name: 'y', dims: [1, 3, 8] }],
      nodes: [
        { op: 'ReduceMean', name: 'mean', inputs: ['x'], outputs: ['mu'], attrs: axes },
        { op: 'Sub', name: 'sub', inputs: ['x', 'mu'], outputs: ['d'] },
        { op: 'Pow', name: 'pow', inputs: ['d', 'two'], outputs: ['d2'] },
        { op: 'ReduceMean', name: 'var', inputs: ['d2'], outputs: ['v'], attrs: axes },
        { op: 'Add', name: 'eps', inputs: ['v', 'epsv'], outputs: ['ve'] },
        { op: 'Sqrt', name: 'sqrt', inputs: ['ve'], outputs: ['s'] },
        { op: 'Div', name: 'div', inputs: ['d', 's'], outputs: ['n'] },
        { op: 'Mul', name: 'gamma', inputs: ['n', 'g'], outputs: ['ng'] },
        { op: 'Add', name: 'beta', inputs: ['ng', 'b'], outputs: ['y'] },
      ],
      initializers: [scalar('two', 2), scalar('epsv', 1e-5), f32('g', [8], 1), f32('b', [8], 2)],
    });
    const x = new Tensor('float32', [1, 3, 8], random(24, 5));
    const c1 = only(ln, ['norm-fusion'], x);
    expect(c1.model.graph.nodes.map((n) => `${n.domain}:${n.opType}`)).toEqual(['com.microsoft:LayerNormalization']);
    expect(c1.model.graph.nodes[0].fused!.nodes).toHaveLength(9);
    expectSameOutputs(ln, c1.model, [x]);
    const rms = model({
      inputs: [{ name: 'x', dims: [1, 3, 8] }],
      outputs: [{ name: 'y', dims: [1, 3, 8] }],
      nodes: [
        { op: 'Pow', name: 'pow', inputs: ['x', 'two'], outputs: ['x2'] },
        { op: 'ReduceMean', name: 'mean', inputs: ['x2'], outputs: ['m'], attrs: axes },
        { op: 'Add', name: 'eps', inputs: ['m', 'epsv'], outputs: ['me'] },
        { op: 'Sqrt', name: 'sqrt', inputs: ['me'], outputs: ['s'] },
        { op: 'Div', name: 'inv', inputs: ['one', 's'], outputs: ['r'] },
        { op: 'Mul', name: 'norm', inputs: ['x', 'r'], outputs: ['n'] },
        { op: 'Mul', name: 'gamma', inputs: ['n', 'g'], outputs: ['y'] },
      ],
      initializers: [scalar('two', 2), scalar('one', 1), scalar('epsv', 1e-6), f32('g', [8], 1)],
    });
    const c2 = only(rms, ['norm-fusion'], x);
    expect(c2.model.graph.nodes.map((n) => n.opType)).toEqual(['SimplifiedLayerNormalization']);
    expectSameOutputs(rms, c2.model, [x]);
    // A mean over another axis is not a layer norm over the last: left as it is.
    const other = decodeModel(
      buildModel({
        inputs: [{ name: 'x', dims: [1, 3, 8] }],
        outputs: [{ name: 'y', dims: [1, 3, 8] }],
        nodes: [
          { op: 'Pow', name: 'pow', inputs: ['x', 'two'], outputs: ['x2'] },
          { op: 'ReduceMean', name: 'mean', inputs: ['x2'], outputs: ['m'], attrs: [{ name: 'axes', type: 7, ints: [1] }] },
          { op: 'Add', name: 'eps', inputs: ['m', 'epsv'], outputs: ['me'] },
          { op: 'Sqrt', name: 'sqrt', inputs: ['me'], outputs: ['s'] },
          { op: 'Div', name: 'div', inputs: ['x', 's'], outputs: ['n'] },
          { op: 'Mul', name: 'gamma', inputs: ['n', 'g'], outputs: ['y'] },
        ],
        initializers: [scalar('two', 2), scalar('epsv', 1e-6), f32('g', [8], 1)],
      }),
      'other.onnx',
    );
    expect(only(other, ['norm-fusion'], x).model.graph.nodes).toHaveLength(6);
  });

  it('layout-elimination drops Transposes that cancel and Reshapes that change nothing, and merges Reshape chains', () => {
    const shape = (name: string, v: number[]) => ({ name, dims: [v.length], dataType: 7, int64Data: v });
    const m = model({
      inputs: [{ name: 'x', dims: [2, 3, 4] }],
      outputs: [
        { name: 'y', dims: [24] },
        { name: 't3', dims: [4, 3, 2] },
      ],
      nodes: [
        { op: 'Transpose', name: 't1', inputs: ['x'], outputs: ['a'], attrs: [intsAttr('perm', [1, 0, 2])] },
        { op: 'Transpose', name: 't2', inputs: ['a'], outputs: ['b'], attrs: [intsAttr('perm', [1, 0, 2])] },
        { op: 'Reshape', name: 'same', inputs: ['b', 's234'], outputs: ['c'] },
        { op: 'Relu', name: 'relu', inputs: ['c'], outputs: ['d'] },
        { op: 'Reshape', name: 'r1', inputs: ['d', 's64'], outputs: ['e'] },
        { op: 'Reshape', name: 'r2', inputs: ['e', 's24'], outputs: ['y'] },
        { op: 'Transpose', name: 'ta', inputs: ['x'], outputs: ['f'], attrs: [intsAttr('perm', [1, 0, 2])] },
        { op: 'Transpose', name: 'tb', inputs: ['f'], outputs: ['t3'], attrs: [intsAttr('perm', [2, 0, 1])] },
      ],
      initializers: [shape('s234', [2, 3, 4]), shape('s64', [6, 4]), shape('s24', [24])],
    });
    const x = new Tensor('float32', [2, 3, 4], random(24, 6));
    const c = only(m, ['layout-elimination'], x);
    expect(c.model.graph.nodes.map((n) => n.name)).toEqual(['relu', 'r2', 'tb']);
    expect(c.model.graph.nodes[0].inputs).toEqual(['x']);
    expect(c.model.graph.nodes[2].attrs.perm).toEqual({ type: 'ints', value: [2, 1, 0] });
    expectSameOutputs(m, c.model, [x]);
  });

  it('identity-elimination rewires readers, but keeps an Identity that writes a graph output', () => {
    const m = model({
      inputs: [{ name: 'x', dims: [2] }],
      outputs: [
        { name: 'y', dims: [2] },
        { name: 'z', dims: [2] },
      ],
      nodes: [
        { op: 'Identity', name: 'id1', inputs: ['x'], outputs: ['a'] },
        { op: 'Relu', name: 'relu', inputs: ['a'], outputs: ['y'] },
        { op: 'Identity', name: 'id2', inputs: ['y'], outputs: ['z'] },
      ],
    });
    const x = new Tensor('float32', [2], Float32Array.of(-1, 2));
    const c = only(m, ['identity-elimination'], x);
    expect(c.model.graph.nodes.map((n) => n.name)).toEqual(['relu', 'id2']);
    expect(c.model.graph.nodes[0].inputs).toEqual(['x']);
    expectSameOutputs(m, c.model, [x]);
  });

  it('constant-folding turns a Shape -> Gather -> Unsqueeze -> Concat -> Reshape chain into a constant shape', () => {
    const m = model({
      inputs: [{ name: 'x', dims: [2, 3, 4] }],
      outputs: [{ name: 'y', dims: [2, 12] }],
      nodes: [
        { op: 'Shape', name: 'shape', inputs: ['x'], outputs: ['s'] },
        { op: 'Gather', name: 'gather', inputs: ['s', 'zero'], outputs: ['n'], attrs: [intAttr('axis', 0)] },
        { op: 'Unsqueeze', name: 'unsq', inputs: ['n', 'axes'], outputs: ['n1'] },
        { op: 'Concat', name: 'concat', inputs: ['n1', 'minus1'], outputs: ['shape2'], attrs: [intAttr('axis', 0)] },
        { op: 'Reshape', name: 'reshape', inputs: ['x', 'shape2'], outputs: ['y'] },
      ],
      initializers: [
        { name: 'zero', dims: [], dataType: 7, int64Data: [0] },
        { name: 'axes', dims: [1], dataType: 7, int64Data: [0] },
        { name: 'minus1', dims: [1], dataType: 7, int64Data: [-1] },
      ],
    });
    const x = new Tensor('float32', [2, 3, 4], random(24, 3));
    const c = only(m, ['constant-folding'], x);
    expect(c.model.graph.nodes.map((n) => n.opType)).toEqual(['Reshape']);
    expect(Array.from(c.model.graph.initializers.get('shape2')!.data as BigInt64Array).map(Number)).toEqual([2, -1]);
    expect(c.log[0].notes).toContain('folded Shape shape (shape [2,3,4])');
    expectSameOutputs(m, c.model, [x]);
  });

  it('dead-node-elimination removes what nothing reads, and the initializers only it read', () => {
    const m = model({
      inputs: [{ name: 'x', dims: [2] }],
      outputs: [{ name: 'y', dims: [2] }],
      nodes: [
        { op: 'Relu', name: 'relu', inputs: ['x'], outputs: ['y'] },
        { op: 'Add', name: 'unused', inputs: ['x', 'k'], outputs: ['z'] },
        { op: 'Neg', name: 'unused2', inputs: ['z'], outputs: ['w'] },
      ],
      initializers: [{ name: 'k', dims: [2], dataType: 1, floatData: [1, 2] }],
    });
    const c = only(m, ['dead-node-elimination'], new Tensor('float32', [2], Float32Array.of(1, -1)));
    expect(c.model.graph.nodes.map((n) => n.name)).toEqual(['relu']);
    expect(c.model.graph.initializers.has('k')).toBe(false);
  });

  it('logs every pass in order, turned-off ones as off, and refuses an unknown pass name', () => {
    const m = model({
      inputs: [{ name: 'x', dims: [2] }],
      outputs: [{ name: 'y', dims: [2] }],
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    });
    const c = compileModel(m, { disabled: ['epilogue-fusion'] });
    expect(c.log.map((l) => l.pass)).toEqual(PASSES.map((p) => p.name));
    expect(c.log.find((l) => l.pass === 'epilogue-fusion')).toMatchObject({ enabled: false, changes: 0 });
    expect(() => compileModel(m, { disabled: ['fusion'] })).toThrow(/unknown pass 'fusion' \(passes: constant-folding, /);
  });
});

describe('the armml.disabledPasses setting', () => {
  it("offers exactly the compiler's passes", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.contributes.configuration.properties['armml.disabledPasses'].items.enum).toEqual(PASSES.map((p) => p.name));
  });
});

describe('the static memory plan', () => {
  it('gives values alive at the same time disjoint arena ranges and reuses the rest', () => {
    const m = model({
      inputs: [{ name: 'x', dims: [2] }],
      outputs: [{ name: 'y', dims: [2] }],
      nodes: [
        { op: 'Relu', name: 'n1', inputs: ['x'], outputs: ['v1'] },
        { op: 'Neg', name: 'n2', inputs: ['v1'], outputs: ['v2'] },
        { op: 'Relu', name: 'n3', inputs: ['v2'], outputs: ['y'] },
      ],
    });
    const p = planMemory(
      m.graph,
      new Map([
        ['v1', 100],
        ['v2', 200],
        ['y', 100],
      ]),
    );
    expect(p.peak_live_bytes).toBe(300);
    // v2 (256 aligned) at 0; v1 and y never live together, so they share the next 128 bytes.
    expect(p.offsets.get('v2')).toBe(0);
    expect(p.offsets.get('v1')).toBe(256);
    expect(p.offsets.get('y')).toBe(256);
    expect(p.arena_bytes).toBe(384);
    expect(p).toMatchObject({ values: 3, unplanned: 0 });
  });

  it('is recorded for a compiled model, between its peak of live bytes and the sum of all values', () => {
    const m = model({
      ...io(4, 6),
      nodes: [conv(['x', 'w', 'b'], 'c'), { op: 'Relu', name: 'relu', inputs: ['c'], outputs: ['y'] }],
      initializers: [f32('w', [4, 4, 3, 3], 1), f32('b', [4], 2)],
    });
    const c = compileForInputs(m, [xOf(4, 6)], { threads: 1, native, disabled: ['epilogue-fusion'] });
    expect(c.memory.values).toBe(2);
    expect(c.memory.peak_live_bytes).toBe(2 * 4 * 36 * 4);
    expect(c.memory.arena_bytes).toBeGreaterThanOrEqual(c.memory.peak_live_bytes);
  });
});
