import type { OpEntry } from './types.js';

export const ops: OpEntry[] = [];
