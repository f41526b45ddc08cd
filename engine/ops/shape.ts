// Shape and data-movement ops; each file of shape/ holds one family.
import type { OpEntry } from './types.js';
import { ops as reshape } from './shape/reshape.js';
import { ops as layout } from './shape/layout.js';
import { ops as pad } from './shape/pad.js';
import { ops as gather } from './shape/gather.js';
import { ops as resize } from './shape/resize.js';
import { ops as misc } from './shape/misc.js';

export const ops: OpEntry[] = [...reshape, ...layout, ...pad, ...gather, ...resize, ...misc];
