// Hostile and malformed models: each fails with a clear message naming the problem, before running.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel, loadModel } from '../engine/onnx/loader.js';
import { Plan } from '../engine/executor.js';
import { buildModel } from './support/build-model.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'armml-hostile-'));
const relu = { op: 'Relu', inputs: ['x'], outputs: ['y'] };
const io = { inputs: [{ name: 'x', dims: [2] }], outputs: [{ name: 'y', dims: [2] }] };

describe('hostile models', () => {
  it('refuses external data that escapes the model folder', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'ext-'));
    const file = path.join(dir, 'm.onnx');
    const w = { name: 'w', dims: [2], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: '../../../../etc/passwd' }] };
    fs.writeFileSync(file, buildModel({ ...io, nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }], initializers: [w] }));
    expect(() => loadModel(file)).toThrow(/m.onnx: tensor 'w': external data location '..\/..\/..\/..\/etc\/passwd' escapes the model's folder/);
  });

  it('refuses an absolute external data path', () => {
    const file = path.join(tmp, 'abs.onnx');
    const w = { name: 'w', dims: [2], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: '/etc/hostname' }] };
    fs.writeFileSync(file, buildModel({ ...io, nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }], initializers: [w] }));
    expect(() => loadModel(file)).toThrow(/escapes the model's folder/);
  });

  it('reads external data inside the folder and checks its range', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'ext-ok-'));
    fs.writeFileSync(path.join(dir, 'w.bin'), Buffer.from(new Float32Array([1.5, -2]).buffer));
    const ok = { name: 'w', dims: [2], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }] };
    fs.writeFileSync(path.join(dir, 'ok.onnx'), buildModel({ ...io, nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }], initializers: [ok] }));
    const m = loadModel(path.join(dir, 'ok.onnx'));
    expect(Array.from(m.graph.initializers.get('w')!.data as Float32Array)).toEqual([1.5, -2]);
    const bad = { ...ok, externalData: [...ok.externalData, { key: 'offset', value: '4' }, { key: 'length', value: '64' }] };
    fs.writeFileSync(path.join(dir, 'bad.onnx'), buildModel({ ...io, nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }], initializers: [bad] }));
    expect(() => loadModel(path.join(dir, 'bad.onnx'))).toThrow(/external data range offset=4 length=64 is outside 'w.bin'/);
  });

  it('refuses a huge declared tensor without allocating it', () => {
    const w = { name: 'w', dims: [100000, 100000, 1000], dataType: 1, rawData: new Uint8Array(8) };
    const bytes = buildModel({ ...io, nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }], initializers: [w] });
    expect(() => decodeModel(bytes, 'huge.onnx')).toThrow(/huge.onnx: tensor 'w': shape \[100000,100000,1000\] has .* elements, over the limit/);
  });

  it('refuses raw data whose length does not match the shape', () => {
    const w = { name: 'w', dims: [4], dataType: 1, rawData: new Uint8Array(8) };
    const bytes = buildModel({ ...io, nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }], initializers: [w] });
    expect(() => decodeModel(bytes, 'short.onnx')).toThrow(/short.onnx: tensor 'w': raw data holds 8 bytes, but 4 float32 elements need 16/);
  });

  it('refuses negative dims', () => {
    const w = { name: 'w', dims: [-3], dataType: 1 };
    const bytes = buildModel({ ...io, nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }], initializers: [w] });
    expect(() => decodeModel(bytes, 'neg.onnx')).toThrow(/neg.onnx: tensor 'w': invalid dimension -3/);
  });

  it('refuses an unknown element type, naming it', () => {
    const w = { name: 'w', dims: [2], dataType: 17, rawData: new Uint8Array(2) };
    const bytes = buildModel({ ...io, nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }], initializers: [w] });
    expect(() => decodeModel(bytes, 'f8.onnx')).toThrow(/f8.onnx: tensor 'w': element type float8e4m3fn is not supported/);
  });

  it('names an unsupported op, its domain and opset before anything runs', () => {
    const m = decodeModel(buildModel({ ...io, nodes: [relu, { op: 'FancyOp', inputs: ['y'], outputs: ['z'], domain: 'com.example' }], opsets: [{ domain: '', version: 13 }, { domain: 'com.example', version: 2 }] }), 'u.onnx');
    expect(() => new Plan(m)).toThrow(/op FancyOp \(com.example, opset 2\) is not supported/);
    const m2 = decodeModel(buildModel({ ...io, nodes: [{ op: 'NotAnOnnxOp', inputs: ['x'], outputs: ['y'] }] }), 'u2.onnx');
    expect(() => new Plan(m2)).toThrow(/op NotAnOnnxOp \(ai.onnx, opset 13\) is not supported/);
  });

  it('refuses a graph with a cycle at load, naming the nodes on it', () => {
    const bytes = buildModel({
      ...io,
      nodes: [
        { op: 'Relu', name: 'first', inputs: ['b'], outputs: ['a'] },
        { op: 'Neg', name: 'second', inputs: ['a'], outputs: ['b'] },
        { op: 'Relu', inputs: ['b'], outputs: ['y'] },
      ],
    });
    expect(() => decodeModel(bytes, 'cycle.onnx')).toThrow(/^cycle.onnx: the graph has a cycle: 'first' \(Relu\) -> 'second' \(Neg\) -> 'first' \(Relu\)$/);
  });

  it('refuses two nodes writing one value (not single assignment) at load, naming both', () => {
    const bytes = buildModel({
      ...io,
      nodes: [
        { op: 'Relu', name: 'relu', inputs: ['x'], outputs: ['y'] },
        { op: 'Neg', name: 'neg', inputs: ['x'], outputs: ['y'] },
      ],
    });
    expect(() => decodeModel(bytes, 'ssa.onnx')).toThrow(/^ssa.onnx: value 'y' is written by two nodes: 'relu' \(Relu\) and 'neg' \(Neg\)$/);
    const overInput = buildModel({ ...io, nodes: [{ op: 'Relu', name: 'r', inputs: ['x'], outputs: ['x'] }, relu] });
    expect(() => decodeModel(overInput, 'in.onnx')).toThrow(/node 'r' \(Relu\) writes 'x', which is already a graph input/);
  });

  it('refuses a node reading a value nothing defines, and an output nothing produces', () => {
    const bytes = buildModel({ ...io, nodes: [{ op: 'Add', name: 'add', inputs: ['x', 'ghost'], outputs: ['y'] }] });
    expect(() => decodeModel(bytes, 'undef.onnx')).toThrow(/node 'add' \(Add\) reads 'ghost', which no node, graph input or initializer defines/);
    const noOut = buildModel({ ...io, nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['z'] }] });
    expect(() => decodeModel(noOut, 'noout.onnx')).toThrow(/graph output 'y' is never produced/);
  });

  it('refuses a node without an op type', () => {
    expect(() => decodeModel(buildModel({ ...io, nodes: [{ op: '', inputs: ['x'], outputs: ['y'] }] }), 'noop.onnx')).toThrow(/noop.onnx: node 0 in graph 'g' has no op type/);
  });

  it('refuses a model without an opset import', () => {
    expect(() => decodeModel(buildModel({ ...io, nodes: [relu], opsets: [] }), 'noopset.onnx')).toThrow(/imports no opset/);
  });
});
