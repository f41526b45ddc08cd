// Input binding: symbolic dims bound from the inputs, declared shapes checked, and
// deterministic synthetic inputs for models that come without test data.
import fs from 'node:fs';
import path from 'node:path';
import type { Graph, Model, ValueInfo } from './graph.js';
import { readDataSets, readInputs } from './testdata/conformance.js';
import { Tensor, writeNumbers, type DType } from './tensor.js';
import type { Value } from './ops/types.js';

export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/**
 * Checks each input against its declared type and shape and binds symbolic dims
 * (e.g. `batch`, `sequence`) to the sizes the inputs give; the same symbol must get one size.
 */
export function bindInputs(graph: Graph, inputs: Value[]): Map<string, number> {
  const bound = new Map<string, number>();
  if (inputs.length !== graph.inputs.length) {
    throw new InputError(`the model has ${graph.inputs.length} inputs (${graph.inputs.map((i) => i.name).join(', ')}) but ${inputs.length} were given`);
  }
  graph.inputs.forEach((vi, k) => {
    const v = inputs[k];
    const t = vi.type;
    if (!t || t.kind !== 'tensor' || !v || 'kind' in v) return;
    if (t.dtype && t.dtype !== v.dtype) throw new InputError(`input '${vi.name}' should be ${t.dtype}, got ${v.dtype}`);
    if (!t.shape) return;
    if (t.shape.length !== v.dims.length) {
      throw new InputError(`input '${vi.name}' should have rank ${t.shape.length} ([${t.shape.map((d) => d ?? '?').join(',')}]), got [${v.dims.join(',')}]`);
    }
    t.shape.forEach((d, i) => {
      const got = v.dims[i];
      if (typeof d === 'number') {
        if (d !== got) throw new InputError(`input '${vi.name}' dim ${i} should be ${d}, got ${got} (shape [${v.dims.join(',')}])`);
      } else if (typeof d === 'string') {
        const prev = bound.get(d);
        if (prev !== undefined && prev !== got) {
          throw new InputError(`symbolic dim '${d}' is ${prev} in one input but ${got} in input '${vi.name}'`);
        }
        bound.set(d, got);
      }
    });
  });
  return bound;
}

/** Deterministic pseudo-random numbers (xorshift32), so profiles are reproducible. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** Concrete shape of an input: symbolic or unknown dims from `dims` (by symbol name) or 1. */
export function concreteShape(vi: ValueInfo, dims: Record<string, number> = {}): number[] {
  const t = vi.type;
  if (!t || t.kind !== 'tensor' || !t.shape) throw new InputError(`input '${vi.name}' declares no shape: give its shape with --input-shape ${vi.name}=DxDx…`);
  return t.shape.map((d) => (typeof d === 'number' ? d : typeof d === 'string' ? (dims[d] ?? 1) : 1));
}

/**
 * Synthetic inputs: floats uniform in [-1, 1); integer inputs in [0, 16) so they are valid token ids
 * and indices for typical models; bools alternate.
 */
export function syntheticInputs(graph: Graph, shapes: Record<string, number[]> = {}, dims: Record<string, number> = {}): Value[] {
  const next = rng(0x5eed);
  return graph.inputs.map((vi) => {
    const t = vi.type;
    if (t && t.kind !== 'tensor') throw new InputError(`input '${vi.name}' is a ${t.kind}: synthetic inputs are tensors only`);
    const dtype: DType = t?.dtype ?? 'float32';
    const shape = shapes[vi.name] ?? concreteShape(vi, dims);
    const tensor = new Tensor(dtype, shape);
    const vals = new Float64Array(tensor.size);
    for (let i = 0; i < vals.length; i++) {
      if (dtype === 'bool') vals[i] = i & 1;
      else if (dtype.startsWith('float') || dtype === 'bfloat16') vals[i] = next() * 2 - 1;
      else vals[i] = Math.floor(next() * 16);
    }
    if (dtype === 'string') throw new InputError(`input '${vi.name}' is a string tensor: give it with --inputs`);
    writeNumbers(tensor, vals);
    return tensor;
  });
}

export interface ChosenInputs {
  inputs: Value[];
  /** Expected outputs, when the inputs came with them. */
  references?: Value[];
  /** Where the inputs came from, for the report. */
  label: string;
}

/**
 * The inputs a profile runs on: `inputsDir` (input_K.pb, with output_K.pb as references when
 * present), else the model folder's test_data_set_0 (unless synthetic shapes are asked for),
 * else seeded synthetic inputs.
 */
export function chooseInputs(model: Model, modelFile: string, opts: { inputsDir?: string; shapes?: Record<string, number[]> } = {}): ChosenInputs {
  const g = model.graph;
  const { inputsDir, shapes } = opts;
  if (inputsDir) {
    if (!fs.existsSync(inputsDir)) throw new InputError(`${inputsDir}: folder not found`);
    const inputs = readInputs(inputsDir, g.inputs);
    const hasOutputs = fs.readdirSync(inputsDir).some((f) => /^output_\d+\.pb$/.test(f));
    const references = hasOutputs ? readDataSets(path.dirname(inputsDir), g.inputs, g.outputs).find((s) => path.resolve(s.dir) === path.resolve(inputsDir))?.outputs : undefined;
    return { inputs, references, label: path.basename(inputsDir) };
  }
  if (!shapes && fs.existsSync(path.join(path.dirname(modelFile), 'test_data_set_0'))) {
    const [first] = readDataSets(path.dirname(modelFile), g.inputs, g.outputs);
    if (first) return { inputs: first.inputs, references: first.outputs.length ? first.outputs : undefined, label: 'test_data_set_0' };
  }
  return { inputs: syntheticInputs(g, shapes ?? {}), label: 'synthetic (seeded uniform)' };
}
