// What every graph-compiler pass is: a name the CLI and the pass log use, one line saying what it
// does, and a rewrite of the working graph that reports what it changed.
import type { CompileGraph } from './ir.js';

export interface PassResult {
  /** Rewrites made (nodes removed, fused or replaced); 0 when the graph is unchanged. */
  changes: number;
  /** One line per rewrite, naming the file's nodes ("fused /bn1/BatchNormalization into /conv1/Conv"). */
  notes: string[];
}

export interface Pass {
  name: string;
  description: string;
  run(g: CompileGraph): PassResult;
}

/** Notes kept per pass in the log: enough to see what happened, bounded for 10k-node models. */
export const MAX_NOTES = 200;

export function result(notes: string[], changes = notes.length): PassResult {
  return { changes, notes: notes.length > MAX_NOTES ? [...notes.slice(0, MAX_NOTES), `… ${notes.length - MAX_NOTES} more`] : notes };
}
