// Symbolic dims are bound from the inputs at run time; declared shapes are checked.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../engine/onnx/loader.js';
import { Plan } from '../engine/executor.js';
import { bindInputs, syntheticInputs, concreteShape } from '../engine/inputs.js';
import { loadNative } from '../engine/native.js';
import { readDataSets, compareOutputs } from '../engine/testdata/conformance.js';
import { Tensor } from '../engine/tensor.js';
import { SHARED } from './support/paths.js';

const rec = path.join(SHARED, 'models/ppocr_v4_rec');

describe('symbolic dims', () => {
  const model = loadModel(path.join(rec, 'model.onnx'));

  it('are bound from the input shapes', () => {
    const [set] = readDataSets(rec, model.graph.inputs, model.graph.outputs);
    const bound = bindInputs(model.graph, set.inputs);
    expect(Object.fromEntries(bound)).toEqual({ 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': 320 });
  });

  it('propagate through the graph: another width gives another sequence length, same in both modes', () => {
    const plan = new Plan(model);
    const inputs = syntheticInputs(model.graph, { x: [1, 3, 48, 160] });
    const native = loadNative();
    const eager = plan.run(inputs, { mode: 'eager', threads: 2, native }).outputs;
    const base = plan.run(inputs, { mode: 'baseline', threads: 1, native }).outputs;
    const out = eager[0] as Tensor;
    expect(out.dims[0]).toBe(1);
    expect(out.dims[1]).toBe(20); // 320 wide gives 40 steps; 160 gives 20
    expect(compareOutputs(eager, base, { rtol: 1e-3, atol: 1e-4 }).ok).toBe(true);
  });

  it('refuse fixed dims that do not match', () => {
    expect(() => bindInputs(model.graph, [new Tensor('float32', [1, 4, 48, 320])])).toThrow(/input 'x' dim 1 should be 3, got 4/);
  });

  it('refuse a wrong rank or element type', () => {
    expect(() => bindInputs(model.graph, [new Tensor('float32', [3, 48, 320])])).toThrow(/input 'x' should have rank 4/);
    expect(() => bindInputs(model.graph, [new Tensor('float64', [1, 3, 48, 320])])).toThrow(/input 'x' should be float32, got float64/);
  });

  it('must agree when one symbol appears in several inputs', () => {
    const g = {
      ...model.graph,
      inputs: [
        { name: 'a', type: { kind: 'tensor' as const, dtype: 'float32' as const, shape: ['batch', 4] } },
        { name: 'b', type: { kind: 'tensor' as const, dtype: 'float32' as const, shape: ['batch', 2] } },
      ],
    };
    expect(() => bindInputs(g, [new Tensor('float32', [2, 4]), new Tensor('float32', [3, 2])])).toThrow(/symbolic dim 'batch' is 2 in one input but 3 in input 'b'/);
  });

  it('default to 1 for synthetic inputs unless given', () => {
    expect(concreteShape(model.graph.inputs[0])).toEqual([1, 3, 48, 1]);
    expect(concreteShape(model.graph.inputs[0], { 'p2o.DynamicDimension.1': 64 })).toEqual([1, 3, 48, 64]);
  });
});
