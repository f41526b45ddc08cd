// Pad (constant, reflect, edge, wrap; negative pads crop) and CenterCropPad.
import { Tensor, stridesOf } from '../../tensor.js';
import { OpError, tensorInput, optionalTensor, type OpContext, type OpEntry, type Value } from '../types.js';
import { normalizeAxis } from '../util.js';
import { elementOf, fillWith, intValues, moveElements, scalarFor } from './move.js';

type PadMode = 'constant' | 'reflect' | 'edge' | 'wrap';

/** Source index along one axis for output index `o` of a pad with `before` leading elements over [lo, hi) of the input. */
function sourceIndex(mode: PadMode, o: number, before: number, lo: number, hi: number): number {
  const n = hi - lo;
  const i = o - before;
  if (i >= 0 && i < n) return lo + i;
  switch (mode) {
    case 'edge':
      return i < 0 ? lo : hi - 1;
    case 'wrap':
      return lo + (((i % n) + n) % n);
    case 'reflect': {
      if (n === 1) return lo;
      const period = 2 * (n - 1);
      let m = ((i % period) + period) % period;
      if (m >= n) m = period - m;
      return lo + m;
    }
    default:
      return -1;
  }
}

/** Pads `x` per axis by [before, after] (negative values crop), filling per `mode`. */
export function padTensor(x: Tensor, before: number[], after: number[], mode: PadMode, value: number | bigint | string): Tensor {
  const rank = x.rank;
  const dims = x.dims.map((d, k) => d + before[k] + after[k]);
  if (dims.some((d) => d < 0)) throw new OpError(`pads crop more than the input shape [${x.dims.join(',')}] holds`);
  const out = new Tensor(x.dtype, dims);
  if (out.size === 0) return out;
  const s = stridesOf(x.dims);
  // Negative pads crop the source window first; the mode then pads relative to the window.
  const lo = x.dims.map((_, k) => Math.max(0, -before[k]));
  const hi = x.dims.map((d, k) => d - Math.max(0, -after[k]));
  const padBefore = before.map((b) => Math.max(0, b));
  if (mode !== 'constant' && x.size === 0) throw new OpError(`${mode} padding needs a non-empty input`);
  if (mode === 'constant' || x.size === 0) {
    fillWith(out, value);
    const os = stridesOf(dims);
    const axes = x.dims.map((_, k) => ({ n: Math.max(0, hi[k] - lo[k]), src: s[k], dst: os[k] }));
    const srcBase = lo.reduce((acc, l, k) => acc + l * s[k], 0);
    const dstBase = padBefore.reduce((acc, p, k) => acc + p * os[k], 0);
    moveElements(x.data, srcBase, out.data, dstBase, axes);
    return out;
  }
  const os = stridesOf(dims);
  const axes = [];
  for (let k = 0; k < rank; k++) {
    if (hi[k] <= lo[k]) throw new OpError(`${mode} padding needs a non-empty window along axis ${k}`);
    const table = new Int32Array(dims[k]);
    for (let o = 0; o < dims[k]; o++) table[o] = sourceIndex(mode, o, padBefore[k], lo[k], hi[k]) * s[k];
    axes.push({ n: dims[k], src: 0, table, dst: os[k] });
  }
  moveElements(x.data, 0, out.data, 0, axes);
  return out;
}

function pad(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0);
  const mode = ctx.attrs.string('mode', 'constant');
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge' && !(mode === 'wrap' && ctx.opset >= 19)) {
    throw new OpError(`pad mode '${mode}' is not supported at opset ${ctx.opset}`);
  }
  let pads: number[];
  let value: number | bigint | string;
  let axes = x.dims.map((_, i) => i);
  if (ctx.opset < 11) {
    pads = ctx.attrs.ints(ctx.opset < 2 ? 'paddings' : 'pads') ?? [];
    value = scalarFor(x.dtype, ctx.attrs.float('value', 0));
  } else {
    pads = intValues(tensorInput(inputs, 1, 'pads'), 'pads');
    const cv = optionalTensor(inputs, 2);
    if (cv && cv.size > 0 && cv.dtype !== x.dtype) throw new OpError(`constant_value has type ${cv.dtype}, the input ${x.dtype}`);
    value = cv && cv.size > 0 ? elementOf(cv) : x.dtype === 'string' ? '' : scalarFor(x.dtype, 0);
    const a = ctx.opset >= 18 ? optionalTensor(inputs, 3) : undefined;
    if (a) axes = intValues(a, 'axes').map((v) => normalizeAxis(v, x.rank));
  }
  if (pads.length !== 2 * axes.length) throw new OpError(`pads has ${pads.length} entries, expected ${2 * axes.length}`);
  const before = new Array<number>(x.rank).fill(0);
  const after = new Array<number>(x.rank).fill(0);
  axes.forEach((a, i) => {
    before[a] = pads[i];
    after[a] = pads[i + axes.length];
  });
  ctx.report({ kernel: `ts_pad_${mode}_${x.dtype}`, isa: 'scalar' });
  return [padTensor(x, before, after, mode as PadMode, value)];
}

function centerCropPad(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0);
  const shape = intValues(tensorInput(inputs, 1, 'shape'), 'shape');
  const axes = (ctx.attrs.ints('axes') ?? x.dims.map((_, i) => i)).map((a) => normalizeAxis(a, x.rank));
  if (shape.length !== axes.length) throw new OpError(`shape has ${shape.length} entries for ${axes.length} axes`);
  const before = new Array<number>(x.rank).fill(0);
  const after = new Array<number>(x.rank).fill(0);
  axes.forEach((a, i) => {
    const want = shape[i];
    if (!Number.isInteger(want) || want < 0) throw new OpError(`shape entry ${want} is invalid`);
    const diff = want - x.dims[a];
    // Padding puts the extra element after the data; cropping takes the extra one from the start.
    before[a] = diff >= 0 ? Math.floor(diff / 2) : -Math.floor(-diff / 2);
    after[a] = diff - before[a];
  });
  return [padTensor(x, before, after, 'constant', x.dtype === 'string' ? '' : scalarFor(x.dtype, 0))];
}

export const ops: OpEntry[] = [
  { op: 'Pad', domain: '', since: 1, impl: pad },
  { op: 'CenterCropPad', domain: '', since: 18, impl: centerCropPad },
];
