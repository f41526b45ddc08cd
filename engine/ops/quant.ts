// Quantization ops; the implementations live in quant/.
import type { OpEntry } from './types.js';
import { ops as linear } from './quant/linear.js';
import { ops as integer } from './quant/integer.js';
import { ops as nbits } from './quant/nbits.js';

export const ops: OpEntry[] = [...linear, ...integer, ...nbits];
