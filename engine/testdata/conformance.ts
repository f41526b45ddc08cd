// Reads ONNX backend-test cases (model.onnx + test_data_set_N/{input,output}_K.pb) and
// compares a run's outputs with the references. Used by tests, the CLI and benchmarks.
import fs from 'node:fs';
import path from 'node:path';
import { SequenceProto, OptionalProto } from '../onnx/schema.js';
import { decodeTensorFile, tensorFromProto, type RawTensorProto } from '../onnx/tensor-proto.js';
import type { ValueInfo, ValueType } from '../graph.js';
import { Tensor, FLOAT_TYPES } from '../tensor.js';
import type { Value } from '../ops/types.js';

export interface TestDataSet {
  dir: string;
  inputs: Value[];
  outputs: Value[];
}

/* eslint-disable @typescript-eslint/no-explicit-any -- protobufjs messages are untyped */
function decodeSequence(m: any, file: string): Value {
  return { kind: 'sequence', items: (m.tensorValues ?? []).map((t: RawTensorProto) => tensorFromProto(t, { baseDir: path.dirname(file) })) };
}

function decodeOptional(m: any, file: string): Value {
  if (m.tensorValue) return tensorFromProto(m.tensorValue, { baseDir: path.dirname(file) });
  if (m.sequenceValue) return decodeSequence(m.sequenceValue, file);
  return null;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export function readValueFile(file: string, type: ValueType | undefined): Value {
  const bytes = fs.readFileSync(file);
  if (type?.kind === 'sequence') return decodeSequence(SequenceProto.decode(bytes), file);
  if (type?.kind === 'optional') return decodeOptional(OptionalProto.decode(bytes), file);
  return decodeTensorFile(bytes, file);
}

function numbered(dir: string, prefix: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
    .sort((a, b) => Number(a.slice(prefix.length, -3)) - Number(b.slice(prefix.length, -3)))
    .map((f) => path.join(dir, f));
}

/** Reads input_K.pb files of a folder, bound by position to the graph inputs. */
export function readInputs(dir: string, graphInputs: ValueInfo[]): Value[] {
  return numbered(dir, 'input_').map((f, k) => readValueFile(f, graphInputs[k]?.type));
}

export function readDataSets(caseDir: string, inputs: ValueInfo[], outputs: ValueInfo[]): TestDataSet[] {
  return fs
    .readdirSync(caseDir)
    .filter((d) => d.startsWith('test_data_set_'))
    .sort()
    .map((d) => {
      const dir = path.join(caseDir, d);
      return {
        dir,
        inputs: readInputs(dir, inputs),
        outputs: numbered(dir, 'output_').map((f, k) => readValueFile(f, outputs[k]?.type)),
      };
    });
}

export interface Tolerance {
  rtol: number;
  atol: number;
}

export const DEFAULT_TOLERANCE: Tolerance = { rtol: 1e-3, atol: 1e-4 };

export interface Comparison {
  ok: boolean;
  maxAbsErr: number;
  /** Why it failed, naming the first offending element. */
  reason?: string;
}

function compareTensors(got: Tensor, exp: Tensor, tol: Tolerance, what: string): Comparison {
  if (got.dims.length !== exp.dims.length || got.dims.some((d, i) => d !== exp.dims[i])) {
    return { ok: false, maxAbsErr: Infinity, reason: `${what}: shape [${got.dims}] but expected [${exp.dims}]` };
  }
  if (got.dtype !== exp.dtype) return { ok: false, maxAbsErr: Infinity, reason: `${what}: type ${got.dtype} but expected ${exp.dtype}` };
  let maxAbsErr = 0;
  const isFloat = FLOAT_TYPES.has(exp.dtype);
  const narrow = exp.dtype === 'float16' || exp.dtype === 'bfloat16';
  const rtol = narrow ? Math.max(tol.rtol, 1e-2) : tol.rtol;
  const atol = narrow ? Math.max(tol.atol, 1e-2) : tol.atol;
  for (let i = 0; i < exp.size; i++) {
    const g = got.data[i];
    const e = exp.data[i];
    if (!isFloat) {
      if (g !== e) return { ok: false, maxAbsErr: Infinity, reason: `${what}[${i}] = ${g} but expected ${e}` };
      continue;
    }
    const gn = g as number;
    const en = e as number;
    if (Number.isNaN(en) || Number.isNaN(gn)) {
      if (Number.isNaN(en) !== Number.isNaN(gn)) return { ok: false, maxAbsErr: Infinity, reason: `${what}[${i}] = ${gn} but expected ${en}` };
      continue;
    }
    if (!Number.isFinite(en) || !Number.isFinite(gn)) {
      if (gn !== en) return { ok: false, maxAbsErr: Infinity, reason: `${what}[${i}] = ${gn} but expected ${en}` };
      continue;
    }
    const err = Math.abs(gn - en);
    if (err > maxAbsErr) maxAbsErr = err;
    if (err > atol + rtol * Math.abs(en)) {
      return { ok: false, maxAbsErr: err, reason: `${what}[${i}] = ${gn} but expected ${en} (|err| ${err.toExponential(2)})` };
    }
  }
  return { ok: true, maxAbsErr };
}

export function compareValues(got: Value | undefined, exp: Value, tol: Tolerance, what: string): Comparison {
  if (exp === null) return got === null || got === undefined ? { ok: true, maxAbsErr: 0 } : { ok: false, maxAbsErr: Infinity, reason: `${what}: expected an empty optional` };
  if (got === null || got === undefined) return { ok: false, maxAbsErr: Infinity, reason: `${what}: missing` };
  if ('kind' in exp) {
    if (!('kind' in got)) return { ok: false, maxAbsErr: Infinity, reason: `${what}: expected a sequence` };
    if (got.items.length !== exp.items.length) return { ok: false, maxAbsErr: Infinity, reason: `${what}: sequence of ${got.items.length}, expected ${exp.items.length}` };
    let maxAbsErr = 0;
    for (let i = 0; i < exp.items.length; i++) {
      const c = compareTensors(got.items[i], exp.items[i], tol, `${what}[${i}]`);
      if (!c.ok) return c;
      maxAbsErr = Math.max(maxAbsErr, c.maxAbsErr);
    }
    return { ok: true, maxAbsErr };
  }
  if ('kind' in got) return { ok: false, maxAbsErr: Infinity, reason: `${what}: got a sequence, expected a tensor` };
  return compareTensors(got, exp, tol, what);
}

export function compareOutputs(got: Value[], exp: Value[], tol: Tolerance, names?: string[]): Comparison {
  let maxAbsErr = 0;
  for (let k = 0; k < exp.length; k++) {
    const c = compareValues(got[k], exp[k], tol, `output ${names?.[k] ?? k}`);
    if (!c.ok) return c;
    maxAbsErr = Math.max(maxAbsErr, c.maxAbsErr);
  }
  return { ok: true, maxAbsErr };
}

/** rtol/atol from a case's data.json, when it has one. */
export function readTolerance(caseDir: string): Tolerance {
  const f = path.join(caseDir, 'data.json');
  if (!fs.existsSync(f)) return DEFAULT_TOLERANCE;
  const j = JSON.parse(fs.readFileSync(f, 'utf8')) as { rtol?: number; atol?: number };
  return { rtol: j.rtol ?? DEFAULT_TOLERANCE.rtol, atol: Math.max(j.atol ?? DEFAULT_TOLERANCE.atol, DEFAULT_TOLERANCE.atol) };
}
