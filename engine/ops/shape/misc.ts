// Trilu, ReverseSequence and Unique.
import { Tensor, stridesOf } from '../../tensor.js';
import { OpError, tensorInput, optionalTensor, type OpContext, type OpEntry, type Value } from '../types.js';
import { normalizeAxis, product } from '../util.js';
import { laneView, moveElements } from './move.js';

type Elements = { [i: number]: number | bigint | string };

function trilu(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0);
  if (x.rank < 2) throw new OpError(`Trilu needs an input of rank >= 2, got shape [${x.dims.join(',')}]`);
  const kt = optionalTensor(inputs, 1);
  if (kt && kt.size !== 1) throw new OpError('k must be a scalar');
  const k = kt ? kt.num(0) : 0;
  const upper = ctx.attrs.int('upper', 1) !== 0;
  const rows = x.dims[x.rank - 2];
  const cols = x.dims[x.rank - 1];
  const out = new Tensor(x.dtype, x.dims);
  const { view: sv, lanes } = laneView(x.data);
  const dv = laneView(out.data).view;
  const matrices = product(x.dims, 0, x.rank - 2);
  // Strings have no zero to leave behind; the output array already holds ''.
  for (let m = 0; m < matrices; m++) {
    for (let i = 0; i < rows; i++) {
      // Kept columns of row i: j >= i + k (upper) or j <= i + k (lower).
      const from = upper ? Math.min(Math.max(i + k, 0), cols) : 0;
      const to = upper ? cols : Math.min(Math.max(i + k + 1, 0), cols);
      const base = ((m * rows + i) * cols) * lanes;
      for (let j = from * lanes; j < to * lanes; j++) dv[base + j] = sv[base + j];
    }
  }
  ctx.report({ kernel: `ts_trilu_${x.dtype}`, isa: 'scalar' });
  return [out];
}

function reverseSequence(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0);
  const lensT = tensorInput(inputs, 1, 'sequence_lens');
  if (x.rank < 2) throw new OpError('ReverseSequence needs an input of rank >= 2');
  const batchAxis = normalizeAxis(ctx.attrs.int('batch_axis', 1), x.rank, 'batch_axis');
  const timeAxis = normalizeAxis(ctx.attrs.int('time_axis', 0), x.rank, 'time_axis');
  if (batchAxis === timeAxis || batchAxis > 1 || timeAxis > 1) throw new OpError(`batch_axis ${batchAxis} and time_axis ${timeAxis} must be 0 and 1 in some order`);
  const batch = x.dims[batchAxis];
  const time = x.dims[timeAxis];
  if (lensT.size !== batch) throw new OpError(`sequence_lens has ${lensT.size} entries for a batch of ${batch}`);
  const s = stridesOf(x.dims);
  const inner = product(x.dims, 2);
  const out = new Tensor(x.dtype, x.dims);
  for (let b = 0; b < batch; b++) {
    const len = lensT.num(b);
    if (!(len >= 0 && len <= time)) throw new OpError(`sequence length ${len} is outside [0, ${time}]`);
    const table = new Int32Array(time);
    for (let t = 0; t < time; t++) table[t] = (t < len ? len - 1 - t : t) * s[timeAxis];
    moveElements(x.data, b * s[batchAxis], out.data, b * s[batchAxis], [
      { n: time, src: 0, table, dst: s[timeAxis] },
      { n: inner, src: 1, dst: 1 },
    ]);
  }
  return [out];
}

function compareElements(a: number | bigint | string, b: number | bigint | string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function unique(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0);
  const sorted = ctx.attrs.int('sorted', 1) !== 0;
  const axisAttr = ctx.attrs.int('axis');
  const src = axisAttr === undefined ? x.reshape([x.size]) : x;
  const axis = axisAttr === undefined ? 0 : normalizeAxis(axisAttr, x.rank);
  const count = src.dims[axis];
  const outer = product(src.dims, 0, axis);
  const inner = product(src.dims, axis + 1);
  const d = src.data as unknown as Elements;
  // Slice i along the axis, as its elements in row-major order.
  const sliceOf = (i: number) => {
    const v: (number | bigint | string)[] = [];
    for (let o = 0; o < outer; o++) for (let j = 0; j < inner; j++) v.push(d[(o * count + i) * inner + j]);
    return v;
  };
  const compareSlices = (a: (number | bigint | string)[], b: (number | bigint | string)[]) => {
    for (let j = 0; j < a.length; j++) {
      const c = compareElements(a[j], b[j]);
      if (c) return c;
    }
    return 0;
  };
  const keyOf = (v: (number | bigint | string)[]) => v.map((e) => `${typeof e}:${String(e)}`).join('\u0000');
  const firstIndex = new Map<string, number>();
  const slices: (number | bigint | string)[][] = [];
  const order: number[] = [];
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    const v = sliceOf(i);
    const key = keyOf(v);
    slices.push(v);
    keys.push(key);
    if (!firstIndex.has(key)) {
      firstIndex.set(key, i);
      order.push(i);
    }
  }
  if (sorted) order.sort((a, b) => compareSlices(slices[a], slices[b]));
  const position = new Map<string, number>(order.map((i, p) => [keys[i], p]));
  const counts = new Array<number>(order.length).fill(0);
  const inverse = keys.map((k) => {
    const p = position.get(k)!;
    counts[p]++;
    return p;
  });
  const dims = src.dims.slice();
  dims[axis] = order.length;
  const y = new Tensor(x.dtype, dims);
  moveElements(src.data, 0, y.data, 0, [
    { n: outer, src: count * inner, dst: order.length * inner },
    { n: order.length, src: 0, table: Int32Array.from(order, (i) => i * inner), dst: inner },
    { n: inner, src: 1, dst: 1 },
  ]);
  return [
    y,
    Tensor.fromNumbers('int64', [order.length], order),
    Tensor.fromNumbers('int64', [inverse.length], inverse),
    Tensor.fromNumbers('int64', [counts.length], counts),
  ];
}

export const ops: OpEntry[] = [
  { op: 'Trilu', domain: '', since: 14, impl: trilu },
  { op: 'ReverseSequence', domain: '', since: 10, impl: reverseSequence },
  { op: 'Unique', domain: '', since: 11, impl: unique },
];
