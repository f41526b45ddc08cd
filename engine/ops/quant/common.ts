// Shape logic shared by the quantized matmul and conv ops.
import { OpError, type OpContext } from '../types.js';
import { broadcastShapes, product } from '../util.js';

/** A broadcast batched matmul [..., M, K] x [..., K, N]: per batch, where its A and B matrices start. */
export interface MatmulPlan {
  outDims: number[];
  batch: number;
  M: number;
  K: number;
  N: number;
  aOffsets: Int32Array;
  bOffsets: Int32Array;
}

/** numpy matmul shape rules, including 1-D operands that gain and then lose a unit axis. */
export function matmulPlan(op: string, aDims: readonly number[], bDims: readonly number[]): MatmulPlan {
  if (aDims.length === 0 || bDims.length === 0) throw new OpError(`${op} inputs must have rank >= 1`);
  const a = aDims.length === 1 ? [1, aDims[0]] : aDims.slice();
  const b = bDims.length === 1 ? [bDims[0], 1] : bDims.slice();
  const M = a[a.length - 2];
  const K = a[a.length - 1];
  const N = b[b.length - 1];
  if (b[b.length - 2] !== K)
    throw new OpError(`${op}: shapes [${aDims.join(',')}] and [${bDims.join(',')}] do not match for matmul (K ${K} vs ${b[b.length - 2]})`);
  const aBatch = a.slice(0, -2);
  const bBatch = b.slice(0, -2);
  const batchDims = broadcastShapes(aBatch, bBatch);
  const batch = product(batchDims);
  const aOffsets = new Int32Array(batch);
  const bOffsets = new Int32Array(batch);
  const rank = batchDims.length;
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < batch; i++) {
    let ao = 0;
    let bo = 0;
    let aStride = M * K;
    let bStride = K * N;
    for (let d = rank - 1; d >= 0; d--) {
      const ad = d - (rank - aBatch.length);
      const bd = d - (rank - bBatch.length);
      if (ad >= 0) {
        if (aBatch[ad] !== 1) ao += idx[d] * aStride;
        aStride *= aBatch[ad];
      }
      if (bd >= 0) {
        if (bBatch[bd] !== 1) bo += idx[d] * bStride;
        bStride *= bBatch[bd];
      }
    }
    aOffsets[i] = ao;
    bOffsets[i] = bo;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < batchDims[d]) break;
      idx[d] = 0;
    }
  }
  const outDims = [...batchDims];
  if (aDims.length > 1) outDims.push(M);
  if (bDims.length > 1) outDims.push(N);
  return { outDims, batch, M, K, N, aOffsets, bOffsets };
}

/** Output extents and begin paddings of a convolution from Conv-style attributes. */
export interface ConvGeometry {
  spatialIn: number[];
  spatialOut: number[];
  kernel: number[];
  strides: number[];
  dilations: number[];
  padsBegin: number[];
  group: number;
}

export function convGeometry(ctx: OpContext, op: string, xDims: readonly number[], wDims: readonly number[]): ConvGeometry {
  if (xDims.length < 3 || wDims.length !== xDims.length)
    throw new OpError(`${op}: input [${xDims.join(',')}] and weight [${wDims.join(',')}] ranks do not fit a convolution`);
  const nSpatial = xDims.length - 2;
  const spatialIn = xDims.slice(2);
  const kernel = ctx.attrs.ints('kernel_shape') ?? wDims.slice(2);
  const strides = ctx.attrs.ints('strides') ?? new Array<number>(nSpatial).fill(1);
  const dilations = ctx.attrs.ints('dilations') ?? new Array<number>(nSpatial).fill(1);
  const pads = ctx.attrs.ints('pads') ?? new Array<number>(2 * nSpatial).fill(0);
  const group = ctx.attrs.int('group', 1);
  if (kernel.length !== nSpatial || strides.length !== nSpatial || dilations.length !== nSpatial || pads.length !== 2 * nSpatial) {
    throw new OpError(`${op}: kernel_shape/strides/dilations/pads do not match ${nSpatial} spatial axes`);
  }
  if ([...strides, ...dilations, ...kernel].some((v) => !Number.isInteger(v) || v < 1) || pads.some((p) => p < 0))
    throw new OpError(`${op}: strides, dilations and kernel_shape must be positive, pads non-negative`);
  if (group < 1 || xDims[1] % group !== 0 || wDims[0] % group !== 0 || wDims[1] * group !== xDims[1]) {
    throw new OpError(`${op}: group ${group} does not fit ${xDims[1]} input channels and weight [${wDims.join(',')}]`);
  }
  const autoPad = ctx.attrs.string('auto_pad', 'NOTSET');
  const spatialOut: number[] = [];
  const padsBegin: number[] = [];
  for (let i = 0; i < nSpatial; i++) {
    const span = (kernel[i] - 1) * dilations[i] + 1;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const out = Math.ceil(spatialIn[i] / strides[i]);
      const total = Math.max(0, (out - 1) * strides[i] + span - spatialIn[i]);
      const small = Math.floor(total / 2);
      padsBegin.push(autoPad === 'SAME_UPPER' ? small : total - small);
      spatialOut.push(out);
    } else if (autoPad === 'VALID' || autoPad === 'NOTSET') {
      const pb = autoPad === 'VALID' ? 0 : pads[i];
      const pe = autoPad === 'VALID' ? 0 : pads[i + nSpatial];
      const out = Math.floor((spatialIn[i] + pb + pe - span) / strides[i]) + 1;
      if (out < 1) throw new OpError(`${op}: kernel extent ${span} does not fit input extent ${spatialIn[i]} with pads`);
      padsBegin.push(pb);
      spatialOut.push(out);
    } else {
      throw new OpError(`${op}: auto_pad '${autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
    }
  }
  return { spatialIn, spatialOut, kernel, strides, dilations, padsBegin, group };
}

/**
 * Direct convolution over zero-point-shifted values (exact in float64 for 8-bit data).
 * x: [N, C, ...in], w: [M, C/group, ...k], result [N, M, ...out] as a Float64Array of sums.
 */
export function convAccumulate(
  x: Float64Array,
  xDims: readonly number[],
  w: Float64Array,
  wDims: readonly number[],
  g: ConvGeometry,
): Float64Array {
  const [batch, channels] = xDims;
  const outChannels = wDims[0];
  const cPerGroup = channels / g.group;
  const mPerGroup = outChannels / g.group;
  const nSpatial = g.kernel.length;
  const inSize = product(g.spatialIn);
  const outSize = product(g.spatialOut);
  const kSize = product(g.kernel);
  // For each (output position, kernel position): the input offset, or -1 when it falls in padding.
  const taps = new Int32Array(outSize * kSize);
  const outIdx = new Array<number>(nSpatial).fill(0);
  const kIdx = new Array<number>(nSpatial).fill(0);
  for (let o = 0; o < outSize; o++) {
    let rem = o;
    for (let d = nSpatial - 1; d >= 0; d--) {
      outIdx[d] = rem % g.spatialOut[d];
      rem = Math.floor(rem / g.spatialOut[d]);
    }
    for (let k = 0; k < kSize; k++) {
      let r = k;
      for (let d = nSpatial - 1; d >= 0; d--) {
        kIdx[d] = r % g.kernel[d];
        r = Math.floor(r / g.kernel[d]);
      }
      let off = 0;
      for (let d = 0; d < nSpatial; d++) {
        const p = outIdx[d] * g.strides[d] - g.padsBegin[d] + kIdx[d] * g.dilations[d];
        if (p < 0 || p >= g.spatialIn[d]) {
          off = -1;
          break;
        }
        off = off * g.spatialIn[d] + p;
      }
      taps[o * kSize + k] = off;
    }
  }
  const y = new Float64Array(batch * outChannels * outSize);
  for (let n = 0; n < batch; n++) {
    for (let m = 0; m < outChannels; m++) {
      const grp = Math.floor(m / mPerGroup);
      const yBase = (n * outChannels + m) * outSize;
      for (let c = 0; c < cPerGroup; c++) {
        const xBase = (n * channels + grp * cPerGroup + c) * inSize;
        const wBase = (m * cPerGroup + c) * kSize;
        for (let o = 0; o < outSize; o++) {
          let acc = 0;
          const t = o * kSize;
          for (let k = 0; k < kSize; k++) {
            const off = taps[t + k];
            if (off >= 0) acc += x[xBase + off] * w[wBase + k];
          }
          y[yBase + o] += acc;
        }
      }
    }
  }
  return y;
}
