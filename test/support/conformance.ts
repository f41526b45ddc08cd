// The ONNX conformance cases of a set of ops, summarised for the op tests.
import path from 'node:path';
import { runFolder, type CaseResult } from '../../engine/testdata/suite.js';
import { SHARED } from './paths.js';

function casesOf(folder: string, ops: readonly string[]): CaseResult[] {
  const wanted = new Set(ops);
  return runFolder(folder, { filter: (row) => wanted.has(row.op_type) });
}

/** The onnx-node cases of the given ops (including *_expanded variants), with the failures spelled out. */
export function nodeConformance(ops: readonly string[]): { results: CaseResult[]; passRate: number; failures: string[] } {
  const results = casesOf(path.join(SHARED, 'onnx-node'), ops);
  const pass = results.filter((r) => r.status === 'pass').length;
  const fail = results.filter((r) => r.status === 'fail');
  const failures = fail.map((r) => `${r.name} [${r.op}]: ${r.reason}`);
  return { results, passRate: pass / Math.max(1, pass + fail.length), failures };
}

/**
 * The cases of the given ops in a folder. Cases whose data files use element types the engine does
 * not hold (float8, int4, ...) are out of scope and counted apart from real failures.
 */
export function scopedConformance(folder: string, ops: readonly string[]): { pass: CaseResult[]; fail: CaseResult[]; outOfScope: CaseResult[] } {
  const results = casesOf(folder, ops);
  const outOfScope = results.filter((r) => r.status === 'fail' && /element type \S+ is not supported/.test(r.reason ?? ''));
  const fail = results.filter((r) => r.status === 'fail' && !outOfScope.includes(r));
  return { pass: results.filter((r) => r.status === 'pass'), fail, outOfScope };
}
