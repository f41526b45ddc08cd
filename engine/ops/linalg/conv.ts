// Conv (1-D/2-D/3-D, groups, dilations, auto_pad). 2-D (and 1-D, as height 1) float32 runs on the
// native conv2d kernels; other ranks and element types use a TypeScript im2col + GEMM.
import { Tensor, allocate, isBigIntType, type DType } from '../../tensor.js';
import { OpError, optionalTensor, tensorInput, type Attrs, type OpContext, type OpEntry } from '../types.js';
import { product } from '../util.js';
import { sameDims, sameRun, type MemoKey } from '../memo.js';
import type { PreparedConv2d } from '../../native.js';
import { nativeFloat, nativeOptions, roundReduced, tsGemm, type NumArray } from './common.js';
import { applyEpilogue, residualInput } from './epilogue.js';
import type { ActivationName } from '../../native.js';

export interface ConvGeometry {
  kernel: number[];
  strides: number[];
  dilations: number[];
  padsBegin: number[];
  padsEnd: number[];
  group: number;
}

function positiveInts(values: number[], what: string, n: number): number[] {
  if (values.length !== n) throw new OpError(`${what} must have ${n} values, got [${values.join(',')}]`);
  for (const v of values) if (!Number.isInteger(v) || v < 1) throw new OpError(`${what} must be positive integers, got [${values.join(',')}]`);
  return values;
}

/** Reads kernel_shape/strides/dilations/group and the explicit pads (auto_pad is resolved by the caller). */
export function readConvAttrs(attrs: Attrs, wSpatial: readonly number[]): ConvGeometry & { autoPad: string } {
  const n = wSpatial.length;
  const kernel = attrs.ints('kernel_shape') ?? wSpatial.slice();
  positiveInts(kernel, 'kernel_shape', n);
  if (kernel.some((k, i) => k !== wSpatial[i])) {
    throw new OpError(`kernel_shape [${kernel.join(',')}] does not match the weight's spatial shape [${wSpatial.join(',')}]`);
  }
  const strides = positiveInts(attrs.ints('strides') ?? new Array<number>(n).fill(1), 'strides', n);
  const dilations = positiveInts(attrs.ints('dilations') ?? new Array<number>(n).fill(1), 'dilations', n);
  const pads = attrs.ints('pads') ?? new Array<number>(2 * n).fill(0);
  if (pads.length !== 2 * n || pads.some((p) => !Number.isInteger(p) || p < 0)) {
    throw new OpError(`pads must be ${2 * n} non-negative integers, got [${pads.join(',')}]`);
  }
  const group = attrs.int('group', 1);
  if (!Number.isInteger(group) || group < 1) throw new OpError(`group must be a positive integer, got ${group}`);
  const autoPad = attrs.string('auto_pad', 'NOTSET');
  if (!['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'].includes(autoPad)) throw new OpError(`unknown auto_pad '${autoPad}'`);
  return { kernel, strides, dilations, padsBegin: pads.slice(0, n), padsEnd: pads.slice(n), group, autoPad };
}

/** Output spatial shape of a convolution; resolves auto_pad into explicit pads in `g`. */
export function convOutputShape(inSpatial: readonly number[], g: ConvGeometry & { autoPad: string }): number[] {
  return inSpatial.map((size, i) => {
    const eff = (g.kernel[i] - 1) * g.dilations[i] + 1;
    if (g.autoPad === 'VALID') {
      g.padsBegin[i] = 0;
      g.padsEnd[i] = 0;
    } else if (g.autoPad !== 'NOTSET') {
      const out = Math.ceil(size / g.strides[i]);
      const total = Math.max(0, (out - 1) * g.strides[i] + eff - size);
      const small = Math.floor(total / 2);
      g.padsBegin[i] = g.autoPad === 'SAME_UPPER' ? small : total - small;
      g.padsEnd[i] = total - g.padsBegin[i];
    }
    const span = size + g.padsBegin[i] + g.padsEnd[i] - eff;
    if (span < 0) throw new OpError(`the kernel (extent ${eff}) is larger than the padded input (${size + g.padsBegin[i] + g.padsEnd[i]}) on spatial axis ${i}`);
    return Math.floor(span / g.strides[i]) + 1;
  });
}

/**
 * Unfolds one image/group into col[(c, k...) x out positions] (zero where the tap is padding).
 * `src` holds cg channels of `inSpatial` starting at `srcOff`.
 */
export function im2colNd(
  src: ArrayLike<number>,
  srcOff: number,
  cg: number,
  inSpatial: readonly number[],
  outSpatial: readonly number[],
  g: ConvGeometry,
  col: { [i: number]: number },
): void {
  const n = inSpatial.length;
  const P = product(outSpatial);
  const kprod = product(g.kernel);
  const inSize = product(inSpatial);
  // Per axis, the input coordinate each (kernel tap, output position) reads, or -1 for padding.
  const taps = inSpatial.map((size, i) => {
    const t = new Int32Array(g.kernel[i] * outSpatial[i]);
    for (let k = 0; k < g.kernel[i]; k++) {
      for (let o = 0; o < outSpatial[i]; o++) {
        const x = o * g.strides[i] + k * g.dilations[i] - g.padsBegin[i];
        t[k * outSpatial[i] + o] = x >= 0 && x < size ? x : -1;
      }
    }
    return t;
  });
  const inStrides = new Array<number>(n);
  let acc = 1;
  for (let i = n - 1; i >= 0; i--) {
    inStrides[i] = acc;
    acc *= inSpatial[i];
  }
  const kIdx = new Array<number>(n).fill(0);
  const oIdx = new Array<number>(n).fill(0);
  for (let kp = 0; kp < kprod; kp++) {
    let rem = kp;
    for (let i = n - 1; i >= 0; i--) {
      kIdx[i] = rem % g.kernel[i];
      rem = Math.floor(rem / g.kernel[i]);
    }
    for (let p = 0; p < P; p++) {
      let r = p;
      for (let i = n - 1; i >= 0; i--) {
        oIdx[i] = r % outSpatial[i];
        r = Math.floor(r / outSpatial[i]);
      }
      let off = 0;
      for (let i = 0; i < n; i++) {
        const x = taps[i][kIdx[i] * outSpatial[i] + oIdx[i]];
        if (x < 0) {
          off = -1;
          break;
        }
        off += x * inStrides[i];
      }
      for (let c = 0; c < cg; c++) col[(c * kprod + kp) * P + p] = off < 0 ? 0 : src[srcOff + c * inSize + off];
    }
  }
}

/** What a Conv node keeps between runs while its input shapes, types, mode and threads stay. */
interface ConvMemo extends MemoKey {
  dtype: DType;
  xDims: readonly number[];
  wDims: readonly number[];
  bDims: readonly number[] | undefined;
  g: ConvGeometry;
  inSpatial: number[];
  outDims: number[];
  outSize: number;
  flops: number;
  /** The native call (2-D and 1-D float data), prepared once. */
  call?: PreparedConv2d;
}

function convMemo(ctx: OpContext, x: Tensor, w: Tensor, b: Tensor | undefined): ConvMemo {
  const m = ctx.memo as ConvMemo | undefined;
  if (m && sameRun(m, ctx) && m.dtype === x.dtype && sameDims(x.dims, m.xDims) && sameDims(w.dims, m.wDims) && (b ? sameDims(b.dims, m.bDims) : !m.bDims)) {
    if (w.dtype === x.dtype && (!b || b.dtype === x.dtype)) return m;
  }
  if (x.rank < 3) throw new OpError(`Conv: X must have rank >= 3 (N, C, spatial...), got [${x.dims.join(',')}]`);
  if (w.rank !== x.rank) throw new OpError(`Conv: W rank ${w.rank} differs from X rank ${x.rank}`);
  if (w.dtype !== x.dtype || (b && b.dtype !== x.dtype)) throw new OpError('Conv: X, W and B must have the same element type');
  if (isBigIntType(x.dtype) || x.dtype === 'string' || x.dtype === 'bool') throw new OpError(`Conv: element type ${x.dtype} is not supported`);
  const g = readConvAttrs(ctx.attrs, w.dims.slice(2));
  const [N, C] = x.dims;
  const M = w.dims[0];
  if (C % g.group || M % g.group) throw new OpError(`Conv: group ${g.group} must divide input channels ${C} and output channels ${M}`);
  if (w.dims[1] !== C / g.group) throw new OpError(`Conv: W has ${w.dims[1]} input channels per group, expected ${C / g.group}`);
  if (b && (b.rank !== 1 || b.dims[0] !== M)) throw new OpError(`Conv: B must have shape [${M}], got [${b.dims.join(',')}]`);
  const inSpatial = x.dims.slice(2);
  const outSpatial = convOutputShape(inSpatial, g);
  const outDims = [N, M, ...outSpatial];
  const flops = 2 * N * M * product(outSpatial) * (C / g.group) * product(g.kernel);
  let call: PreparedConv2d | undefined;
  if (nativeFloat(x) && inSpatial.length <= 2 && product(outDims) > 0) {
    const two = inSpatial.length === 2;
    call = ctx.native.prepareConv2d(
      {
        N,
        C,
        M,
        H: two ? inSpatial[0] : 1,
        W: inSpatial[inSpatial.length - 1],
        kH: two ? g.kernel[0] : 1,
        kW: g.kernel[g.kernel.length - 1],
        strideH: two ? g.strides[0] : 1,
        strideW: g.strides[g.strides.length - 1],
        dilH: two ? g.dilations[0] : 1,
        dilW: g.dilations[g.dilations.length - 1],
        padT: two ? g.padsBegin[0] : 0,
        padB: two ? g.padsEnd[0] : 0,
        padL: g.padsBegin[g.padsBegin.length - 1],
        padR: g.padsEnd[g.padsEnd.length - 1],
        group: g.group,
        outH: two ? outSpatial[0] : 1,
        outW: outSpatial[outSpatial.length - 1],
        ...(ctx.node.fused?.act ? { act: ctx.node.fused.act as ActivationName, actAlpha: ctx.node.fused.actAlpha, actBeta: ctx.node.fused.actBeta } : {}),
      },
      nativeOptions(ctx),
    );
  }
  const memo: ConvMemo = { mode: ctx.mode, threads: ctx.threads, dtype: x.dtype, xDims: x.dims, wDims: w.dims, bDims: b?.dims, g, inSpatial, outDims, outSize: product(outDims), flops, call };
  ctx.memo = memo;
  return memo;
}

function convOp(ctx: OpContext, inputs: Parameters<OpEntry['impl']>[1]): Tensor {
  const x = tensorInput(inputs, 0, 'X');
  const w = tensorInput(inputs, 1, 'W');
  const b = optionalTensor(inputs, 2);
  const m = convMemo(ctx, x, w, b);
  const call = m.call;
  // A node the graph compiler fused (Conv+BatchNormalization+Add+Relu...) adds input 3 and applies its activation.
  const fused = ctx.node.fused;
  const residual = residualInput(fused, optionalTensor(inputs, 3), x.dtype, m.outDims, 'Conv');
  if (call) {
    // The native convolution writes every output element (its GEMM runs with beta 0): no zero-fill.
    const out = new Tensor(x.dtype, m.outDims, allocate('float32', m.outSize, false));
    const ns = call.run(x.data as Float32Array, w.data as Float32Array, b ? (b.data as Float32Array) : null, out.data as Float32Array, residual ? (residual.data as Float32Array) : null);
    roundReduced(out);
    ctx.report({ kernel: call.kernel, isa: call.isa, flops: m.flops, nativeNs: ns, replay: true });
    return out;
  }
  const out = new Tensor(x.dtype, m.outDims);
  if (out.size === 0) return out;
  convGeneric(x, w, b, out, m.g, m.inSpatial, m.outDims.slice(2), ctx);
  applyEpilogue(out, fused, residual);
  roundReduced(out);
  return out;
}

/** Any rank and float type: im2col per image and group, then GEMM (native for float32 data). */
function convGeneric(
  x: Tensor,
  w: Tensor,
  b: Tensor | undefined,
  out: Tensor,
  g: ConvGeometry,
  inSpatial: number[],
  outSpatial: number[],
  ctx: OpContext,
): void {
  const [N, C] = x.dims;
  const M = w.dims[0];
  const cg = C / g.group;
  const mg = M / g.group;
  const K = cg * product(g.kernel);
  const P = product(outSpatial);
  const inSize = product(inSpatial);
  const useNative = nativeFloat(x);
  const col = useNative ? new Float32Array(K * P) : new Float64Array(K * P);
  const y = out.data as NumArray;
  const bias = b ? (b.data as NumArray) : undefined;
  let kernel = `ts_conv_im2col_${x.dtype}`;
  let isa = 'scalar';
  let ns = 0;
  for (let n = 0; n < N; n++) {
    for (let gi = 0; gi < g.group; gi++) {
      im2colNd(x.data as NumArray, (n * C + gi * cg) * inSize, cg, inSpatial, outSpatial, g, col);
      const yOff = (n * M + gi * mg) * P;
      if (useNative) {
        const run = ctx.native.gemm(
          (w.data as Float32Array).subarray(gi * mg * K, (gi + 1) * mg * K),
          col as Float32Array,
          (y as Float32Array).subarray(yOff, yOff + mg * P),
          { M: mg, N: P, K },
          nativeOptions(ctx),
        );
        kernel = `conv_im2col+${run.kernel}`;
        isa = run.isa;
        ns += run.ns;
      } else {
        const acc = new Float64Array(mg * P);
        tsGemm(w.data as NumArray, gi * mg * K, false, col, 0, false, acc, 0, mg, P, K);
        for (let i = 0; i < mg * P; i++) y[yOff + i] = acc[i];
      }
      if (bias) {
        for (let m = 0; m < mg; m++) {
          const bv = bias[gi * mg + m];
          for (let p = 0; p < P; p++) y[yOff + m * P + p] += bv;
        }
      }
    }
  }
  roundReduced(out);
  ctx.report({ kernel, isa, flops: 2 * N * M * P * K, ...(useNative ? { nativeNs: ns } : {}) });
}

export function floatOnly(dtype: DType, op: string): void {
  if (isBigIntType(dtype) || dtype === 'string' || dtype === 'bool') throw new OpError(`${op}: element type ${dtype} is not supported`);
}

export const ops: OpEntry[] = [{ op: 'Conv', domain: '', since: 1, impl: (ctx, inputs) => [convOp(ctx, inputs)] }];
