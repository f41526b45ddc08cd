// Transformer blocks: opset 23 Attention/RotaryEmbedding/RMSNormalization and common com.microsoft
// fused ops; implementations live in transformer/.
import type { OpEntry } from './types.js';
import { ops as attention } from './transformer/attention.js';
import { ops as rotary } from './transformer/rotary.js';
import { ops as norm } from './transformer/norm.js';
import { ops as gelu } from './transformer/gelu.js';

export const ops: OpEntry[] = [...attention, ...rotary, ...norm, ...gelu];
