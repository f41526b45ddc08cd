// Helpers for what ops keep per node between runs of a plan (OpContext.memo).
import type { OpContext } from './types.js';

export function sameDims(a: readonly number[], b: readonly number[] | undefined): boolean {
  if (!b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** What every memo is keyed on besides its inputs' shapes: the run's mode and thread count. */
export interface MemoKey {
  mode: OpContext['mode'];
  threads: number;
}

export function sameRun(m: MemoKey, ctx: OpContext): boolean {
  return m.mode === ctx.mode && m.threads === ctx.threads;
}
