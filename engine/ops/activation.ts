// Activation ops; pointwise ones and the softmax family live in activation/.
import type { OpEntry } from './types.js';
import { ops as pointwise } from './activation/pointwise.js';
import { ops as softmax } from './activation/softmax.js';

export const ops: OpEntry[] = [...pointwise, ...softmax];
