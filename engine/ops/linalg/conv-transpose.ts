// ConvTranspose (any spatial rank): per image and group, col = W^T X as one GEMM (native for
// float32 data), then col2im scatters each column into the output with stride/dilation/pads.
import { Tensor, float32ForOverwrite } from '../../tensor.js';
import { OpError, optionalTensor, tensorInput, type OpContext, type OpEntry } from '../types.js';
import { product } from '../util.js';
import { nativeFloat, nativeOptions, roundReduced, tsGemm, type NumArray } from './common.js';
import { floatOnly, readConvAttrs } from './conv.js';

/** Scatter tables by node: a plan runs the same shapes again and again, and building one costs more than the scatter. */
const scatterTables = new WeakMap<object, { key: string; target: Int32Array }>();

function convTranspose(ctx: OpContext, inputs: Parameters<OpEntry['impl']>[1]): Tensor {
  const x = tensorInput(inputs, 0, 'X');
  const w = tensorInput(inputs, 1, 'W');
  const b = optionalTensor(inputs, 2);
  floatOnly(x.dtype, 'ConvTranspose');
  if (x.rank < 3) throw new OpError(`ConvTranspose: X must have rank >= 3, got [${x.dims.join(',')}]`);
  if (w.rank !== x.rank) throw new OpError(`ConvTranspose: W rank ${w.rank} differs from X rank ${x.rank}`);
  if (w.dtype !== x.dtype || (b && b.dtype !== x.dtype)) throw new OpError('ConvTranspose: X, W and B must have the same element type');
  const g = readConvAttrs(ctx.attrs, w.dims.slice(2));
  const n = x.rank - 2;
  const [N, C] = x.dims;
  if (w.dims[0] !== C) throw new OpError(`ConvTranspose: W has ${w.dims[0]} input channels, X has ${C}`);
  if (C % g.group) throw new OpError(`ConvTranspose: group ${g.group} must divide input channels ${C}`);
  const mg = w.dims[1];
  const M = mg * g.group;
  if (b && (b.rank !== 1 || b.dims[0] !== M)) throw new OpError(`ConvTranspose: B must have shape [${M}], got [${b.dims.join(',')}]`);
  const outputPadding = ctx.attrs.ints('output_padding') ?? new Array<number>(n).fill(0);
  if (outputPadding.length !== n) throw new OpError(`ConvTranspose: output_padding must have ${n} values`);
  const inSpatial = x.dims.slice(2);
  let outputShape = ctx.attrs.ints('output_shape');
  if (outputShape && outputShape.length === n + 2) outputShape = outputShape.slice(2);
  if (outputShape && outputShape.length !== n) throw new OpError(`ConvTranspose: output_shape must have ${n} values`);
  if (!outputShape && (g.autoPad === 'SAME_UPPER' || g.autoPad === 'SAME_LOWER')) {
    outputShape = inSpatial.map((s, i) => s * g.strides[i]);
  }
  const outSpatial = inSpatial.map((size, i) => {
    const eff = (g.kernel[i] - 1) * g.dilations[i] + 1;
    const full = g.strides[i] * (size - 1) + outputPadding[i] + eff;
    if (outputShape) {
      const total = full - outputShape[i];
      const half = Math.floor(total / 2);
      if (g.autoPad === 'SAME_UPPER') {
        g.padsBegin[i] = half;
        g.padsEnd[i] = total - half;
      } else {
        g.padsBegin[i] = total - half;
        g.padsEnd[i] = half;
      }
      return outputShape[i];
    }
    if (g.autoPad === 'VALID') g.padsBegin[i] = g.padsEnd[i] = 0;
    return full - g.padsBegin[i] - g.padsEnd[i];
  });
  if (outSpatial.some((s) => s < 0)) throw new OpError(`ConvTranspose: negative output shape [${outSpatial.join(',')}]`);
  const out = new Tensor(x.dtype, [N, M, ...outSpatial]);
  const cg = C / g.group;
  const kprod = product(g.kernel);
  const Pin = product(inSpatial);
  const Pout = product(outSpatial);
  const rows = mg * kprod;
  const flops = 2 * N * C * Pin * mg * kprod;
  if (out.size === 0) return out;

  const key = [inSpatial, outSpatial, g.kernel, g.strides, g.dilations, g.padsBegin].map((v) => v.join(',')).join('|');
  let cached = scatterTables.get(ctx.node);
  if (!cached || cached.key !== key) {
    cached = { key, target: scatterTable(inSpatial, outSpatial, g) };
    scatterTables.set(ctx.node, cached);
  }
  const target = cached.target;

  const useNative = nativeFloat(x);
  // The GEMM writes every element of col (beta 0): a recycled buffer needs no zero-fill.
  const col = useNative ? (float32ForOverwrite([rows * Pin]).data as Float32Array) : new Float64Array(rows * Pin);
  const y = out.data as NumArray;
  let kernel = `ts_convtranspose_${x.dtype}`;
  let isa = 'scalar';
  let ns = 0;
  for (let ni = 0; ni < N; ni++) {
    for (let gi = 0; gi < g.group; gi++) {
      const xOff = (ni * C + gi * cg) * Pin;
      const wOff = gi * cg * rows;
      if (useNative) {
        const run = ctx.native.gemm(
          (w.data as Float32Array).subarray(wOff, wOff + cg * rows),
          (x.data as Float32Array).subarray(xOff, xOff + cg * Pin),
          col as Float32Array,
          { M: rows, N: Pin, K: cg, transA: true },
          nativeOptions(ctx),
        );
        kernel = `convtranspose_col2im+${run.kernel}`;
        isa = run.isa;
        ns += run.ns;
      } else {
        tsGemm(w.data as NumArray, wOff, true, x.data as NumArray, xOff, false, col, 0, rows, Pin, cg);
      }
      for (let m = 0; m < mg; m++) {
        const yOff = (ni * M + gi * mg + m) * Pout;
        for (let kp = 0; kp < kprod; kp++) {
          const src = (m * kprod + kp) * Pin;
          const t = kp * Pin;
          for (let p = 0; p < Pin; p++) {
            const o = target[t + p];
            if (o >= 0) y[yOff + o] += col[src + p];
          }
        }
      }
    }
  }
  if (b) {
    const bias = b.data as NumArray;
    for (let ni = 0; ni < N; ni++) {
      for (let m = 0; m < M; m++) {
        const off = (ni * M + m) * Pout;
        for (let p = 0; p < Pout; p++) y[off + p] += bias[m];
      }
    }
  }
  roundReduced(out);
  ctx.report({ kernel, isa, flops, ...(useNative ? { nativeNs: ns } : {}) });
  return out;
}

/** Output offset of each input position for each kernel tap (-1 when cropped), shared by all channels. */
function scatterTable(inSpatial: number[], outSpatial: number[], g: ReturnType<typeof readConvAttrs>): Int32Array {
  const n = inSpatial.length;
  const kprod = product(g.kernel);
  const Pin = product(inSpatial);
  // Per axis, the output coordinate each (kernel tap, input position) lands on, or -1 if cropped.
  const land = inSpatial.map((size, i) => {
    const t = new Int32Array(g.kernel[i] * size);
    for (let k = 0; k < g.kernel[i]; k++) {
      for (let p = 0; p < size; p++) {
        const o = p * g.strides[i] + k * g.dilations[i] - g.padsBegin[i];
        t[k * size + p] = o >= 0 && o < outSpatial[i] ? o : -1;
      }
    }
    return t;
  });
  const outStrides = new Array<number>(n);
  let acc = 1;
  for (let i = n - 1; i >= 0; i--) {
    outStrides[i] = acc;
    acc *= outSpatial[i];
  }
  const target = new Int32Array(kprod * Pin);
  const kIdx = new Array<number>(n);
  for (let kp = 0; kp < kprod; kp++) {
    let rem = kp;
    for (let i = n - 1; i >= 0; i--) {
      kIdx[i] = rem % g.kernel[i];
      rem = Math.floor(rem / g.kernel[i]);
    }
    for (let p = 0; p < Pin; p++) {
      let r = p;
      let off = 0;
      for (let i = n - 1; i >= 0; i--) {
        const pi = r % inSpatial[i];
        r = Math.floor(r / inSpatial[i]);
        const o = land[i][kIdx[i] * inSpatial[i] + pi];
        if (o < 0 || off < 0) off = -1;
        else off += o * outStrides[i];
      }
      target[kp * Pin + p] = off;
    }
  }
  return target;
}

export const ops: OpEntry[] = [{ op: 'ConvTranspose', domain: '', since: 1, impl: (ctx, inputs) => [convTranspose(ctx, inputs)] }];
