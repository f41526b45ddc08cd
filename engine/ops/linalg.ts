// Linear algebra: MatMul, Gemm, Conv, ConvTranspose, Einsum (implementations in linalg/).
import type { OpEntry } from './types.js';
import { ops as matmul } from './linalg/matmul.js';
import { ops as conv } from './linalg/conv.js';
import { ops as convTranspose } from './linalg/conv-transpose.js';
import { ops as einsum } from './linalg/einsum.js';

export const ops: OpEntry[] = [...matmul, ...conv, ...convTranspose, ...einsum];
