// CumSum and CumProd along one axis, with the exclusive and reverse variants.
import { Tensor } from '../../tensor.js';
import { OpError, tensorInput, type OpEntry, type OpImpl } from '../types.js';
import { normalizeAxis, roundNarrow } from '../util.js';
import { axisLayout, isBigData, numericData, scalarInt, type BigArray, type NumArray } from './common.js';

function cumulativeOp(op: string, isProduct: boolean): OpImpl {
  return (ctx, inputs) => {
    const x = tensorInput(inputs, 0, `${op} input`);
    const src = numericData(op, x);
    if (x.dtype === 'bool') throw new OpError(`${op} does not support bool tensors`);
    const axis = normalizeAxis(scalarInt(tensorInput(inputs, 1, `${op} axis`), `${op} axis`), x.rank, `${op} axis`);
    const exclusive = ctx.attrs.int('exclusive', 0) !== 0;
    const reverse = ctx.attrs.int('reverse', 0) !== 0;
    const { outer, reduced, inner } = axisLayout(x.dims, axis);
    const out = new Tensor(x.dtype, x.dims);
    // Steps along the axis, in walking order; `inner` elements apart.
    const first = reverse ? reduced - 1 : 0;
    const step = (reverse ? -1 : 1) * inner;
    if (isBigData(src)) {
      const dst = out.data as BigArray;
      const start = isProduct ? 1n : 0n;
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          let acc = start;
          for (let r = 0, p = (o * reduced + first) * inner + i; r < reduced; r++, p += step) {
            if (exclusive) dst[p] = acc;
            acc = isProduct ? acc * src[p] : acc + src[p];
            if (!exclusive) dst[p] = acc;
          }
        }
      }
    } else {
      const dst = out.data as NumArray;
      const s = src as NumArray;
      const start = isProduct ? 1 : 0;
      // The running value is kept per inner position so each pass over a row is contiguous.
      const acc = new Float64Array(inner);
      for (let o = 0; o < outer; o++) {
        acc.fill(start);
        for (let r = 0, base = (o * reduced + first) * inner; r < reduced; r++, base += step) {
          for (let i = 0; i < inner; i++) {
            const p = base + i;
            const v = s[p];
            if (exclusive) dst[p] = acc[i];
            acc[i] = isProduct ? acc[i] * v : acc[i] + v;
            if (!exclusive) dst[p] = acc[i];
          }
        }
      }
    }
    ctx.report({ kernel: `ts_${op.toLowerCase()}_${x.dtype}`, isa: 'scalar', flops: x.size });
    return [roundNarrow(out)];
  };
}

export const ops: OpEntry[] = [
  { op: 'CumSum', domain: '', since: 11, impl: cumulativeOp('CumSum', false) },
  { op: 'CumProd', domain: '', since: 26, impl: cumulativeOp('CumProd', true) },
];
