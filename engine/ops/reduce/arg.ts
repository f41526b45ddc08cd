// ArgMax, ArgMin and TopK: index-producing selections along one axis.
import { Tensor } from '../../tensor.js';
import { OpError, tensorInput, type OpEntry, type OpImpl } from '../types.js';
import { normalizeAxis } from '../util.js';
import { axisLayout, numericData, scalarInt } from './common.js';

/** Numbers or BigInts; both compare correctly with < and >. */
type Comparable = { readonly [i: number]: number | bigint };

function argOp(op: string, isMax: boolean): OpImpl {
  return (ctx, inputs) => {
    const x = tensorInput(inputs, 0, `${op} input`);
    const src = numericData(op, x) as Comparable;
    const axis = normalizeAxis(ctx.attrs.int('axis', 0), x.rank, `${op} axis`);
    const keepdims = ctx.attrs.int('keepdims', 1) !== 0;
    const last = ctx.opset >= 12 && ctx.attrs.int('select_last_index', 0) !== 0;
    const { outer, reduced, inner } = axisLayout(x.dims, axis);
    if (reduced === 0) throw new OpError(`${op} over an empty axis ${axis} (shape [${x.dims.join(',')}]) has no answer`);
    const dims = x.dims.slice();
    if (keepdims) dims[axis] = 1;
    else dims.splice(axis, 1);
    const out = new Tensor('int64', dims);
    const idx = out.data as BigInt64Array;
    // Walk the reduced axis row by row so each pass over `inner` is contiguous.
    const best = new Int32Array(inner);
    if (inner === 1) {
      // Last-axis case (logits over a vocabulary): one contiguous scan per row.
      for (let o = 0, b0 = 0; o < outer; o++, b0 += reduced) {
        let bv = src[b0];
        let bi = 0;
        for (let r = 1; r < reduced; r++) {
          const v = src[b0 + r];
          if ((isMax ? v > bv : v < bv) || (last && v === bv)) {
            bv = v;
            bi = r;
          }
        }
        idx[o] = BigInt(bi);
      }
      ctx.report({ kernel: `ts_arg${isMax ? 'max' : 'min'}_${x.dtype}`, isa: 'scalar', flops: x.size });
      return [out];
    }
    for (let o = 0; o < outer; o++) {
      const b0 = o * reduced * inner;
      best.fill(0);
      for (let r = 1, base = b0 + inner; r < reduced; r++, base += inner) {
        for (let i = 0; i < inner; i++) {
          const v = src[base + i];
          const b = src[b0 + best[i] * inner + i];
          const better = isMax ? v > b : v < b;
          if (better || (last && v === b)) best[i] = r;
        }
      }
      for (let i = 0; i < inner; i++) idx[o * inner + i] = BigInt(best[i]);
    }
    ctx.report({ kernel: `ts_arg${isMax ? 'max' : 'min'}_${x.dtype}`, isa: 'scalar', flops: x.size });
    return [out];
  };
}

/**
 * Orders candidate positions: larger (or smaller) value first, ties by lower index. NaN ranks
 * above every number when selecting the largest, as a descending sort of numpy puts it first.
 */
function ranker(vals: Comparable, largest: boolean): (a: number, b: number) => number {
  return (a, b) => {
    const va = vals[a];
    const vb = vals[b];
    if (va !== vb) {
      const naA = va !== va;
      const naB = vb !== vb;
      if (naA || naB) {
        if (naA && naB) return a - b;
        return (naA ? -1 : 1) * (largest ? 1 : -1);
      }
      if (va > vb) return largest ? -1 : 1;
      if (va < vb) return largest ? 1 : -1;
    }
    return a - b;
  };
}

const topK: OpImpl = (ctx, inputs) => {
  const x = tensorInput(inputs, 0, 'TopK input');
  const src = numericData('TopK', x) as Comparable;
  const k = ctx.opset >= 10 ? scalarInt(tensorInput(inputs, 1, 'TopK K'), 'TopK K') : ctx.attrs.int('k');
  if (k === undefined) throw new OpError('TopK needs attribute k');
  const axis = normalizeAxis(ctx.attrs.int('axis', -1), x.rank, 'TopK axis');
  const largest = ctx.opset < 11 || ctx.attrs.int('largest', 1) !== 0;
  const { outer, reduced, inner } = axisLayout(x.dims, axis);
  if (k < 0 || k > reduced) throw new OpError(`TopK k=${k} is out of range for axis ${axis} of length ${reduced}`);
  const dims = x.dims.slice();
  dims[axis] = k;
  const values = new Tensor(x.dtype, dims);
  const indices = new Tensor('int64', dims);
  const vOut = values.data as unknown as { [i: number]: number | bigint };
  const iOut = indices.data as BigInt64Array;
  // One slice at a time, gathered contiguous so the comparator reads a dense array.
  const slice: (number | bigint)[] = new Array(reduced);
  const order = new Int32Array(reduced);
  const rank = ranker(slice, largest);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * reduced * inner + i;
      for (let r = 0; r < reduced; r++) {
        slice[r] = src[base + r * inner];
        order[r] = r;
      }
      const chosen = k * 8 < reduced ? selectFew(order, k, rank) : order.sort(rank);
      const outBase = o * k * inner + i;
      for (let j = 0; j < k; j++) {
        vOut[outBase + j * inner] = slice[chosen[j]];
        iOut[outBase + j * inner] = BigInt(chosen[j]);
      }
    }
  }
  ctx.report({ kernel: `ts_topk_${x.dtype}`, isa: 'scalar' });
  return [values, indices];
};

/** The k best positions in order, keeping a sorted buffer of k (cheap when k is small). */
function selectFew(order: Int32Array, k: number, rank: (a: number, b: number) => number): Int32Array {
  const best = new Int32Array(k);
  let n = 0;
  for (let p = 0; p < order.length; p++) {
    const c = order[p];
    if (n === k && rank(c, best[k - 1]) >= 0) continue;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (rank(best[mid], c) <= 0) lo = mid + 1;
      else hi = mid;
    }
    const end = n < k ? n : k - 1;
    best.copyWithin(lo + 1, lo, end);
    best[lo] = c;
    if (n < k) n++;
  }
  return best;
}

export const ops: OpEntry[] = [
  { op: 'ArgMax', domain: '', since: 1, impl: argOp('ArgMax', true) },
  { op: 'ArgMin', domain: '', since: 1, impl: argOp('ArgMin', false) },
  { op: 'TopK', domain: '', since: 1, impl: topK },
];
