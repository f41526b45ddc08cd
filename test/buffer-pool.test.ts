// Intermediate buffers are recycled between runs, never while a caller still holds them.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BufferPool, withPool } from '../engine/buffer-pool.js';
import { allocate, Tensor } from '../engine/tensor.js';
import { loadModel } from '../engine/onnx/loader.js';
import { Plan } from '../engine/executor.js';
import { loadNative } from '../engine/native.js';
import { readDataSets, compareOutputs, DEFAULT_TOLERANCE } from '../engine/testdata/conformance.js';
import { SHARED } from './support/paths.js';

describe('buffer pool', () => {
  it('hands a reclaimed buffer out again, zero-filled, but keeps what the caller holds', () => {
    const pool = new BufferPool();
    const [a, b] = withPool(pool, () => [allocate('float32', 4096) as Float32Array, allocate('float32', 4096) as Float32Array]);
    a.fill(7);
    b.fill(9);
    pool.reclaim(new Set([b.buffer]));
    const c = withPool(pool, () => allocate('float32', 4096) as Float32Array);
    expect(c).toBe(a);
    expect(c.every((v) => v === 0)).toBe(true);
    expect(b[0]).toBe(9);
    const d = withPool(pool, () => allocate('float32', 4096) as Float32Array);
    expect(d).not.toBe(b);
  });

  it('lends a buffer again within the run once the last value using it is released, not before', () => {
    const pool = new BufferPool();
    const a = withPool(pool, () => allocate('float32', 4096) as Float32Array);
    pool.retain(a.buffer); // the value
    pool.retain(a.buffer); // a view of it (Reshape)
    pool.release(a.buffer);
    expect(withPool(pool, () => allocate('float32', 4096))).not.toBe(a);
    pool.release(a.buffer);
    expect(withPool(pool, () => allocate('float32', 4096))).toBe(a);
    // Memory the pool never lent is left alone.
    const own = new Float32Array(4096);
    pool.retain(own.buffer);
    pool.release(own.buffer);
    pool.reclaim(new Set());
    expect(withPool(pool, () => [allocate('float32', 4096), allocate('float32', 4096), allocate('float32', 4096)])).not.toContain(own);
  });

  it('is not used outside a run, nor for small or non-float32 tensors', () => {
    const pool = new BufferPool();
    const small = withPool(pool, () => allocate('float32', 16));
    const ints = withPool(pool, () => allocate('int32', 4096));
    pool.reclaim(new Set());
    expect(withPool(pool, () => allocate('float32', 16))).not.toBe(small);
    expect(withPool(pool, () => allocate('int32', 4096))).not.toBe(ints);
    expect(allocate('float32', 4096)).toBeInstanceOf(Float32Array);
  });

  it('leaves the outputs of earlier runs intact while a plan runs again', () => {
    const dir = path.join(SHARED, 'models/ppocr_v4_det');
    const model = loadModel(path.join(dir, 'model.onnx'));
    const plan = new Plan(model);
    const [set] = readDataSets(dir, model.graph.inputs, model.graph.outputs);
    const native = loadNative();
    const first = plan.run(set.inputs, { mode: 'eager', threads: 2, native }).outputs;
    expect((first[0] as Tensor).size).toBeGreaterThan(4096); // large enough to come from the pool
    const snapshot = Float32Array.from((first[0] as Tensor).data as Float32Array);
    for (let i = 0; i < 3; i++) {
      const again = plan.run(set.inputs, { mode: 'eager', threads: 2, native }).outputs;
      expect(compareOutputs(again, set.outputs, DEFAULT_TOLERANCE).ok).toBe(true);
    }
    expect(Array.from((first[0] as Tensor).data as Float32Array)).toEqual(Array.from(snapshot));
  });
});
