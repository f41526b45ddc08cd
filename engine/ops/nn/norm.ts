// BatchNormalization, LayerNormalization, InstanceNormalization, GroupNormalization, LRN,
// MeanVarianceNormalization and LpNormalization. Statistics are taken in doubles with two passes
// (mean, then squared deviations), which keeps long rows (C = 4096) accurate.
import { FLOAT_TYPES, Tensor } from '../../tensor.js';
import { OpError, optionalTensor, tensorInput, type OpEntry, type OpImpl } from '../types.js';
import { nativeLayerNorm, nativeScaleShift, scaleShiftPlan, type ScaleShiftPlan } from '../elementwise/native-dispatch.js';
import { broadcastOffsets, normalizeAxis, product, roundNarrow } from '../util.js';
import { axisLayout, normalizeAxes, type NumArray } from '../reduce/common.js';
import { reduceToDoubles } from '../reduce/reductions.js';

type FloatArray = Float32Array | Float64Array;

function floatInput(inputs: Parameters<OpImpl>[1], i: number, what: string): Tensor {
  const t = tensorInput(inputs, i, what);
  if (!FLOAT_TYPES.has(t.dtype)) throw new OpError(`${what} must be a float tensor, got ${t.dtype}`);
  return t;
}

/** A per-channel parameter of exactly `n` values. */
function channelParam(inputs: Parameters<OpImpl>[1], i: number, n: number, what: string): FloatArray {
  const t = floatInput(inputs, i, what);
  if (t.size !== n) throw new OpError(`${what} has shape [${t.dims.join(',')}], expected ${n} values`);
  return t.data as FloatArray;
}

/** Mean and variance of `n` elements from `base` (population variance, two passes). */
function meanVar(x: NumArray, base: number, n: number, out: Float64Array): void {
  let s = 0;
  const end = base + n;
  for (let i = base; i < end; i++) s += x[i];
  const mean = s / n;
  let v = 0;
  for (let i = base; i < end; i++) {
    const d = x[i] - mean;
    v += d * d;
  }
  out[0] = mean;
  out[1] = v / n;
}

/** y = x * a + b over planes of `plane` elements, a and b per channel of `channels`. */
function affinePerChannel(x: NumArray, y: NumArray, batches: number, channels: number, plane: number, a: Float64Array, b: Float64Array): void {
  let p = 0;
  for (let n = 0; n < batches; n++) {
    for (let c = 0; c < channels; c++) {
      const ac = a[c];
      const bc = b[c];
      const end = p + plane;
      for (; p < end; p++) y[p] = x[p] * ac + bc;
    }
  }
}

/**
 * What an eager BatchNormalization node keeps between runs: with the statistics and affine
 * parameters initializers (the usual case) and the same input shape, every run folds them the
 * same way, into the same rows and (scale, shift) pairs.
 */
interface BatchNormMemo {
  key: readonly unknown[];
  plan: ScaleShiftPlan;
}

/** Inference BatchNormalization as y = x * a[c] + b[c]. */
function foldInference(scale: FloatArray, bias: FloatArray, mean: FloatArray, variance: FloatArray, eps: number, channels: number): [Float64Array, Float64Array] {
  const a = new Float64Array(channels);
  const b = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    a[c] = scale[c] / Math.sqrt(variance[c] + eps);
    b[c] = bias[c] - mean[c] * a[c];
  }
  return [a, b];
}

const batchNormalization: OpImpl = (ctx, inputs) => {
  const x = floatInput(inputs, 0, 'BatchNormalization input');
  if (x.rank < 2) throw new OpError(`BatchNormalization needs an input of shape [N, C, ...], got [${x.dims.join(',')}]`);
  const eps = ctx.attrs.float('epsilon', 1e-5);
  const momentum = ctx.attrs.float('momentum', 0.9);
  const [N, C] = x.dims;
  const plane = product(x.dims, 2);
  // Before opset 9, spatial=0 gives every element of a sample its own statistics.
  const perActivation = ctx.opset < 9 && ctx.attrs.int('spatial', 1) === 0;
  const channels = perActivation ? C * plane : C;
  const step = perActivation ? 1 : plane;
  const scale = channelParam(inputs, 1, channels, 'BatchNormalization scale');
  const bias = channelParam(inputs, 2, channels, 'BatchNormalization B');
  const mean = channelParam(inputs, 3, channels, 'BatchNormalization input_mean');
  const variance = channelParam(inputs, 4, channels, 'BatchNormalization input_var');
  const training = ctx.opset >= 14 && ctx.attrs.int('training_mode', 0) !== 0;
  const src = x.data as FloatArray;
  if (!training && !perActivation && plane >= 8) {
    // Eager float32: one native pass of y = fma(x, a[c], b[c]), folded once while the parameters stay.
    const key = [inputs[1], inputs[2], inputs[3], inputs[4], eps, ctx.threads, ...x.dims];
    const y = nativeScaleShift(ctx, x, () => {
      const known = ctx.memo as BatchNormMemo | undefined;
      if (known && known.key.length === key.length && known.key.every((v, i) => v === key[i])) return known.plan;
      const [a, b] = foldInference(scale, bias, mean, variance, eps, channels);
      const memo: BatchNormMemo = { key, plan: scaleShiftPlan(x.dims, a, b) };
      ctx.memo = memo;
      return memo.plan;
    });
    if (y) return [y];
  }
  let a: Float64Array;
  let b: Float64Array;
  const outs: Tensor[] = [];
  if (training) {
    a = new Float64Array(channels);
    b = new Float64Array(channels);
    // Batch statistics per channel over N and the spatial axes.
    const batchMean = new Float64Array(C);
    const batchVar = new Float64Array(C);
    const count = N * plane;
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let n = 0; n < N; n++) for (let i = (n * C + c) * plane, e = i + plane; i < e; i++) s += src[i];
      const m = s / count;
      let v = 0;
      for (let n = 0; n < N; n++)
        for (let i = (n * C + c) * plane, e = i + plane; i < e; i++) {
          const d = src[i] - m;
          v += d * d;
        }
      batchMean[c] = m;
      batchVar[c] = v / count;
      a[c] = scale[c] / Math.sqrt(batchVar[c] + eps);
      b[c] = bias[c] - m * a[c];
    }
    const runMean = new Tensor(x.dtype, [C]);
    const runVar = new Tensor(x.dtype, [C]);
    for (let c = 0; c < C; c++) {
      (runMean.data as FloatArray)[c] = mean[c] * momentum + batchMean[c] * (1 - momentum);
      (runVar.data as FloatArray)[c] = variance[c] * momentum + batchVar[c] * (1 - momentum);
    }
    outs.push(roundNarrow(runMean), roundNarrow(runVar));
  } else {
    [a, b] = foldInference(scale, bias, mean, variance, eps, channels);
  }
  const y = new Tensor(x.dtype, x.dims);
  affinePerChannel(src, y.data as FloatArray, N, channels, step, a, b);
  ctx.report({ kernel: `ts_batchnorm_${x.dtype}`, isa: 'scalar', flops: 2 * x.size });
  return [roundNarrow(y), ...outs];
};

const layerNormalization: OpImpl = (ctx, inputs) => {
  const x = floatInput(inputs, 0, 'LayerNormalization input');
  const axis = normalizeAxis(ctx.attrs.int('axis', -1), x.rank, 'LayerNormalization axis');
  const eps = ctx.attrs.float('epsilon', 1e-5);
  const statsType = ctx.attrs.int('stash_type', 1) === 1 ? 'float32' : x.dtype;
  const rows = product(x.dims, 0, axis);
  const cols = product(x.dims, axis);
  const normDims = x.dims.slice(axis);
  const scaleT = floatInput(inputs, 1, 'LayerNormalization scale');
  const biasT = optionalTensor(inputs, 2);
  // Scale and bias broadcast to the normalized shape; the common full-size case needs no map.
  const mapOf = (t: Tensor): Int32Array | null => (t.size === cols && t.rank <= normDims.length ? null : broadcastOffsets(t.dims, normDims));
  const scaleMap = mapOf(scaleT);
  const biasMap = biasT ? mapOf(biasT) : null;
  const scale = scaleT.data as FloatArray;
  const bias = biasT?.data as FloatArray | undefined;
  const src = x.data as FloatArray;
  const statDims = x.dims.map((d, i) => (i < axis ? d : 1));
  if (ctx.mode === 'eager' && x.dtype === 'float32' && scaleT.dtype === 'float32' && (!biasT || biasT.dtype === 'float32') && statsType === 'float32') {
    // Eager float32: the native layernorm_f32 row kernel, with scale and bias expanded to the
    // normalized shape when they broadcast.
    const dense = (d: Float32Array, map: Int32Array | null) => (map ? Float32Array.from(map, (o) => d[o]) : d.length === cols ? d : undefined);
    const s = dense(scale as Float32Array, scaleMap);
    const b = bias ? dense(bias as Float32Array, biasMap) : undefined;
    const fast = s && (!bias || b) ? nativeLayerNorm(ctx, src as Float32Array, x.dims, cols, { rms: false, epsilon: eps, scale: s, bias: b, flops: 5 }) : undefined;
    if (fast) {
      return [fast.y, new Tensor('float32', statDims, fast.mean), new Tensor('float32', statDims, fast.invStdDev)];
    }
  }
  const y = new Tensor(x.dtype, x.dims);
  const out = y.data as FloatArray;
  const meanT = new Tensor(statsType, statDims);
  const invT = new Tensor(statsType, statDims);
  const meanOut = meanT.data as FloatArray;
  const invOut = invT.data as FloatArray;
  const mv = new Float64Array(2);
  for (let r = 0, base = 0; r < rows; r++, base += cols) {
    meanVar(src, base, cols, mv);
    const m = mv[0];
    const inv = 1 / Math.sqrt(mv[1] + eps);
    meanOut[r] = m;
    invOut[r] = inv;
    if (!scaleMap && !biasMap) {
      if (bias) for (let i = 0; i < cols; i++) out[base + i] = (src[base + i] - m) * inv * scale[i] + bias[i];
      else for (let i = 0; i < cols; i++) out[base + i] = (src[base + i] - m) * inv * scale[i];
    } else {
      for (let i = 0; i < cols; i++) {
        const s = scale[scaleMap ? scaleMap[i] : i];
        const b = bias ? bias[biasMap ? biasMap[i] : i] : 0;
        out[base + i] = (src[base + i] - m) * inv * s + b;
      }
    }
  }
  ctx.report({ kernel: `ts_layernorm_${x.dtype}`, isa: 'scalar', flops: 5 * x.size });
  return [roundNarrow(y), roundNarrow(meanT), roundNarrow(invT)];
};

const instanceNormalization: OpImpl = (ctx, inputs) => {
  const x = floatInput(inputs, 0, 'InstanceNormalization input');
  if (x.rank < 3) throw new OpError(`InstanceNormalization needs an input of shape [N, C, D1, ...], got [${x.dims.join(',')}]`);
  const [N, C] = x.dims;
  const plane = product(x.dims, 2);
  const scale = channelParam(inputs, 1, C, 'InstanceNormalization scale');
  const bias = channelParam(inputs, 2, C, 'InstanceNormalization B');
  const eps = ctx.attrs.float('epsilon', 1e-5);
  const src = x.data as FloatArray;
  const y = new Tensor(x.dtype, x.dims);
  const out = y.data as FloatArray;
  const mv = new Float64Array(2);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const base = (n * C + c) * plane;
      meanVar(src, base, plane, mv);
      const a = scale[c] / Math.sqrt(mv[1] + eps);
      const b = bias[c] - mv[0] * a;
      for (let i = base, e = base + plane; i < e; i++) out[i] = src[i] * a + b;
    }
  }
  ctx.report({ kernel: `ts_instancenorm_${x.dtype}`, isa: 'scalar', flops: 4 * x.size });
  return [roundNarrow(y)];
};

const groupNormalization: OpImpl = (ctx, inputs) => {
  const x = floatInput(inputs, 0, 'GroupNormalization input');
  if (x.rank < 2) throw new OpError(`GroupNormalization needs an input of shape [N, C, ...], got [${x.dims.join(',')}]`);
  const groups = ctx.attrs.int('num_groups');
  const [N, C] = x.dims;
  if (groups === undefined || groups < 1 || C % groups !== 0) throw new OpError(`GroupNormalization: num_groups ${groups} must be positive and divide the ${C} channels`);
  // Opset 18 scales per group; opset 21 changed scale and bias to per channel.
  const perChannel = ctx.opset >= 21;
  const params = perChannel ? C : groups;
  const scale = channelParam(inputs, 1, params, 'GroupNormalization scale');
  const bias = channelParam(inputs, 2, params, 'GroupNormalization bias');
  const eps = ctx.attrs.float('epsilon', 1e-5);
  const plane = product(x.dims, 2);
  const perGroup = C / groups;
  const src = x.data as FloatArray;
  const y = new Tensor(x.dtype, x.dims);
  const out = y.data as FloatArray;
  const mv = new Float64Array(2);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < groups; g++) {
      const base = (n * C + g * perGroup) * plane;
      meanVar(src, base, perGroup * plane, mv);
      const inv = 1 / Math.sqrt(mv[1] + eps);
      for (let k = 0; k < perGroup; k++) {
        const p = perChannel ? g * perGroup + k : g;
        const a = scale[p] * inv;
        const b = bias[p] - mv[0] * a;
        for (let i = base + k * plane, e = i + plane; i < e; i++) out[i] = src[i] * a + b;
      }
    }
  }
  ctx.report({ kernel: `ts_groupnorm_${x.dtype}`, isa: 'scalar', flops: 4 * x.size });
  return [roundNarrow(y)];
};

const lrn: OpImpl = (ctx, inputs) => {
  const x = floatInput(inputs, 0, 'LRN input');
  if (x.rank < 2) throw new OpError(`LRN needs an input of shape [N, C, ...], got [${x.dims.join(',')}]`);
  const size = ctx.attrs.int('size');
  if (size === undefined || size < 1) throw new OpError(`LRN needs a positive attribute size, got ${size}`);
  const alpha = ctx.attrs.float('alpha', 1e-4);
  const beta = ctx.attrs.float('beta', 0.75);
  const bias = ctx.attrs.float('bias', 1);
  const [N, C] = x.dims;
  const plane = product(x.dims, 2);
  const before = Math.floor((size - 1) / 2);
  const after = Math.ceil((size - 1) / 2);
  const src = x.data as FloatArray;
  const y = new Tensor(x.dtype, x.dims);
  const out = y.data as FloatArray;
  const sq = new Float64Array(plane);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      sq.fill(0);
      for (let k = Math.max(0, c - before); k <= Math.min(C - 1, c + after); k++) {
        const b = (n * C + k) * plane;
        for (let i = 0; i < plane; i++) sq[i] += src[b + i] * src[b + i];
      }
      const b = (n * C + c) * plane;
      for (let i = 0; i < plane; i++) out[b + i] = src[b + i] / (bias + (alpha / size) * sq[i]) ** beta;
    }
  }
  ctx.report({ kernel: `ts_lrn_${x.dtype}`, isa: 'scalar', flops: x.size * (2 * size + 3) });
  return [roundNarrow(y)];
};

const meanVarianceNormalization: OpImpl = (ctx, inputs) => {
  const x = floatInput(inputs, 0, 'MeanVarianceNormalization input');
  const axes = normalizeAxes(ctx.attrs.ints('axes', [0, 2, 3]), x.rank, 'MeanVarianceNormalization');
  const mean = reduceToDoubles(x, axes, 'mean');
  const meanSq = reduceToDoubles(x, axes, 'sumsq');
  const count = product(axes.map((a) => x.dims[a]));
  const statDims = x.dims.map((d, i) => (axes.includes(i) ? 1 : d));
  const map = broadcastOffsets(statDims, x.dims);
  const src = x.data as FloatArray;
  const y = new Tensor(x.dtype, x.dims);
  const out = y.data as FloatArray;
  // The ONNX function divides by sqrt(E[x^2] - E[x]^2) + 1e-9.
  const std = new Float64Array(mean.length);
  for (let i = 0; i < mean.length; i++) std[i] = Math.sqrt(Math.max(0, meanSq[i] / count - mean[i] * mean[i])) + 1e-9;
  for (let i = 0; i < out.length; i++) {
    const s = map ? map[i] : i;
    out[i] = (src[i] - mean[s]) / std[s];
  }
  ctx.report({ kernel: `ts_mvn_${x.dtype}`, isa: 'scalar', flops: 4 * x.size });
  return [roundNarrow(y)];
};

const lpNormalization: OpImpl = (ctx, inputs) => {
  const x = floatInput(inputs, 0, 'LpNormalization input');
  const axis = normalizeAxis(ctx.attrs.int('axis', -1), x.rank, 'LpNormalization axis');
  const p = ctx.attrs.int('p', 2);
  if (p !== 1 && p !== 2) throw new OpError(`LpNormalization p must be 1 or 2, got ${p}`);
  const { outer, reduced, inner } = axisLayout(x.dims, axis);
  const src = x.data as FloatArray;
  const y = new Tensor(x.dtype, x.dims);
  const out = y.data as FloatArray;
  const norm = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const b0 = o * reduced * inner;
    norm.fill(0);
    for (let r = 0, base = b0; r < reduced; r++, base += inner) {
      if (p === 1) for (let i = 0; i < inner; i++) norm[i] += Math.abs(src[base + i]);
      else for (let i = 0; i < inner; i++) norm[i] += src[base + i] * src[base + i];
    }
    // A zero vector stays zero (the reference yields 0 there, not 0/0).
    for (let i = 0; i < inner; i++) norm[i] = norm[i] === 0 ? 0 : 1 / (p === 2 ? Math.sqrt(norm[i]) : norm[i]);
    for (let r = 0, base = b0; r < reduced; r++, base += inner) {
      for (let i = 0; i < inner; i++) out[base + i] = src[base + i] * norm[i];
    }
  }
  ctx.report({ kernel: `ts_lpnorm_${x.dtype}`, isa: 'scalar', flops: 3 * x.size });
  return [roundNarrow(y)];
};

export const ops: OpEntry[] = [
  { op: 'BatchNormalization', domain: '', since: 1, impl: batchNormalization },
  { op: 'LayerNormalization', domain: '', since: 17, impl: layerNormalization },
  // The graph compiler's fused form for models below opset 17 (onnxruntime's fusions make the same).
  { op: 'LayerNormalization', domain: 'com.microsoft', since: 1, impl: layerNormalization },
  { op: 'InstanceNormalization', domain: '', since: 1, impl: instanceNormalization },
  { op: 'GroupNormalization', domain: '', since: 18, impl: groupNormalization },
  { op: 'LRN', domain: '', since: 1, impl: lrn },
  { op: 'MeanVarianceNormalization', domain: '', since: 9, impl: meanVarianceNormalization },
  { op: 'LpNormalization', domain: '', since: 1, impl: lpNormalization },
];
