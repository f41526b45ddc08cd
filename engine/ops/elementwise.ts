// Elementwise and math ops; each file of elementwise/ holds one family.
import type { OpEntry } from './types.js';
import { ops as arithmetic } from './elementwise/arithmetic.js';
import { ops as unary } from './elementwise/unary.js';
import { ops as logic } from './elementwise/logic.js';
import { ops as cast } from './elementwise/cast.js';

export const ops: OpEntry[] = [...arithmetic, ...unary, ...logic, ...cast];
