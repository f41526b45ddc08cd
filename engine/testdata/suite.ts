// Runs ONNX backend-test folders through the engine and classifies each case.
import fs from 'node:fs';
import path from 'node:path';
import { loadModel } from '../onnx/loader.js';
import { Plan } from '../executor.js';
import { loadNative } from '../native.js';
import type { Mode } from '../ops/types.js';
import { compareOutputs, readDataSets, readTolerance } from './conformance.js';
import { graphMode } from '../compiler/graph-mode.js';

export type CaseStatus = 'pass' | 'fail' | 'unsupported' | 'skipped';

export interface CaseResult {
  name: string;
  op: string;
  status: CaseStatus;
  reason?: string;
  maxAbsErr?: number;
}

/** Cases the ONNX test guide marks as nondeterministic or training-only. */
export function skipReason(name: string, otherOpsets: string): string | undefined {
  if (/^test_bernoulli/.test(name) || /^test_training_dropout/.test(name)) return 'random output';
  if (otherOpsets.includes('ai.onnx.preview.training')) return 'training-only op';
  return undefined;
}

export interface ManifestRow {
  case: string;
  op_type: string;
  opset: string;
  other_opsets: string;
  expanded: string;
}

export function readManifest(folder: string): ManifestRow[] {
  const file = path.join(folder, 'MANIFEST.tsv');
  if (!fs.existsSync(file)) {
    return fs
      .readdirSync(folder)
      .filter((d) => fs.existsSync(path.join(folder, d, 'model.onnx')))
      .map((d) => ({ case: d, op_type: '', opset: '', other_opsets: '', expanded: 'no' }));
  }
  const [header, ...rows] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const cols = header.split('\t');
  return rows.map((r) => {
    const cells = r.split('\t');
    return Object.fromEntries(cols.map((c, i) => [c, cells[i] ?? ''])) as unknown as ManifestRow;
  });
}

export function runCase(caseDir: string, mode: Mode = 'eager', threads = 1): Omit<CaseResult, 'name' | 'op'> {
  let plan: Plan;
  try {
    plan = new Plan(loadModel(path.join(caseDir, 'model.onnx')));
  } catch (e) {
    const msg = (e as Error).message;
    if (/is not supported/.test(msg)) return { status: 'unsupported', reason: msg.replace(/^.*?: /, '') };
    return { status: 'fail', reason: msg };
  }
  const g = plan.model.graph;
  const tol = readTolerance(caseDir);
  let maxAbsErr = 0;
  try {
    for (const set of readDataSets(caseDir, g.inputs, g.outputs)) {
      // Graph mode compiles for each data set's inputs (the compiled graph is valid for their shapes).
      const run = mode === 'graph' ? graphMode(plan.model, set.inputs, { threads, native: loadNative(), plan }).program : plan;
      const { outputs } = run.run(set.inputs, { mode: mode === 'graph' ? 'eager' : mode, threads, native: loadNative() });
      const c = compareOutputs(outputs, set.outputs, tol, g.outputs.map((o) => o.name));
      if (!c.ok) return { status: 'fail', reason: `${path.basename(set.dir)}: ${c.reason}`, maxAbsErr: c.maxAbsErr };
      maxAbsErr = Math.max(maxAbsErr, c.maxAbsErr);
    }
  } catch (e) {
    return { status: 'fail', reason: (e as Error).message };
  }
  return { status: 'pass', maxAbsErr };
}

export function runFolder(folder: string, opts: { mode?: Mode; filter?: (row: ManifestRow) => boolean } = {}): CaseResult[] {
  const results: CaseResult[] = [];
  for (const row of readManifest(folder)) {
    if (opts.filter && !opts.filter(row)) continue;
    const skip = skipReason(row.case, row.other_opsets);
    if (skip) {
      results.push({ name: row.case, op: row.op_type, status: 'skipped', reason: skip });
      continue;
    }
    results.push({ name: row.case, op: row.op_type, ...runCase(path.join(folder, row.case), opts.mode) });
  }
  return results;
}
