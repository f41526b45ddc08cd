// Runs one registered op directly (through the registry, so opset ranges are exercised too).
import type { AttrValue, Node } from '../../engine/graph.js';
import { loadNative } from '../../engine/native.js';
import { findOp } from '../../engine/registry.js';
import { Tensor, type DType } from '../../engine/tensor.js';
import { Attrs, type OpContext, type Value } from '../../engine/ops/types.js';
import { runFolder, type CaseResult } from '../../engine/testdata/suite.js';

export function runOp(op: string, inputs: (Value | undefined)[], attrs: Record<string, AttrValue> = {}, opset = 17): Value[] {
  const entry = findOp(op, '', opset);
  if (!entry) throw new Error(`op ${op} is not registered for opset ${opset}`);
  const node: Node = { name: `${op}_test`, opType: op, domain: '', inputs: inputs.map((_, i) => `in${i}`), outputs: ['out'], attrs };
  const ctx: OpContext = {
    node,
    opset,
    mode: 'eager',
    threads: 1,
    attrs: new Attrs(node),
    native: loadNative(),
    runSubgraph: () => {
      throw new Error('no subgraphs here');
    },
    report: () => {},
  };
  return entry.impl(ctx, inputs);
}

/** The single tensor output of an op. */
export function run1(op: string, inputs: (Value | undefined)[], attrs: Record<string, AttrValue> = {}, opset = 17): Tensor {
  const [out] = runOp(op, inputs, attrs, opset);
  if (!out || 'kind' in out) throw new Error(`${op} did not return a tensor`);
  return out;
}

export const t = (dtype: DType, dims: number[], values: number[]): Tensor => Tensor.fromNumbers(dtype, dims, values);
export const big = (dtype: 'int64' | 'uint64', dims: number[], values: bigint[]): Tensor =>
  new Tensor(dtype, dims, dtype === 'int64' ? BigInt64Array.from(values) : BigUint64Array.from(values));
export const str = (dims: number[], values: string[]): Tensor => new Tensor('string', dims, values);
export const int = (value: number): AttrValue => ({ type: 'int', value });
export const float = (value: number): AttrValue => ({ type: 'float', value });
export const string = (value: string): AttrValue => ({ type: 'string', value });
export const values = (x: Tensor): unknown[] => Array.from(x.data as ArrayLike<unknown>);

/**
 * Conformance over the given ops. Cases whose data files use element types the engine does not
 * hold (float8, int4, ...) are out of scope and counted apart from real failures.
 */
export function conformance(folder: string, ops: readonly string[]): { pass: CaseResult[]; fail: CaseResult[]; outOfScope: CaseResult[] } {
  const wanted = new Set(ops);
  const results = runFolder(folder, { filter: (row) => wanted.has(row.op_type) });
  const outOfScope = results.filter((r) => r.status === 'fail' && /element type \S+ is not supported/.test(r.reason ?? ''));
  const fail = results.filter((r) => r.status === 'fail' && !outOfScope.includes(r));
  return { pass: results.filter((r) => r.status === 'pass'), fail, outOfScope };
}
