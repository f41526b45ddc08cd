// Pooling and normalization (Conv/ConvTranspose live in linalg); each file of nn/ holds one family.
import type { OpEntry } from './types.js';
import { ops as pool } from './nn/pool.js';
import { ops as norm } from './nn/norm.js';
import { ops as roi } from './nn/roi.js';

export const ops: OpEntry[] = [...pool, ...norm, ...roi];
