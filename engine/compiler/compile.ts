// The graph compiler: the named passes in their order, run over a working copy of the model's
// graph, each verified after it ran and logged (what it changed, nodes before and after), into
// the model graph mode runs. Any pass can be turned off by name to show what it contributes.
import type { Model } from '../graph.js';
import type { Pass } from './pass.js';
import type { PassLogEntry } from '../../common/profile.js';

export type { PassLogEntry };
import { workingCopy } from './ir.js';
import { GraphError, verifyGraph } from './verify.js';
import { constantFolding } from './passes/constant-folding.js';
import { identityElimination } from './passes/identity-elimination.js';
import { convBatchNormFolding } from './passes/conv-bn-folding.js';
import { epilogueFusion } from './passes/epilogue-fusion.js';
import { deadNodeElimination } from './passes/dead-nodes.js';
import { normFusion } from './passes/norm-fusion.js';
import { weightPrepacking } from './passes/weight-prepacking.js';
import { layoutElimination } from './passes/layout-elimination.js';

/** The passes, in the order they run. */
export const PASSES: readonly Pass[] = [
  constantFolding,
  identityElimination,
  layoutElimination,
  convBatchNormFolding,
  normFusion,
  epilogueFusion,
  weightPrepacking,
  deadNodeElimination,
];

export interface CompileOptions {
  /** Pass names to skip. */
  disabled?: readonly string[];
  /** Value shapes seen in a run with the bound inputs (lets Shape fold and residual Adds fuse). */
  shapes?: ReadonlyMap<string, readonly number[]>;
}

export interface Compiled {
  model: Model;
  log: PassLogEntry[];
}

/** Throws on a name that is not a pass, listing the passes. */
export function checkPassNames(names: readonly string[]): void {
  for (const n of names) {
    if (!PASSES.some((p) => p.name === n)) throw new Error(`unknown pass '${n}' (passes: ${PASSES.map((p) => p.name).join(', ')})`);
  }
}

export function compileModel(model: Model, opts: CompileOptions = {}): Compiled {
  const disabled = new Set(opts.disabled ?? []);
  checkPassNames([...disabled]);
  const g = workingCopy(model, opts.shapes);
  const log: PassLogEntry[] = [];
  for (const pass of PASSES) {
    const before = g.nodes.length;
    if (disabled.has(pass.name)) {
      log.push({ pass: pass.name, enabled: false, nodes_before: before, nodes_after: before, changes: 0, notes: [], ms: 0 });
      continue;
    }
    const t0 = performance.now();
    const r = pass.run(g);
    try {
      verifyGraph(g);
    } catch (e) {
      throw new GraphError(`graph compiler: pass ${pass.name} left an invalid graph (${(e as Error).message})`);
    }
    log.push({
      pass: pass.name,
      enabled: true,
      nodes_before: before,
      nodes_after: g.nodes.length,
      changes: r.changes,
      notes: r.notes,
      ms: performance.now() - t0,
    });
  }
  const { shapes: _shapes, opsets, functions: _functions, ...graph } = g;
  return { model: { ...model, opsets: new Map(opsets), graph }, log };
}
