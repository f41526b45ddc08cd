// Recurrent ops (RNN, GRU, LSTM); the implementation lives in rnn/.
import type { OpEntry } from './types.js';
import { ops as recurrent } from './rnn/recurrent.js';

export const ops: OpEntry[] = [...recurrent];
