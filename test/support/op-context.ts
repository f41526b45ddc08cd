// Runs one registered op directly with a minimal OpContext (no model file). Lookup goes through the
// registry, so opset ranges are exercised too. Also the typed-attribute and tensor builders and the
// value extractors the op tests share.
import type { AttrValue, Graph, Node } from '../../engine/graph.js';
import type { NativeBackend } from '../../engine/native.js';
import { findOp } from '../../engine/registry.js';
import { Tensor, type DType } from '../../engine/tensor.js';
import { Attrs, type KernelReport, type Mode, type OpContext, type Value } from '../../engine/ops/types.js';

/**
 * The default backend: any use is a test bug worth a loud error. (The elementwise native dispatch
 * treats a backend that throws on access as absent and keeps the TypeScript path.)
 */
export const NO_NATIVE = new Proxy({} as NativeBackend, {
  get(_target, prop) {
    throw new Error(`the op test context has no native backend (accessed '${String(prop)}')`);
  },
});

export type SubgraphRunner = (graph: Graph, inputs: Value[]) => Value[];

export interface OpCall {
  /** Default 23. */
  opset?: number;
  /** '' (the default ONNX domain) unless given. */
  domain?: string;
  attrs?: Record<string, AttrValue>;
  /** Number of node outputs (ops like Attention produce optional outputs only when named). */
  outputs?: number;
  /** Default 'eager'. */
  mode?: Mode;
  /** Default 1. */
  threads?: number;
  /** Default NO_NATIVE. */
  native?: NativeBackend;
  /** Default: throws. */
  runSubgraph?: SubgraphRunner;
}

/** Runs the op; also returns the last kernel report it made. */
export function runOpReport(op: string, inputs: (Value | undefined)[], call: OpCall = {}): { outputs: Value[]; report?: KernelReport } {
  const domain = call.domain ?? '';
  const opset = call.opset ?? 23;
  const entry = findOp(op, domain, opset);
  if (!entry) throw new Error(`op ${op} (${domain || 'ai.onnx'}) is not registered for opset ${opset}`);
  const node: Node = {
    name: `${op}_test`,
    opType: op,
    domain,
    inputs: inputs.map((v, i) => (v === undefined ? '' : `in${i}`)),
    outputs: Array.from({ length: call.outputs ?? 1 }, (_, i) => `out${i}`),
    attrs: call.attrs ?? {},
  };
  let report: KernelReport | undefined;
  const ctx: OpContext = {
    node,
    opset,
    mode: call.mode ?? 'eager',
    threads: call.threads ?? 1,
    attrs: new Attrs(node),
    native: call.native ?? NO_NATIVE,
    runSubgraph:
      call.runSubgraph ??
      (() => {
        throw new Error('no subgraph runner');
      }),
    report: (r) => {
      report = r;
    },
  };
  const outputs = entry.impl(ctx, inputs);
  return { outputs, report };
}

export function runOp(op: string, inputs: (Value | undefined)[], call: OpCall = {}): Value[] {
  return runOpReport(op, inputs, call).outputs;
}

/** The outputs, each checked to be a tensor. */
export function runTensors(op: string, inputs: (Value | undefined)[], call: OpCall = {}): Tensor[] {
  return runOp(op, inputs, call).map((v, i) => asTensor(v, `${op} output ${i}`));
}

/** The first output, checked to be a tensor. */
export function run1(op: string, inputs: (Value | undefined)[], call: OpCall = {}): Tensor {
  return asTensor(runOp(op, inputs, call)[0], `${op} output 0`);
}

/** The runners with some call fields (opset, native, ...) defaulted; fields given per call win. */
export function opRunner(defaults: OpCall) {
  const merged = (call: OpCall): OpCall => {
    const given = Object.fromEntries(Object.entries(call).filter(([, v]) => v !== undefined));
    return { ...defaults, ...given };
  };
  return {
    runOpReport: (op: string, inputs: (Value | undefined)[], call: OpCall = {}) => runOpReport(op, inputs, merged(call)),
    runOp: (op: string, inputs: (Value | undefined)[], call: OpCall = {}) => runOp(op, inputs, merged(call)),
    runTensors: (op: string, inputs: (Value | undefined)[], call: OpCall = {}) => runTensors(op, inputs, merged(call)),
    run1: (op: string, inputs: (Value | undefined)[], call: OpCall = {}) => run1(op, inputs, merged(call)),
  };
}

// --- values ---

export function asTensor(v: Value | undefined, what = 'value'): Tensor {
  if (!v || 'kind' in v) throw new Error(`${what} is not a tensor`);
  return v;
}

/** A tensor's elements as numbers (Tensor.toNumbers). */
export const nums = (v: Value | undefined): number[] => asTensor(v).toNumbers();
/** A tensor's elements as stored (bigint, string, number). */
export const values = (x: Tensor): unknown[] => Array.from(x.data as ArrayLike<unknown>);
/** A tensor's elements with bigints turned into numbers and strings kept. */
export const vals = (x: Tensor): (number | string)[] =>
  Array.from(x.data as ArrayLike<number | bigint | string>, (v) => (typeof v === 'bigint' ? Number(v) : v));

// --- tensors ---

export const t = (dtype: DType, dims: number[], values: ArrayLike<number>): Tensor => Tensor.fromNumbers(dtype, dims, values);
export const f32 = (dims: number[], values: ArrayLike<number>): Tensor => t('float32', dims, values);
export const i64 = (dims: number[], values: ArrayLike<number>): Tensor => t('int64', dims, values);
/** A 1-D int64 tensor. */
export const i64s = (values: number[]): Tensor => i64([values.length], values);
/** 0, 1, 2, ... in the given shape. */
export const iota = (dims: number[], dtype: DType = 'float32'): Tensor => {
  const n = dims.reduce((a, b) => a * b, 1);
  return t(dtype, dims, Array.from({ length: n }, (_, i) => i));
};
export const big = (dtype: 'int64' | 'uint64', dims: number[], values: bigint[]): Tensor =>
  new Tensor(dtype, dims, dtype === 'int64' ? BigInt64Array.from(values) : BigUint64Array.from(values));
export const strTensor = (dims: number[], values: string[]): Tensor => new Tensor('string', dims, values);

// --- attributes ---

export const int = (value: number): AttrValue => ({ type: 'int', value });
export const float = (value: number): AttrValue => ({ type: 'float', value });
export const ints = (value: number[]): AttrValue => ({ type: 'ints', value });
export const floats = (value: number[]): AttrValue => ({ type: 'floats', value });
export const str = (value: string): AttrValue => ({ type: 'string', value });
export const strs = (value: string[]): AttrValue => ({ type: 'strings', value });

/** A stand-in subgraph: only its input/output counts matter; the test's runner computes the outputs. */
export function fakeGraph(name: string, nInputs: number, nOutputs: number): Graph {
  return {
    name,
    nodes: [],
    inputs: Array.from({ length: nInputs }, (_, i) => ({ name: `${name}_in${i}` })),
    outputs: Array.from({ length: nOutputs }, (_, i) => ({
      name: `${name}_out${i}`,
      type: { kind: 'tensor', dtype: 'float32', shape: [2] },
    })),
    initializers: new Map(),
    valueInfo: new Map(),
  };
}

/** Throws unless every element is within tol relative to (1 + |want|). */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-5): void {
  if (got.length !== want.length) throw new Error(`length ${got.length} but expected ${want.length}`);
  for (let i = 0; i < got.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])))) throw new Error(`element ${i}: got ${got[i]}, expected ${want[i]}`);
  }
}
