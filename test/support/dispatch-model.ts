// A tiny ONNX model of many small ops, to measure what eager dispatch costs per op rather than
// what kernels cost: a chain of residual blocks (Conv 1x1 -> Relu -> MatMul -> Mul -> Add) on a
// [1, C, S, S] tensor, deterministic weights, written with the loader's own protobuf schema.
import { buildModel, type NodeSpec } from './build-model.js';
import { random } from './random.js';

export interface DispatchModelOptions {
  /** Residual blocks of five ops each (default 60: 300 ops). */
  blocks?: number;
  /** Channels C (default 16). */
  channels?: number;
  /** Spatial size S of the square planes (default 8: 1x16x8x8, 1024 floats). */
  size?: number;
  seed?: number;
}

/** The op types of one block, in order. */
export const DISPATCH_BLOCK = ['Conv', 'Relu', 'MatMul', 'Mul', 'Add'] as const;

function floatInit(name: string, dims: number[], data: Float32Array) {
  return { name, dims, dataType: 1, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/**
 * The model's bytes. Weights are scaled so every block is contractive (the residual sum stays
 * near the input's magnitude over hundreds of ops) and outputs stay well inside float32.
 */
export function dispatchModel(opts: DispatchModelOptions = {}): Uint8Array {
  const blocks = opts.blocks ?? 60;
  const C = opts.channels ?? 16;
  const S = opts.size ?? 8;
  const seed = opts.seed ?? 7;
  if (!(Number.isInteger(blocks) && blocks >= 1)) throw new Error(`blocks must be a positive integer, got ${blocks}`);
  const nodes: NodeSpec[] = [];
  const initializers: Record<string, unknown>[] = [];
  let x = 'x';
  for (let b = 0; b < blocks; b++) {
    const p = `b${b}`;
    const s = seed + 16 * b;
    initializers.push(
      floatInit(`${p}.conv.w`, [C, C, 1, 1], random(C * C, s + 1, 1 / Math.sqrt(C))),
      floatInit(`${p}.conv.b`, [C], random(C, s + 2, 0.1)),
      floatInit(`${p}.mm.w`, [S, S], random(S * S, s + 3, 1 / Math.sqrt(S))),
      floatInit(`${p}.scale`, [1, C, 1, 1], random(C, s + 4, 0.5)),
    );
    const out = b === blocks - 1 ? 'y' : `${p}.out`;
    nodes.push(
      { op: 'Conv', inputs: [x, `${p}.conv.w`, `${p}.conv.b`], outputs: [`${p}.conv`], name: `${p}/Conv` },
      { op: 'Relu', inputs: [`${p}.conv`], outputs: [`${p}.relu`], name: `${p}/Relu` },
      { op: 'MatMul', inputs: [`${p}.relu`, `${p}.mm.w`], outputs: [`${p}.mm`], name: `${p}/MatMul` },
      { op: 'Mul', inputs: [`${p}.mm`, `${p}.scale`], outputs: [`${p}.mul`], name: `${p}/Mul` },
      { op: 'Add', inputs: [`${p}.mul`, x], outputs: [out], name: `${p}/Add` },
    );
    x = out;
  }
  return buildModel({
    opset: 13,
    nodes,
    inputs: [{ name: 'x', dims: [1, C, S, S] }],
    outputs: [{ name: 'y', dims: [1, C, S, S] }],
    initializers,
  });
}

/** A deterministic input for the model, [1, C, S, S]. */
export function dispatchInput(opts: DispatchModelOptions = {}): { dims: number[]; data: Float32Array } {
  const C = opts.channels ?? 16;
  const S = opts.size ?? 8;
  return { dims: [1, C, S, S], data: random(C * S * S, (opts.seed ?? 7) + 12345) };
}
