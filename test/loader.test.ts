import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel, loadModel } from '../engine/onnx/loader.js';
import { SHARED } from './support/paths.js';

const mnist = path.join(SHARED, 'models/mnist-8/model.onnx');

describe('ONNX loader', () => {
  it('reads a real model: opsets, inputs, initializers, nodes', () => {
    const m = loadModel(mnist);
    expect(m.opsets.get('')).toBe(8);
    expect(m.graph.inputs.map((i) => i.name)).toEqual(['Input3']);
    expect(m.graph.inputs[0].type).toEqual({ kind: 'tensor', dtype: 'float32', shape: [1, 1, 28, 28] });
    expect(m.graph.nodes.map((n) => n.opType)).toContain('Conv');
    expect(m.graph.initializers.size).toBeGreaterThan(0);
  });

  it('names the file and the problem for a missing file', () => {
    expect(() => loadModel('/nonexistent/model.onnx')).toThrow(/\/nonexistent\/model.onnx: file not found/);
  });

  it('rejects an empty file', () => {
    expect(() => decodeModel(new Uint8Array(), 'empty.onnx')).toThrow(/empty.onnx: the file is empty/);
  });

  it('rejects a truncated file without crashing', () => {
    const bytes = fs.readFileSync(mnist);
    expect(() => decodeModel(bytes.subarray(0, bytes.length / 2), 'half.onnx')).toThrow(/half.onnx: .*(corrupt|truncated|invalid)/i);
  });

  it('rejects random bytes', () => {
    const bytes = new Uint8Array(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    expect(() => decodeModel(bytes, 'noise.onnx')).toThrow(/noise.onnx: /);
  });

  it('rejects a folder given as a model', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'armml-'));
    expect(() => loadModel(dir)).toThrow(/is a folder/);
  });
});
