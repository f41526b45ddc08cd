// Reductions; each file of reduce/ holds one family.
import type { OpEntry } from './types.js';
import { ops as reductions } from './reduce/reductions.js';
import { ops as arg } from './reduce/arg.js';
import { ops as cumulative } from './reduce/cumulative.js';

export const ops: OpEntry[] = [...reductions, ...arg, ...cumulative];
