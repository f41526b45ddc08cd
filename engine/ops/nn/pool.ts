// MaxPool, AveragePool, LpPool and their Global forms over [N, C, D1, ... Dk] (k <= 3).
// One-, two- and three-dimensional pooling share one kernel: fewer spatial axes are lifted to
// three with unit extent, so the inner loop is the same plain walk over precomputed tap ranges.
import type { PoolTaps } from '../../native.js';
import { eagerNative } from '../elementwise/native-dispatch.js';
import { Tensor, float32ForOverwrite } from '../../tensor.js';
import { OpError, tensorInput, type OpContext, type OpEntry, type OpImpl } from '../types.js';
import { product, roundNarrow } from '../util.js';
import { numericData, type NumArray } from '../reduce/common.js';

export interface PoolGeometry {
  inSpatial: number[];
  outSpatial: number[];
  kernel: number[];
  strides: number[];
  dilations: number[];
  padsBegin: number[];
  padsEnd: number[];
}

function positiveInts(values: number[], n: number, what: string, op: string): number[] {
  if (values.length !== n) throw new OpError(`${op}: ${what} [${values.join(',')}] should have ${n} values, one per spatial axis`);
  for (const v of values) if (!Number.isInteger(v) || v < 1) throw new OpError(`${op}: ${what} [${values.join(',')}] must be positive integers`);
  return values;
}

/** Output extent and padding per spatial axis, from kernel_shape/strides/pads/dilations/auto_pad/ceil_mode. */
export function poolGeometry(ctx: OpContext, op: string, xDims: readonly number[], kernelShape: number[] | undefined): PoolGeometry {
  if (xDims.length < 3) throw new OpError(`${op} needs an input of shape [N, C, D1, ...], got [${xDims.join(',')}]`);
  const inSpatial = xDims.slice(2);
  const n = inSpatial.length;
  if (!kernelShape) throw new OpError(`${op} needs attribute kernel_shape`);
  const kernel = positiveInts(kernelShape, n, 'kernel_shape', op);
  const strides = positiveInts(ctx.attrs.ints('strides', new Array(n).fill(1)), n, 'strides', op);
  const dilations = positiveInts(ctx.attrs.ints('dilations', new Array(n).fill(1)), n, 'dilations', op);
  const ceil = ctx.attrs.int('ceil_mode', 0) !== 0;
  const autoPad = ctx.attrs.string('auto_pad', 'NOTSET');
  const pads = ctx.attrs.ints('pads', new Array(2 * n).fill(0));
  if (pads.length !== 2 * n || pads.some((p) => !Number.isInteger(p) || p < 0)) {
    throw new OpError(`${op}: pads [${pads.join(',')}] should be ${2 * n} non-negative integers`);
  }
  const padsBegin = pads.slice(0, n);
  const padsEnd = pads.slice(n);
  const outSpatial: number[] = [];
  for (let i = 0; i < n; i++) {
    const span = (kernel[i] - 1) * dilations[i] + 1;
    const len = inSpatial[i];
    let out: number;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      out = Math.ceil(len / strides[i]);
      const total = Math.max(0, (out - 1) * strides[i] + span - len);
      const small = Math.floor(total / 2);
      padsBegin[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      padsEnd[i] = total - padsBegin[i];
    } else if (autoPad === 'VALID' || autoPad === 'NOTSET') {
      if (autoPad === 'VALID') padsBegin[i] = padsEnd[i] = 0;
      const room = len + padsBegin[i] + padsEnd[i] - span;
      out = (ceil ? Math.ceil(room / strides[i]) : Math.floor(room / strides[i])) + 1;
      // A window may not start beyond the input and its leading padding (ceil_mode overhang).
      if (ceil && (out - 1) * strides[i] >= len + padsBegin[i]) out--;
    } else {
      throw new OpError(`${op}: auto_pad '${autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
    }
    if (out < 1) throw new OpError(`${op}: kernel ${kernel[i]} (dilation ${dilations[i]}) does not fit spatial axis ${i} of length ${len} with pads ${padsBegin[i]}+${padsEnd[i]}`);
    outSpatial.push(out);
  }
  if (n > 3) throw new OpError(`${op} over ${n} spatial axes is not supported (at most 3)`);
  return { inSpatial, outSpatial, kernel, strides, dilations, padsBegin, padsEnd };
}

/** Per-axis tap tables: for output position o, taps j in [lo[o], hi[o]) land inside the input at start[o] + j*dilation. */
interface AxisTaps {
  start: Float64Array;
  lo: Int32Array;
  hi: Int32Array;
  /** Taps inside the input plus its explicit padding (the count_include_pad divisor). */
  padded: Int32Array;
  dilation: number;
}

function axisTaps(len: number, out: number, k: number, s: number, d: number, pb: number, pe: number): AxisTaps {
  const t: AxisTaps = { start: new Float64Array(out), lo: new Int32Array(out), hi: new Int32Array(out), padded: new Int32Array(out), dilation: d };
  // Tap ranges in closed form: a hostile kernel_shape of 2^31 must not mean 2^31 loop steps here.
  const firstTapAtOrAfter = (pos: number, start: number): number => Math.min(k, Math.max(0, Math.ceil((pos - start) / d)));
  const tapsUpTo = (pos: number, start: number): number => Math.min(k, Math.max(0, Math.floor((pos - start) / d) + 1));
  for (let o = 0; o < out; o++) {
    const start = o * s - pb;
    const lo = firstTapAtOrAfter(0, start);
    t.start[o] = start;
    t.lo[o] = lo;
    t.hi[o] = Math.max(lo, tapsUpTo(len - 1, start));
    t.padded[o] = Math.max(0, tapsUpTo(len + pe - 1, start) - firstTapAtOrAfter(-pb, start));
  }
  return t;
}

type PoolKind = 'max' | 'avg' | 'lp';

interface PoolRun {
  kind: PoolKind;
  countIncludePad: boolean;
  p: number;
  /** When set, receives the flat input index of each maximum; column-major within a plane when `columnMajor`. */
  indices?: BigInt64Array;
  columnMajor: boolean;
}

function runPool(x: NumArray, planes: number, g: PoolGeometry, y: NumArray, run: PoolRun): void {
  // Lift to three spatial axes (D, H, W) with unit extent in front.
  const lift = <T>(a: T[], fill: T): T[] => [...new Array<T>(3 - a.length).fill(fill), ...a];
  const inS = lift(g.inSpatial, 1);
  const outS = lift(g.outSpatial, 1);
  const taps = [0, 1, 2].map((i) =>
    axisTaps(inS[i], outS[i], lift(g.kernel, 1)[i], lift(g.strides, 1)[i], lift(g.dilations, 1)[i], lift(g.padsBegin, 0)[i], lift(g.padsEnd, 0)[i]),
  );
  const [D, H, W] = inS;
  const [OD, OH, OW] = outS;
  const [td, th, tw] = taps;
  const dd = td.dilation;
  const dh = th.dilation;
  const dw = tw.dilation;
  const inPlane = D * H * W;
  const outPlane = OD * OH * OW;
  const { kind, p, indices } = run;
  for (let c = 0; c < planes; c++) {
    const xb = c * inPlane;
    let yi = c * outPlane;
    for (let od = 0; od < OD; od++) {
      const d0 = td.start[od];
      const dLo = td.lo[od];
      const dHi = td.hi[od];
      for (let oh = 0; oh < OH; oh++) {
        const h0 = th.start[oh];
        const hLo = th.lo[oh];
        const hHi = th.hi[oh];
        for (let ow = 0; ow < OW; ow++, yi++) {
          const w0 = tw.start[ow];
          const wLo = tw.lo[ow];
          const wHi = tw.hi[ow];
          if (kind === 'max') {
            let m = -Infinity;
            let at = -1;
            for (let jd = dLo; jd < dHi; jd++) {
              const rowD = xb + (d0 + jd * dd) * H * W;
              for (let jh = hLo; jh < hHi; jh++) {
                const row = rowD + (h0 + jh * dh) * W + w0;
                for (let jw = wLo; jw < wHi; jw++) {
                  const v = x[row + jw * dw];
                  if (v > m || at < 0) {
                    m = v;
                    at = row + jw * dw;
                  }
                }
              }
            }
            y[yi] = m;
            if (indices) indices[yi] = BigInt(run.columnMajor && at >= 0 ? toColumnMajor(at, inPlane, D, H, W) : at);
          } else {
            let s = 0;
            for (let jd = dLo; jd < dHi; jd++) {
              const rowD = xb + (d0 + jd * dd) * H * W;
              for (let jh = hLo; jh < hHi; jh++) {
                const row = rowD + (h0 + jh * dh) * W + w0;
                if (kind === 'avg') for (let jw = wLo; jw < wHi; jw++) s += x[row + jw * dw];
                else if (p === 2)
                  for (let jw = wLo; jw < wHi; jw++) {
                    const v = x[row + jw * dw];
                    s += v * v;
                  }
                else for (let jw = wLo; jw < wHi; jw++) s += Math.abs(x[row + jw * dw]) ** p;
              }
            }
            if (kind === 'lp') y[yi] = p === 2 ? Math.sqrt(s) : s ** (1 / p);
            else {
              const count = run.countIncludePad
                ? td.padded[od] * th.padded[oh] * tw.padded[ow]
                : (dHi - dLo) * (hHi - hLo) * (wHi - wLo);
              y[yi] = s / count;
            }
          }
        }
      }
    }
  }
}

/** Row-major flat index to the storage_order=1 form: the spatial axes counted column-major within the plane. */
function toColumnMajor(flat: number, inPlane: number, D: number, H: number, W: number): number {
  const plane = Math.floor(flat / inPlane);
  const r = flat - plane * inPlane;
  const d = Math.floor(r / (H * W));
  const h = Math.floor((r % (H * W)) / W);
  const w = r % W;
  return plane * inPlane + w * H * D + h * D + d;
}

const INT32_MAX = 2 ** 31 - 1;

function int32Taps(t: AxisTaps): PoolTaps | undefined {
  for (const v of t.start) if (Math.abs(v) > INT32_MAX) return undefined;
  return { start: Int32Array.from(t.start), lo: t.lo, hi: t.hi, padded: t.padded };
}

/** One tap table covering a whole axis of length `len` with one output (global pooling, lifted axes). */
function wholeAxis(len: number): PoolTaps {
  return { start: Int32Array.of(0), lo: Int32Array.of(0), hi: Int32Array.of(len), padded: Int32Array.of(len) };
}

/**
 * Max or average pooling of a float32 tensor over one or two spatial axes in the native kernel,
 * along the same tap tables as the TypeScript loop (so the same taps, in the same order); undefined
 * when the call stays in TypeScript.
 */
function nativePool(ctx: OpContext, x: Tensor, dims: number[], g: PoolGeometry | undefined, max: boolean, includePad: boolean): Tensor | undefined {
  const native = x.dtype === 'float32' ? eagerNative(ctx, 'pool2d') : undefined;
  const spatial = x.dims.slice(2);
  if (!native || spatial.length < 1 || spatial.length > 2) return undefined;
  const [H, W] = spatial.length === 2 ? spatial : [1, spatial[0]];
  let tapsH: PoolTaps | undefined = wholeAxis(H);
  let tapsW: PoolTaps | undefined = wholeAxis(W);
  let dilH = 1;
  let dilW = 1;
  if (g) {
    const axis = (i: number) => int32Taps(axisTaps(g.inSpatial[i], g.outSpatial[i], g.kernel[i], g.strides[i], g.dilations[i], g.padsBegin[i], g.padsEnd[i]));
    const last = spatial.length - 1;
    tapsW = axis(last);
    dilW = g.dilations[last];
    if (last === 1) {
      tapsH = axis(0);
      dilH = g.dilations[0];
    }
  }
  if (!tapsH || !tapsW) return undefined;
  const y = float32ForOverwrite(dims);
  const params = { planes: x.dims[0] * x.dims[1], H, W, OH: tapsH.start.length, OW: tapsW.start.length, dilH, dilW, max, includePad };
  const run = native.pool2d(x.data as Float32Array, y.data as Float32Array, params, tapsH, tapsW, { threads: Math.max(1, ctx.threads) });
  ctx.report({ kernel: run.kernel, isa: run.isa, flops: g ? y.size * product(g.kernel) : x.size, nativeNs: run.ns });
  return y;
}

function poolOp(op: string, kind: PoolKind): OpImpl {
  return (ctx, inputs) => {
    const x = tensorInput(inputs, 0, `${op} input`);
    const src = numericData(op, x);
    if (src instanceof BigInt64Array || src instanceof BigUint64Array || x.dtype === 'bool') throw new OpError(`${op} does not support ${x.dtype} tensors`);
    const g = poolGeometry(ctx, op, x.dims, ctx.attrs.ints('kernel_shape'));
    const dims = [x.dims[0], x.dims[1], ...g.outSpatial];
    const wantIndices = kind === 'max' && ctx.node.outputs.length > 1 && ctx.node.outputs[1] !== '';
    const countIncludePad = ctx.attrs.int('count_include_pad', 0) !== 0;
    if (kind !== 'lp' && !wantIndices) {
      const fast = nativePool(ctx, x, dims, g, kind === 'max', countIncludePad);
      if (fast) return [fast];
    }
    const y = new Tensor(x.dtype, dims);
    const indices = wantIndices ? new Tensor('int64', dims) : undefined;
    const columnMajor = ctx.attrs.int('storage_order', 0) === 1;
    const p = kind === 'lp' ? ctx.attrs.float('p', 2) : 1;
    runPool(src, x.dims[0] * x.dims[1], g, y.data as NumArray, {
      kind,
      p,
      countIncludePad,
      indices: indices?.data as BigInt64Array | undefined,
      columnMajor,
    });
    ctx.report({ kernel: `ts_${kind}pool${g.inSpatial.length}d_${x.dtype}`, isa: 'scalar', flops: y.size * product(g.kernel) });
    return indices ? [roundNarrow(y), indices] : [roundNarrow(y)];
  };
}

function globalPoolOp(op: string, kind: PoolKind): OpImpl {
  return (ctx, inputs) => {
    const x = tensorInput(inputs, 0, `${op} input`);
    const src = numericData(op, x);
    if (src instanceof BigInt64Array || src instanceof BigUint64Array || x.dtype === 'bool') throw new OpError(`${op} does not support ${x.dtype} tensors`);
    if (x.rank < 3) throw new OpError(`${op} needs an input of shape [N, C, D1, ...], got [${x.dims.join(',')}]`);
    const planes = x.dims[0] * x.dims[1];
    const plane = product(x.dims, 2);
    if (plane === 0) throw new OpError(`${op} over an empty spatial extent [${x.dims.slice(2).join(',')}]`);
    const outDims = [x.dims[0], x.dims[1], ...x.dims.slice(2).map(() => 1)];
    if (kind !== 'lp') {
      const fast = nativePool(ctx, x, outDims, undefined, kind === 'max', false);
      if (fast) return [fast];
    }
    const y = new Tensor(x.dtype, outDims);
    const out = y.data as NumArray;
    const p = kind === 'lp' ? ctx.attrs.float('p', 2) : 1;
    for (let c = 0, base = 0; c < planes; c++, base += plane) {
      const end = base + plane;
      if (kind === 'max') {
        let m = src[base];
        for (let i = base + 1; i < end; i++) if (src[i] > m) m = src[i];
        out[c] = m;
      } else if (kind === 'avg') {
        let s = 0;
        for (let i = base; i < end; i++) s += src[i];
        out[c] = s / plane;
      } else {
        let s = 0;
        if (p === 2)
          for (let i = base; i < end; i++) {
            const v = src[i];
            s += v * v;
          }
        else for (let i = base; i < end; i++) s += Math.abs(src[i]) ** p;
        out[c] = p === 2 ? Math.sqrt(s) : s ** (1 / p);
      }
    }
    ctx.report({ kernel: `ts_global_${kind}pool_${x.dtype}`, isa: 'scalar', flops: x.size });
    return [roundNarrow(y)];
  };
}

export const ops: OpEntry[] = [
  { op: 'MaxPool', domain: '', since: 1, impl: poolOp('MaxPool', 'max') },
  { op: 'AveragePool', domain: '', since: 1, impl: poolOp('AveragePool', 'avg') },
  { op: 'LpPool', domain: '', since: 1, impl: poolOp('LpPool', 'lp') },
  { op: 'GlobalMaxPool', domain: '', since: 1, impl: globalPoolOp('GlobalMaxPool', 'max') },
  { op: 'GlobalAveragePool', domain: '', since: 1, impl: globalPoolOp('GlobalAveragePool', 'avg') },
  { op: 'GlobalLpPool', domain: '', since: 1, impl: globalPoolOp('GlobalLpPool', 'lp') },
];
