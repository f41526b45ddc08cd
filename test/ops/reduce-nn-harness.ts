// Runs reduce/nn ops directly through the registry (so opset ranges are exercised) and checks
// their conformance cases.
import path from 'node:path';
import type { AttrValue, Node } from '../../engine/graph.js';
import { findOp } from '../../engine/registry.js';
import { Tensor, type DType } from '../../engine/tensor.js';
import { Attrs, type OpContext, type Value } from '../../engine/ops/types.js';
import type { NativeBackend } from '../../engine/native.js';
import { runFolder, type CaseResult } from '../../engine/testdata/suite.js';
import { SHARED } from '../support/paths.js';

export interface Call {
  opset?: number;
  attrs?: Record<string, AttrValue>;
  outputs?: number;
}

export function runOp(op: string, inputs: (Value | undefined)[], call: Call = {}): Tensor[] {
  const opset = call.opset ?? 21;
  const entry = findOp(op, '', opset);
  if (!entry) throw new Error(`${op} is not registered for opset ${opset}`);
  const node: Node = {
    name: `${op}_test`,
    opType: op,
    domain: '',
    inputs: inputs.map((v, i) => (v === undefined ? '' : `in${i}`)),
    outputs: Array.from({ length: call.outputs ?? 1 }, (_, i) => `out${i}`),
    attrs: call.attrs ?? {},
  };
  const ctx: OpContext = {
    node,
    opset,
    mode: 'eager',
    threads: 1,
    attrs: new Attrs(node),
    native: {} as NativeBackend,
    runSubgraph: () => {
      throw new Error('no subgraphs here');
    },
    report: () => {},
  };
  return entry.impl(ctx, inputs).map((v) => {
    if (!v || 'kind' in v) throw new Error(`${op} returned a non-tensor`);
    return v;
  });
}

export const run1 = (op: string, inputs: (Value | undefined)[], call: Call = {}): Tensor => runOp(op, inputs, call)[0];
export const tensor = (dtype: DType, dims: number[], values: number[]): Tensor => Tensor.fromNumbers(dtype, dims, values);
export const f32 = (dims: number[], values: number[]): Tensor => tensor('float32', dims, values);
export const i64 = (dims: number[], values: number[]): Tensor => tensor('int64', dims, values);
export const int = (value: number): AttrValue => ({ type: 'int', value });
export const float = (value: number): AttrValue => ({ type: 'float', value });
export const ints = (value: number[]): AttrValue => ({ type: 'ints', value });
export const str = (value: string): AttrValue => ({ type: 'string', value });

export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-5): void {
  if (got.length !== want.length) throw new Error(`length ${got.length} but expected ${want.length}`);
  for (let i = 0; i < got.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])))) throw new Error(`element ${i}: got ${got[i]}, expected ${want[i]}`);
  }
}

/** The node-test cases of the given ops (including *_expanded variants), with the failures spelled out. */
export function conformance(ops: readonly string[]): { results: CaseResult[]; passRate: number; failures: string[] } {
  const results = runFolder(path.join(SHARED, 'onnx-node'), { filter: (row) => ops.includes(row.op_type) });
  const pass = results.filter((r) => r.status === 'pass').length;
  const fail = results.filter((r) => r.status === 'fail');
  const failures = fail.map((r) => `${r.name} [${r.op}]: ${r.reason}`);
  return { results, passRate: pass / Math.max(1, pass + fail.length), failures };
}
