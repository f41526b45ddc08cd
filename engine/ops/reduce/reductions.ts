// ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceLogSum,
// ReduceLogSumExp, ReduceSumSquare. Float and 32-bit integer inputs accumulate in doubles over
// a [outer, reduced, inner] layout; int64/uint64 accumulate exactly in BigInt.
import { Tensor, type DType } from '../../tensor.js';
import { OpError, optionalTensor, tensorInput, type OpContext, type OpEntry, type OpImpl } from '../types.js';
import {
  arrangeForReduction,
  isBigData,
  normalizeAxes,
  numericData,
  reducedDims,
  typeRange,
  typeRangeBig,
  type BigArray,
  type Layout,
  type NumArray,
} from './common.js';
import { roundNarrow } from '../util.js';

type Kind = 'sum' | 'mean' | 'sumsq' | 'l1' | 'l2' | 'logsum' | 'logsumexp' | 'prod' | 'max' | 'min';

/** What is summed per element: the value, its magnitude or its square. */
const enum Pre {
  Id,
  Abs,
  Square,
}

function sumInto(src: NumArray, l: Layout, pre: Pre, acc: Float64Array): void {
  const { outer, reduced, inner } = l;
  if (inner === 1) {
    for (let o = 0, base = 0; o < outer; o++, base += reduced) {
      let s = 0;
      const end = base + reduced;
      if (pre === Pre.Id) for (let i = base; i < end; i++) s += src[i];
      else if (pre === Pre.Abs) for (let i = base; i < end; i++) s += Math.abs(src[i]);
      else
        for (let i = base; i < end; i++) {
          const v = src[i];
          s += v * v;
        }
      acc[o] = s;
    }
    return;
  }
  acc.fill(0);
  for (let o = 0; o < outer; o++) {
    const a0 = o * inner;
    for (let r = 0, base = o * reduced * inner; r < reduced; r++, base += inner) {
      if (pre === Pre.Id) for (let i = 0; i < inner; i++) acc[a0 + i] += src[base + i];
      else if (pre === Pre.Abs) for (let i = 0; i < inner; i++) acc[a0 + i] += Math.abs(src[base + i]);
      else
        for (let i = 0; i < inner; i++) {
          const v = src[base + i];
          acc[a0 + i] += v * v;
        }
    }
  }
}

function prodInto(src: NumArray, l: Layout, acc: Float64Array): void {
  const { outer, reduced, inner } = l;
  acc.fill(1);
  for (let o = 0; o < outer; o++) {
    const a0 = o * inner;
    for (let r = 0, base = o * reduced * inner; r < reduced; r++, base += inner) {
      for (let i = 0; i < inner; i++) acc[a0 + i] *= src[base + i];
    }
  }
}

/** Max (or min) over the reduced block; `empty` is what an empty block yields. */
function extremeInto(src: NumArray, l: Layout, isMax: boolean, empty: number, acc: Float64Array): void {
  const { outer, reduced, inner } = l;
  if (reduced === 0) {
    acc.fill(empty);
    return;
  }
  if (inner === 1) {
    for (let o = 0, base = 0; o < outer; o++, base += reduced) {
      let m = src[base];
      const end = base + reduced;
      if (isMax) for (let i = base + 1; i < end; i++) m = src[i] > m ? src[i] : m;
      else for (let i = base + 1; i < end; i++) m = src[i] < m ? src[i] : m;
      acc[o] = m;
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    const a0 = o * inner;
    const b0 = o * reduced * inner;
    for (let i = 0; i < inner; i++) acc[a0 + i] = src[b0 + i];
    for (let r = 1, base = b0 + inner; r < reduced; r++, base += inner) {
      if (isMax)
        for (let i = 0; i < inner; i++) {
          const v = src[base + i];
          if (v > acc[a0 + i]) acc[a0 + i] = v;
        }
      else
        for (let i = 0; i < inner; i++) {
          const v = src[base + i];
          if (v < acc[a0 + i]) acc[a0 + i] = v;
        }
    }
  }
}

/** log(sum(exp(x))) shifted by the block maximum so large inputs do not overflow. */
function logSumExpInto(src: NumArray, l: Layout, acc: Float64Array): void {
  const { outer, reduced, inner } = l;
  const max = new Float64Array(acc.length);
  extremeInto(src, l, true, -Infinity, max);
  acc.fill(0);
  for (let o = 0; o < outer; o++) {
    const a0 = o * inner;
    for (let r = 0, base = o * reduced * inner; r < reduced; r++, base += inner) {
      for (let i = 0; i < inner; i++) {
        const m = max[a0 + i];
        acc[a0 + i] += Math.exp(src[base + i] - (Number.isFinite(m) ? m : 0));
      }
    }
  }
  for (let i = 0; i < acc.length; i++) {
    const m = max[i];
    acc[i] = Number.isFinite(m) ? m + Math.log(acc[i]) : Math.log(acc[i]);
  }
}

function reduceNumbers(src: NumArray, l: Layout, kind: Kind, dtype: DType): Float64Array {
  const acc = new Float64Array(l.outer * l.inner);
  switch (kind) {
    case 'sum':
    case 'mean':
    case 'logsum':
      sumInto(src, l, Pre.Id, acc);
      break;
    case 'l1':
      sumInto(src, l, Pre.Abs, acc);
      break;
    case 'sumsq':
    case 'l2':
      sumInto(src, l, Pre.Square, acc);
      break;
    case 'prod':
      prodInto(src, l, acc);
      break;
    case 'max':
      extremeInto(src, l, true, typeRange(dtype)[0], acc);
      break;
    case 'min':
      extremeInto(src, l, false, typeRange(dtype)[1], acc);
      break;
    case 'logsumexp':
      logSumExpInto(src, l, acc);
      break;
  }
  if (kind === 'mean') for (let i = 0; i < acc.length; i++) acc[i] /= l.reduced;
  else if (kind === 'l2') for (let i = 0; i < acc.length; i++) acc[i] = Math.sqrt(acc[i]);
  else if (kind === 'logsum') for (let i = 0; i < acc.length; i++) acc[i] = Math.log(acc[i]);
  return acc;
}

/** int64/uint64: exact for the integer-valued reductions, through doubles for the others. */
function reduceBig(src: BigArray, l: Layout, kind: Kind, dtype: DType, out: BigArray): void {
  const { outer, reduced, inner } = l;
  if (kind === 'l2' || kind === 'logsum' || kind === 'logsumexp') {
    const asNumbers = Float64Array.from(src, (v) => Number(v));
    const acc = reduceNumbers(asNumbers, l, kind, 'float64');
    for (let i = 0; i < acc.length; i++) out[i] = BigInt(Number.isFinite(acc[i]) ? Math.trunc(acc[i]) : 0);
    return;
  }
  const [lo, hi] = typeRangeBig(dtype);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = kind === 'prod' ? 1n : kind === 'max' ? lo : kind === 'min' ? hi : 0n;
      for (let r = 0; r < reduced; r++) {
        const v = src[(o * reduced + r) * inner + i];
        if (kind === 'max') acc = v > acc ? v : acc;
        else if (kind === 'min') acc = v < acc ? v : acc;
        else if (kind === 'prod') acc *= v;
        else if (kind === 'sumsq') acc += v * v;
        else if (kind === 'l1') acc += v < 0n ? -v : v;
        else acc += v;
      }
      if (kind === 'mean') acc = reduced ? acc / BigInt(reduced) : 0n;
      out[o * inner + i] = acc;
    }
  }
}

/** The axes to reduce, or 'noop' when the op should pass its input through. */
function resolveAxes(ctx: OpContext, inputs: Parameters<OpImpl>[1], rank: number, axesInputSince: number, op: string): number[] | 'noop' {
  let axes: number[] | undefined;
  let noopWhenEmpty = false;
  if (ctx.opset >= axesInputSince) {
    axes = optionalTensor(inputs, 1)?.toNumbers();
    noopWhenEmpty = ctx.attrs.int('noop_with_empty_axes', 0) !== 0;
  } else {
    axes = ctx.attrs.ints('axes');
  }
  if (!axes || axes.length === 0) {
    if (noopWhenEmpty) return 'noop';
    return Array.from({ length: rank }, (_, i) => i);
  }
  return normalizeAxes(axes, rank, op);
}

function reduceOp(op: string, kind: Kind, axesInputSince: number): OpImpl {
  const allowsBool = kind === 'max' || kind === 'min';
  return (ctx, inputs) => {
    const x = tensorInput(inputs, 0, `${op} input`);
    const src = numericData(op, x);
    if (x.dtype === 'bool' && !allowsBool) throw new OpError(`${op} does not support bool tensors`);
    const keepdims = ctx.attrs.int('keepdims', 1) !== 0;
    const axes = resolveAxes(ctx, inputs, x.rank, axesInputSince, op);
    if (axes === 'noop') return [new Tensor(x.dtype, x.dims, src.slice())];
    const { data, layout } = arrangeForReduction(x, axes);
    const out = new Tensor(x.dtype, reducedDims(x.dims, axes, keepdims));
    const arranged = data.data as NumArray | BigArray;
    if (isBigData(arranged)) reduceBig(arranged, layout, kind, x.dtype, out.data as BigArray);
    else (out.data as NumArray).set(reduceNumbers(arranged, layout, kind, x.dtype));
    ctx.report({ kernel: `ts_reduce_${kind}_${x.dtype}`, isa: 'scalar', flops: x.size });
    return [roundNarrow(out)];
  };
}

const table: [string, Kind, number][] = [
  ['ReduceSum', 'sum', 13],
  ['ReduceMean', 'mean', 18],
  ['ReduceMax', 'max', 18],
  ['ReduceMin', 'min', 18],
  ['ReduceProd', 'prod', 18],
  ['ReduceL1', 'l1', 18],
  ['ReduceL2', 'l2', 18],
  ['ReduceLogSum', 'logsum', 18],
  ['ReduceLogSumExp', 'logsumexp', 18],
  ['ReduceSumSquare', 'sumsq', 18],
];

export const ops: OpEntry[] = table.map(([op, kind, axesInputSince]) => ({ op, domain: '', since: 1, impl: reduceOp(op, kind, axesInputSince) }));

/**
 * Sum or mean of a float tensor over `axes`, in doubles, laid out as the keepdims result
 * (for ops that normalize by statistics, e.g. MeanVarianceNormalization).
 */
export function reduceToDoubles(x: Tensor, axes: readonly number[], kind: 'mean' | 'sum' | 'sumsq'): Float64Array {
  const { data, layout } = arrangeForReduction(x, axes);
  const src = data.data;
  if (Array.isArray(src) || isBigData(src)) throw new OpError(`cannot take a ${kind} of ${x.dtype} values`);
  const acc = reduceNumbers(src, layout, kind === 'sumsq' ? 'sumsq' : 'sum', x.dtype);
  if (kind === 'mean') for (let i = 0; i < acc.length; i++) acc[i] /= layout.reduced;
  return acc;
}
