// Softmax, LogSoftmax and Hardmax. Before opset 13 they coerce the input to 2-D at `axis`
// (default 1) and normalize over the whole flattened tail; from 13 on they normalize along
// one axis (default -1).
import { Tensor } from '../../tensor.js';
import { normalizeAxis, product, roundNarrow } from '../util.js';
import { tensorInput, type OpContext, type OpEntry, type Value } from '../types.js';
import { reportTs, requireTypes, type FloatArray } from '../elementwise/common.js';
import { nativeSoftmaxRows } from '../elementwise/native-dispatch.js';

/** The input viewed as [outer, len, inner], normalizing over `len`. */
interface Layout {
  outer: number;
  len: number;
  inner: number;
}

function layoutOf(ctx: OpContext, x: Tensor): Layout {
  const rank = x.dims.length;
  if (rank === 0) return { outer: 1, len: 1, inner: 1 };
  const legacy = ctx.opset < 13;
  const axis = normalizeAxis(ctx.attrs.int('axis', legacy ? 1 : -1), rank);
  if (legacy) return { outer: product(x.dims, 0, axis), len: product(x.dims, axis), inner: 1 };
  return { outer: product(x.dims, 0, axis), len: x.dims[axis], inner: product(x.dims, axis + 1) };
}

type Normalizer = (x: FloatArray, y: FloatArray, l: Layout) => void;

/** exp(x - max) / sum; with `log`, x - max - log(sum). Rows along the axis are contiguous when inner = 1. */
function softmaxInto(log: boolean): Normalizer {
  return (x, y, { outer, len, inner }) => {
    if (inner === 1) {
      for (let o = 0; o < outer; o++) {
        const base = o * len;
        let max = -Infinity;
        for (let a = 0; a < len; a++) max = Math.max(max, x[base + a]);
        let sum = 0;
        if (log) {
          for (let a = 0; a < len; a++) sum += Math.exp(x[base + a] - max);
          const shift = max + Math.log(sum);
          for (let a = 0; a < len; a++) y[base + a] = x[base + a] - shift;
        } else {
          for (let a = 0; a < len; a++) {
            const e = Math.exp(x[base + a] - max);
            y[base + a] = e;
            sum += e;
          }
          const scale = 1 / sum;
          for (let a = 0; a < len; a++) y[base + a] *= scale;
        }
      }
      return;
    }
    // Strided axis: sweep whole inner rows at a time so memory is read in order.
    const max = new Float64Array(inner);
    const sum = new Float64Array(inner);
    for (let o = 0; o < outer; o++) {
      const base = o * len * inner;
      max.fill(-Infinity);
      sum.fill(0);
      for (let a = 0; a < len; a++) {
        const row = base + a * inner;
        for (let j = 0; j < inner; j++) max[j] = Math.max(max[j], x[row + j]);
      }
      for (let a = 0; a < len; a++) {
        const row = base + a * inner;
        for (let j = 0; j < inner; j++) sum[j] += Math.exp(x[row + j] - max[j]);
      }
      for (let a = 0; a < len; a++) {
        const row = base + a * inner;
        if (log) for (let j = 0; j < inner; j++) y[row + j] = x[row + j] - max[j] - Math.log(sum[j]);
        else for (let j = 0; j < inner; j++) y[row + j] = Math.exp(x[row + j] - max[j]) / sum[j];
      }
    }
  };
}

/** 1 at the first maximum along the axis, 0 elsewhere. */
const hardmaxInto: Normalizer = (x, y, { outer, len, inner }) => {
  for (let o = 0; o < outer; o++) {
    const base = o * len * inner;
    for (let j = 0; j < inner; j++) {
      let best = 0;
      let bestValue = x[base + j];
      for (let a = 1; a < len; a++) {
        const v = x[base + a * inner + j];
        if (v > bestValue) {
          bestValue = v;
          best = a;
        }
      }
      if (len > 0) y[base + best * inner + j] = 1;
    }
  }
};

/** A native path for rows of `len` contiguous values, or undefined to stay in TypeScript. */
type FastRows = (ctx: OpContext, x: Tensor, len: number) => Tensor | undefined;

function normalizer(op: string, run: Normalizer, flops: number, fast?: FastRows): OpEntry {
  const family = op.toLowerCase();
  return {
    op,
    domain: '',
    since: 1,
    impl: (ctx: OpContext, inputs: (Value | undefined)[]): Value[] => {
      const x = tensorInput(inputs, 0, 'input');
      requireTypes(op, x, ['float']);
      const layout = x.size > 0 ? layoutOf(ctx, x) : undefined;
      // Eager float32 with the normalized axis contiguous (the last axis, or trailing dims of 1, or
      // the flattened tail before opset 13): the native softmax_f32 row kernel.
      const native = fast && layout?.inner === 1 ? fast(ctx, x, layout.len) : undefined;
      if (native) return [native];
      const out = new Tensor(x.dtype, x.dims);
      if (layout) run(x.data as FloatArray, out.data as FloatArray, layout);
      reportTs(ctx, family, x.dtype, x.size, flops);
      return [roundNarrow(out)];
    },
  };
}

export const ops: OpEntry[] = [
  normalizer('Softmax', softmaxInto(false), 5, (ctx, x, len) => nativeSoftmaxRows(ctx, x, len, false)),
  normalizer('LogSoftmax', softmaxInto(true), 5, (ctx, x, len) => nativeSoftmaxRows(ctx, x, len, true)),
  normalizer('Hardmax', hardmaxInto, 1),
];
