// RNN, GRU and LSTM: one driver handles layouts, directions, sequence lengths and initial states;
// each op supplies its cell update. X*W^T for all time steps is computed up front, so each step
// only multiplies the hidden state by R.
import { Tensor, roundToFloat16, roundToBfloat16 } from '../../tensor.js';
import { OpError, optionalTensor, tensorInput, type OpContext, type OpEntry, type Value } from '../types.js';
import { buildActivations, type ActivationFn } from './activations.js';

type CellKind = 'RNN' | 'GRU' | 'LSTM';

const GATES: Record<CellKind, number> = { RNN: 1, GRU: 3, LSTM: 4 };
const DEFAULT_ACTIVATIONS: Record<CellKind, string[]> = { RNN: ['Tanh'], GRU: ['Sigmoid', 'Tanh'], LSTM: ['Sigmoid', 'Tanh', 'Tanh'] };

/** Per-direction state a cell update reads and writes. */
interface CellArgs {
  hidden: number;
  /** X*W^T + Wb for this step and batch row, G*hidden values at xwOff. */
  xw: Float32Array;
  xwOff: number;
  /** H*R^T (+ Rb) scratch of G*hidden values. */
  hr: Float32Array;
  /** Hidden state (and cell state for LSTM) of this batch row, at stateOff. */
  h: Float32Array;
  c: Float32Array;
  stateOff: number;
  rb: Float32Array;
  p: Float32Array | undefined;
  acts: ActivationFn[];
  clip: number;
  gates: Float32Array;
  linearBeforeReset: boolean;
  inputForget: boolean;
}

function clipRange(buf: Float32Array, off: number, n: number, clip: number): void {
  if (!(clip < Infinity)) return;
  for (let i = off; i < off + n; i++) {
    const v = buf[i];
    buf[i] = v > clip ? clip : v < -clip ? -clip : v;
  }
}

/** hr[0..rows) = R[rows x hidden] * h[hOff..hOff+hidden) + rb (+ rbOff). */
function recurrentProduct(
  r: Float32Array,
  rOff: number,
  rows: number,
  hidden: number,
  h: Float32Array,
  hOff: number,
  rb: Float32Array,
  hr: Float32Array,
): void {
  for (let j = 0; j < rows; j++) {
    const ro = rOff + j * hidden;
    let s0 = rb[j];
    let s1 = 0;
    let k = 0;
    for (; k + 1 < hidden; k += 2) {
      s0 += r[ro + k] * h[hOff + k];
      s1 += r[ro + k + 1] * h[hOff + k + 1];
    }
    if (k < hidden) s0 += r[ro + k] * h[hOff + k];
    hr[j] = s0 + s1;
  }
}

function rnnCell(a: CellArgs): void {
  const { hidden, gates } = a;
  for (let j = 0; j < hidden; j++) gates[j] = a.xw[a.xwOff + j] + a.hr[j];
  clipRange(gates, 0, hidden, a.clip);
  a.acts[0](gates, 0, hidden);
  a.h.set(gates.subarray(0, hidden), a.stateOff);
}

function gruCell(a: CellArgs): void {
  const { hidden: n, gates, xw, xwOff, hr, h, stateOff } = a;
  // Gate order z, r, h; gates[0..2n) = z, r pre-activations.
  for (let j = 0; j < 2 * n; j++) gates[j] = xw[xwOff + j] + hr[j];
  clipRange(gates, 0, 2 * n, a.clip);
  a.acts[0](gates, 0, 2 * n);
  if (a.linearBeforeReset) {
    for (let j = 0; j < n; j++) gates[2 * n + j] = xw[xwOff + 2 * n + j] + gates[n + j] * hr[2 * n + j];
  }
  clipRange(gates, 2 * n, n, a.clip);
  a.acts[1](gates, 2 * n, n);
  for (let j = 0; j < n; j++) {
    const z = gates[j];
    h[stateOff + j] = (1 - z) * gates[2 * n + j] + z * h[stateOff + j];
  }
}

function lstmCell(a: CellArgs): void {
  const { hidden: n, gates, xw, xwOff, hr, h, c, stateOff, p } = a;
  // Gate order i, o, f, c; peepholes P in order i, o, f.
  for (let j = 0; j < 4 * n; j++) gates[j] = xw[xwOff + j] + hr[j];
  if (p) {
    for (let j = 0; j < n; j++) {
      const cp = c[stateOff + j];
      gates[j] += p[j] * cp;
      gates[2 * n + j] += p[2 * n + j] * cp;
    }
  }
  // The output gate is clipped and activated after its peephole term on the new cell state.
  clipRange(gates, 0, n, a.clip);
  clipRange(gates, 2 * n, 2 * n, a.clip);
  const [f, g, hAct] = a.acts;
  f(gates, 0, n);
  if (a.inputForget) for (let j = 0; j < n; j++) gates[2 * n + j] = 1 - gates[j];
  else f(gates, 2 * n, n);
  g(gates, 3 * n, n);
  for (let j = 0; j < n; j++) c[stateOff + j] = gates[2 * n + j] * c[stateOff + j] + gates[j] * gates[3 * n + j];
  if (p) for (let j = 0; j < n; j++) gates[n + j] += p[n + j] * c[stateOff + j];
  clipRange(gates, n, n, a.clip);
  f(gates, n, n);
  // Reuse the candidate slot for h(C).
  for (let j = 0; j < n; j++) gates[3 * n + j] = c[stateOff + j];
  hAct(gates, 3 * n, n);
  for (let j = 0; j < n; j++) h[stateOff + j] = gates[n + j] * gates[3 * n + j];
}

const CELLS: Record<CellKind, (a: CellArgs) => void> = { RNN: rnnCell, GRU: gruCell, LSTM: lstmCell };

function floatData(t: Tensor, what: string): Float32Array {
  if (t.dtype === 'float32' || t.dtype === 'float16' || t.dtype === 'bfloat16') return t.data as Float32Array;
  if (t.dtype === 'float64') return Float32Array.from(t.data as Float64Array);
  throw new OpError(`${what} must be a float tensor, got ${t.dtype}`);
}

function expectShape(t: Tensor, dims: number[], what: string): void {
  if (t.rank !== dims.length || t.dims.some((d, i) => d !== dims[i]))
    throw new OpError(`${what} has shape [${t.dims.join(',')}], expected [${dims.join(',')}]`);
}

function recurrent(kind: CellKind, ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'X');
  const w = tensorInput(inputs, 1, 'W');
  const r = tensorInput(inputs, 2, 'R');
  const bT = optionalTensor(inputs, 3);
  const lensT = optionalTensor(inputs, 4);
  const h0T = optionalTensor(inputs, 5);
  const c0T = kind === 'LSTM' ? optionalTensor(inputs, 6) : undefined;
  const pT = kind === 'LSTM' ? optionalTensor(inputs, 7) : undefined;
  const direction = ctx.attrs.string('direction', 'forward');
  if (direction !== 'forward' && direction !== 'reverse' && direction !== 'bidirectional')
    throw new OpError(`${kind}: direction '${direction}' is not forward, reverse or bidirectional`);
  const dirs = direction === 'bidirectional' ? 2 : 1;
  const layout = ctx.opset >= 14 ? ctx.attrs.int('layout', 0) : 0;
  if (x.rank !== 3) throw new OpError(`${kind}: X must be 3-D, got [${x.dims.join(',')}]`);
  const [seq, batch, inputSize] = layout === 0 ? x.dims : [x.dims[1], x.dims[0], x.dims[2]];
  const G = GATES[kind];
  const hidden = ctx.attrs.int('hidden_size') ?? w.dims[1] / G;
  if (!Number.isInteger(hidden) || hidden < 1) throw new OpError(`${kind}: hidden_size ${hidden} is invalid`);
  const GH = G * hidden;
  expectShape(w, [dirs, GH, inputSize], `${kind} W`);
  expectShape(r, [dirs, GH, hidden], `${kind} R`);
  if (bT) expectShape(bT, [dirs, 2 * GH], `${kind} B`);
  const stateDims = layout === 0 ? [dirs, batch, hidden] : [batch, dirs, hidden];
  const withX = ` (X is [${x.dims.join(',')}], layout ${layout})`;
  if (h0T) expectShape(h0T, stateDims, `${kind} initial_h${withX}`);
  if (c0T) expectShape(c0T, stateDims, `${kind} initial_c${withX}`);
  if (pT) expectShape(pT, [dirs, 3 * hidden], `${kind} P`);
  const lens = lensT ? lensT.toNumbers() : new Array<number>(batch).fill(seq);
  if (lens.length !== batch || lens.some((l) => !Number.isInteger(l) || l < 0 || l > seq))
    throw new OpError(`${kind}: sequence_lens [${lens.join(',')}] do not fit batch ${batch} and sequence length ${seq}`);
  const clipAttr = ctx.attrs.float('clip');
  const clip = clipAttr === undefined ? Infinity : clipAttr;
  const acts = buildActivations(
    kind,
    ctx.attrs.strings('activations'),
    DEFAULT_ACTIVATIONS[kind],
    dirs,
    ctx.attrs.floats('activation_alpha', []),
    ctx.attrs.floats('activation_beta', []),
  );
  const linearBeforeReset = kind === 'GRU' && ctx.attrs.int('linear_before_reset', 0) !== 0;
  const inputForget = kind === 'LSTM' && ctx.attrs.int('input_forget', 0) !== 0;

  const xd = floatData(x, 'X');
  const wd = floatData(w, 'W');
  const rd = floatData(r, 'R');
  const bd = bT ? floatData(bT, 'B') : undefined;
  const pd = pT ? floatData(pT, 'P') : undefined;
  const h0 = h0T ? floatData(h0T, 'initial_h') : undefined;
  const c0 = c0T ? floatData(c0T, 'initial_c') : undefined;
  // Internal layout: [seq, dirs, batch, hidden] for Y, [dirs, batch, hidden] for states.
  const y = new Float32Array(seq * dirs * batch * hidden);
  const hState = new Float32Array(dirs * batch * hidden);
  const cState = new Float32Array(dirs * batch * hidden);
  const stateIndex = (d: number, b: number) => (layout === 0 ? (d * batch + b) * hidden : (b * dirs + d) * hidden);
  for (let d = 0; d < dirs; d++) {
    for (let b = 0; b < batch; b++) {
      const dst = (d * batch + b) * hidden;
      if (h0) hState.set(h0.subarray(stateIndex(d, b), stateIndex(d, b) + hidden), dst);
      if (c0) cState.set(c0.subarray(stateIndex(d, b), stateIndex(d, b) + hidden), dst);
    }
  }
  const cell = CELLS[kind];
  const xw = new Float32Array(seq * batch * GH);
  const hr = new Float32Array(GH);
  const gates = new Float32Array(GH);
  for (let d = 0; d < dirs; d++) {
    const reverse = direction === 'reverse' || d === 1;
    const wOff = d * GH * inputSize;
    // X*W^T + Wb for every (time, batch) row at once: dot products over contiguous rows.
    for (let t = 0; t < seq; t++) {
      for (let b = 0; b < batch; b++) {
        const xo = layout === 0 ? (t * batch + b) * inputSize : (b * seq + t) * inputSize;
        const oo = (t * batch + b) * GH;
        for (let j = 0; j < GH; j++) {
          const wo = wOff + j * inputSize;
          let s0 = bd ? bd[d * 2 * GH + j] : 0;
          let s1 = 0;
          let k = 0;
          for (; k + 1 < inputSize; k += 2) {
            s0 += xd[xo + k] * wd[wo + k];
            s1 += xd[xo + k + 1] * wd[wo + k + 1];
          }
          if (k < inputSize) s0 += xd[xo + k] * wd[wo + k];
          xw[oo + j] = s0 + s1;
        }
      }
    }
    const rb = bd ? bd.subarray(d * 2 * GH + GH, (d + 1) * 2 * GH) : new Float32Array(GH);
    const p = pd ? pd.subarray(d * 3 * hidden, (d + 1) * 3 * hidden) : undefined;
    const args: CellArgs = {
      hidden,
      xw,
      xwOff: 0,
      hr,
      h: hState,
      c: cState,
      stateOff: 0,
      rb,
      p,
      acts: acts[d],
      clip,
      gates,
      linearBeforeReset,
      inputForget,
    };
    const rOff = d * GH * hidden;
    const resetH = new Float32Array(hidden);
    for (let s = 0; s < seq; s++) {
      for (let b = 0; b < batch; b++) {
        if (s >= lens[b]) continue;
        const t = reverse ? lens[b] - 1 - s : s;
        const stateOff = (d * batch + b) * hidden;
        args.xwOff = (t * batch + b) * GH;
        args.stateOff = stateOff;
        if (kind === 'GRU' && !linearBeforeReset) {
          gruResetFirst(args, rd, rOff, resetH);
        } else {
          recurrentProduct(rd, rOff, GH, hidden, hState, stateOff, rb, hr);
          cell(args);
        }
        y.set(hState.subarray(stateOff, stateOff + hidden), ((t * dirs + d) * batch + b) * hidden);
      }
    }
  }
  ctx.report({ kernel: `ts_${kind.toLowerCase()}_f32`, isa: 'scalar', flops: 2 * dirs * seq * batch * GH * (inputSize + hidden) });
  return outputs(x, layout, seq, dirs, batch, hidden, y, hState, kind === 'LSTM' ? cState : undefined);
}

/** GRU without linear_before_reset: the candidate uses (r * H) * Rh^T, so r must be known first. */
function gruResetFirst(a: CellArgs, r: Float32Array, rOff: number, resetH: Float32Array): void {
  const { hidden: n, gates, xw, xwOff, hr, h, stateOff, rb } = a;
  recurrentProduct(r, rOff, 2 * n, n, h, stateOff, rb, hr);
  for (let j = 0; j < 2 * n; j++) gates[j] = xw[xwOff + j] + hr[j];
  clipRange(gates, 0, 2 * n, a.clip);
  a.acts[0](gates, 0, 2 * n);
  for (let j = 0; j < n; j++) resetH[j] = gates[n + j] * h[stateOff + j];
  recurrentProduct(r, rOff + 2 * n * n, n, n, resetH, 0, rb.subarray(2 * n), hr.subarray(2 * n));
  for (let j = 0; j < n; j++) gates[2 * n + j] = xw[xwOff + 2 * n + j] + hr[2 * n + j];
  clipRange(gates, 2 * n, n, a.clip);
  a.acts[1](gates, 2 * n, n);
  for (let j = 0; j < n; j++) {
    const z = gates[j];
    h[stateOff + j] = (1 - z) * gates[2 * n + j] + z * h[stateOff + j];
  }
}

function outputs(
  x: Tensor,
  layout: number,
  seq: number,
  dirs: number,
  batch: number,
  hidden: number,
  y: Float32Array,
  h: Float32Array,
  c: Float32Array | undefined,
): Value[] {
  const dtype = x.dtype;
  const make = (dims: number[], data: Float32Array): Tensor => {
    const t = new Tensor(dtype, dims);
    const od = t.data as Float32Array | Float64Array;
    if (dtype === 'float16') for (let i = 0; i < data.length; i++) od[i] = roundToFloat16(data[i]);
    else if (dtype === 'bfloat16') for (let i = 0; i < data.length; i++) od[i] = roundToBfloat16(data[i]);
    else od.set(data);
    return t;
  };
  if (layout === 0) {
    const res: Value[] = [make([seq, dirs, batch, hidden], y), make([dirs, batch, hidden], h)];
    if (c) res.push(make([dirs, batch, hidden], c));
    return res;
  }
  // layout 1: Y [batch, seq, dirs, hidden], states [batch, dirs, hidden].
  const yb = new Float32Array(y.length);
  for (let t = 0; t < seq; t++)
    for (let d = 0; d < dirs; d++)
      for (let b = 0; b < batch; b++)
        yb.set(
          y.subarray(((t * dirs + d) * batch + b) * hidden, ((t * dirs + d) * batch + b + 1) * hidden),
          ((b * seq + t) * dirs + d) * hidden,
        );
  const swap = (s: Float32Array) => {
    const out = new Float32Array(s.length);
    for (let d = 0; d < dirs; d++)
      for (let b = 0; b < batch; b++) out.set(s.subarray((d * batch + b) * hidden, (d * batch + b + 1) * hidden), (b * dirs + d) * hidden);
    return out;
  };
  const res: Value[] = [make([batch, seq, dirs, hidden], yb), make([batch, dirs, hidden], swap(h))];
  if (c) res.push(make([batch, dirs, hidden], swap(c)));
  return res;
}

const entry = (kind: CellKind): OpEntry => ({ op: kind, domain: '', since: 7, impl: (ctx, inputs) => recurrent(kind, ctx, inputs) });

export const ops: OpEntry[] = [entry('RNN'), entry('GRU'), entry('LSTM')];
