// Calls op implementations directly through the registry with a minimal context (no model file).
import type { AttrValue, Graph, Node } from '../../engine/graph.js';
import { findOp } from '../../engine/registry.js';
import { Tensor, type DType } from '../../engine/tensor.js';
import { Attrs, type OpContext, type Value } from '../../engine/ops/types.js';
import type { NativeBackend } from '../../engine/native.js';

// These ops run in TypeScript; any use of the native backend here is a test bug worth a loud error.
const NO_NATIVE = new Proxy({} as NativeBackend, {
  get(_target, prop) {
    throw new Error(`the op harness has no native backend (accessed '${String(prop)}')`);
  },
});

export type SubgraphRunner = (graph: Graph, inputs: Value[]) => Value[];

export interface RunOptions {
  opset?: number;
  domain?: string;
  attrs?: Record<string, AttrValue>;
  /** Number of node outputs (ops like Attention produce optional outputs only when named). */
  outputs?: number;
  runSubgraph?: SubgraphRunner;
}

export function runOp(op: string, inputs: (Value | undefined)[], opts: RunOptions = {}): Value[] {
  const domain = opts.domain ?? '';
  const opset = opts.opset ?? 23;
  const entry = findOp(op, domain, opset);
  if (!entry) throw new Error(`${op} (${domain || 'ai.onnx'}, opset ${opset}) is not registered`);
  const node: Node = {
    name: `test_${op}`,
    opType: op,
    domain,
    inputs: inputs.map((v, i) => (v === undefined ? '' : `in${i}`)),
    outputs: Array.from({ length: opts.outputs ?? 1 }, (_, i) => `out${i}`),
    attrs: opts.attrs ?? {},
  };
  const ctx: OpContext = {
    node,
    opset,
    mode: 'eager',
    threads: 1,
    attrs: new Attrs(node),
    native: NO_NATIVE,
    runSubgraph:
      opts.runSubgraph ??
      (() => {
        throw new Error('no subgraph runner');
      }),
    report: () => {},
  };
  return entry.impl(ctx, inputs);
}

export function run1(op: string, inputs: (Value | undefined)[], opts: RunOptions = {}): Tensor {
  const v = runOp(op, inputs, opts)[0];
  if (!v || 'kind' in v) throw new Error(`${op} did not return a tensor`);
  return v;
}

export const t = (dtype: DType, dims: number[], values: number[]): Tensor => Tensor.fromNumbers(dtype, dims, values);
export const f32 = (dims: number[], values: number[]): Tensor => t('float32', dims, values);
export const i64 = (dims: number[], values: number[]): Tensor => t('int64', dims, values);
export const nums = (v: Value | undefined): number[] => {
  if (!v || 'kind' in v) throw new Error('expected a tensor');
  return v.toNumbers();
};

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

export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-5): void {
  if (got.length !== want.length) throw new Error(`length ${got.length} but expected ${want.length}`);
  for (let i = 0; i < got.length; i++) {
    const ok = Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i]));
    if (!ok) throw new Error(`element ${i}: got ${got[i]}, expected ${want[i]}`);
  }
}
