// The op registry, grouped by category: adding an op touches one category file and one table line.
import type { OpEntry } from './types.js';
import { ops as elementwise } from './elementwise.js';
import { ops as activation } from './activation.js';
import { ops as linalg } from './linalg.js';
import { ops as nn } from './nn.js';
import { ops as reduce } from './reduce.js';
import { ops as shape } from './shape.js';
import { ops as control } from './control.js';
import { ops as sequence } from './sequence.js';
import { ops as quant } from './quant.js';
import { ops as rnn } from './rnn.js';
import { ops as transformer } from './transformer.js';

export const CATEGORIES: Record<string, OpEntry[]> = {
  'Linear algebra': linalg,
  'Neural network (conv, pooling, normalization)': nn,
  Activations: activation,
  'Elementwise and math': elementwise,
  Reductions: reduce,
  'Shape and data movement': shape,
  'Control flow': control,
  Sequences: sequence,
  Quantization: quant,
  'Recurrent (RNN, GRU, LSTM)': rnn,
  'Transformer blocks': transformer,
};
