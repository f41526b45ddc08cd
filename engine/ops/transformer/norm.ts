// RMS and layer normalization for transformer blocks: ONNX RMSNormalization (opset 23) and the
// com.microsoft fused forms (SimplifiedLayerNormalization, Skip[Simplified]LayerNormalization).
import { Tensor, roundToFloat16, roundToBfloat16 } from '../../tensor.js';
import { broadcastOffsets, normalizeAxis, product } from '../util.js';
import { OpError, optionalTensor, tensorInput, type OpContext, type OpEntry, type Value } from '../types.js';
import { nativeLayerNorm } from '../elementwise/native-dispatch.js';

function floatData(op: string, t: Tensor, what: string): Float32Array {
  if (t.dtype === 'float32' || t.dtype === 'float16' || t.dtype === 'bfloat16') return t.data as Float32Array;
  if (t.dtype === 'float64') return Float32Array.from(t.data as Float64Array);
  throw new OpError(`${op}: ${what} must be a float tensor, got ${t.dtype}`);
}

/** A per-column parameter (scale/bias) broadcast over the normalized dims, as a dense array of `cols` values. */
function columnParam(op: string, t: Tensor | undefined, normDims: readonly number[], what: string): Float32Array | undefined {
  if (!t) return undefined;
  const d = floatData(op, t, what);
  if (t.rank > normDims.length)
    throw new OpError(`${op}: ${what} [${t.dims.join(',')}] has higher rank than the normalized shape [${normDims.join(',')}]`);
  for (let i = 0; i < t.rank; i++) {
    const nd = normDims[normDims.length - t.rank + i];
    if (t.dims[i] !== 1 && t.dims[i] !== nd)
      throw new OpError(`${op}: ${what} [${t.dims.join(',')}] does not broadcast to [${normDims.join(',')}]`);
  }
  const offsets = broadcastOffsets(t.dims, normDims);
  if (!offsets) return d;
  const out = new Float32Array(offsets.length);
  for (let i = 0; i < out.length; i++) out[i] = d[offsets[i]];
  return out;
}

function roundOut(t: Tensor): Tensor {
  if (t.dtype === 'float16' || t.dtype === 'bfloat16') {
    const d = t.data as Float32Array;
    const round = t.dtype === 'float16' ? roundToFloat16 : roundToBfloat16;
    for (let i = 0; i < d.length; i++) d[i] = round(d[i]);
  }
  return t;
}

interface NormResult {
  y: Tensor;
  mean: Float32Array;
  invStd: Float32Array;
}

/**
 * Normalizes rows of `cols` values: (x - mean) / sqrt(var + eps) for layer norm, x / sqrt(mean(x^2) + eps)
 * for RMS norm, then applies scale and bias. Eager float32 runs on the native layernorm_f32 kernel
 * (reporting it); otherwise the TypeScript loop runs and the caller reports.
 */
function normalizeRows(
  ctx: OpContext,
  x: Tensor,
  xd: Float32Array,
  cols: number,
  rms: boolean,
  eps: number,
  scale: Float32Array | undefined,
  bias: Float32Array | undefined,
  flops: number,
): NormResult & { native: boolean } {
  if (x.dtype === 'float32') {
    const fast = nativeLayerNorm(ctx, xd, x.dims, cols, { rms, epsilon: eps, scale, bias, flops });
    if (fast) return { y: fast.y, mean: fast.mean, invStd: fast.invStdDev, native: true };
  }
  return { ...normalizeRowsTs(x, xd, cols, rms, eps, scale, bias), native: false };
}

function normalizeRowsTs(
  x: Tensor,
  xd: Float32Array,
  cols: number,
  rms: boolean,
  eps: number,
  scale: Float32Array | undefined,
  bias: Float32Array | undefined,
): NormResult {
  const rows = cols ? x.size / cols : 0;
  const y = new Tensor(x.dtype === 'float64' ? 'float32' : x.dtype, x.dims);
  const yd = y.data as Float32Array;
  const mean = new Float32Array(rows);
  const invStd = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = 0;
    if (!rms) {
      for (let c = 0; c < cols; c++) m += xd[o + c];
      m /= cols;
    }
    let v = 0;
    for (let c = 0; c < cols; c++) {
      const dv = xd[o + c] - m;
      v += dv * dv;
    }
    const inv = 1 / Math.sqrt(v / cols + eps);
    mean[r] = m;
    invStd[r] = inv;
    for (let c = 0; c < cols; c++) {
      let val = (xd[o + c] - m) * inv;
      if (scale) val *= scale[c];
      if (bias) val += bias[c];
      yd[o + c] = val;
    }
  }
  roundOut(y);
  return { y, mean, invStd };
}

function rmsNormalization(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'X');
  const scale = tensorInput(inputs, 1, 'scale');
  const axis = normalizeAxis(ctx.attrs.int('axis', -1), x.rank, 'RMSNormalization axis');
  const normDims = x.dims.slice(axis);
  const r = normalizeRows(
    ctx,
    x,
    floatData('RMSNormalization', x, 'X'),
    product(normDims),
    true,
    ctx.attrs.float('epsilon', 1e-5),
    columnParam('RMSNormalization', scale, normDims, 'scale'),
    undefined,
    4,
  );
  if (!r.native) ctx.report({ kernel: `ts_rms_norm_${x.dtype}`, isa: 'scalar', flops: 4 * x.size });
  return [r.y];
}

/** Shape [...outer, 1...] of the per-row statistics outputs. */
function statDims(x: Tensor, axis: number): number[] {
  return x.dims.map((d, i) => (i < axis ? d : 1));
}

function simplifiedLayerNorm(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'X');
  const scale = tensorInput(inputs, 1, 'scale');
  const axis = normalizeAxis(ctx.attrs.int('axis', -1), x.rank, 'SimplifiedLayerNormalization axis');
  const normDims = x.dims.slice(axis);
  const op = 'SimplifiedLayerNormalization';
  const r = normalizeRows(
    ctx,
    x,
    floatData(op, x, 'X'),
    product(normDims),
    true,
    ctx.attrs.float('epsilon', 1e-5),
    columnParam(op, scale, normDims, 'scale'),
    undefined,
    4,
  );
  if (!r.native) ctx.report({ kernel: `ts_rms_norm_${x.dtype}`, isa: 'scalar', flops: 4 * x.size });
  return [r.y, new Tensor('float32', statDims(x, axis), r.invStd)];
}

/** Skip[Simplified]LayerNormalization: normalizes input + skip (+ bias) over the last dim. */
function skipNorm(rms: boolean) {
  const op = rms ? 'SkipSimplifiedLayerNormalization' : 'SkipLayerNormalization';
  return (ctx: OpContext, inputs: (Value | undefined)[]): Value[] => {
    const x = tensorInput(inputs, 0, 'input');
    const skip = tensorInput(inputs, 1, 'skip');
    const gamma = tensorInput(inputs, 2, 'gamma');
    const beta = rms ? undefined : optionalTensor(inputs, 3);
    const bias = optionalTensor(inputs, rms ? 3 : 4);
    if (x.rank < 1) throw new OpError(`${op}: input must have rank >= 1`);
    const cols = x.dims[x.rank - 1];
    const xd = floatData(op, x, 'input');
    const sd = floatData(op, skip, 'skip');
    if (skip.size === 0 || x.size % skip.size !== 0 || skip.dims[skip.rank - 1] !== cols)
      throw new OpError(`${op}: skip [${skip.dims.join(',')}] does not fit input [${x.dims.join(',')}]`);
    const bd = columnParam(op, bias, [cols], 'bias');
    const sum = new Float32Array(x.size);
    for (let i = 0; i < sum.length; i++) sum[i] = xd[i] + sd[i % skip.size] + (bd ? bd[i % cols] : 0);
    const r = normalizeRows(
      ctx,
      x,
      sum,
      cols,
      rms,
      ctx.attrs.float('epsilon', 1e-12),
      columnParam(op, gamma, [cols], 'gamma'),
      columnParam(op, beta, [cols], 'beta'),
      6,
    );
    const stats = statDims(x, x.rank - 1);
    if (!r.native) ctx.report({ kernel: `ts_skip_${rms ? 'rms' : 'layer'}_norm_${x.dtype}`, isa: 'scalar', flops: 6 * x.size });
    return [
      r.y,
      new Tensor('float32', stats, r.mean),
      new Tensor('float32', stats, r.invStd),
      roundOut(new Tensor(r.y.dtype, x.dims, sum)),
    ];
  };
}

export const ops: OpEntry[] = [
  { op: 'RMSNormalization', domain: '', since: 23, impl: rmsNormalization },
  // onnxruntime registers SimplifiedLayerNormalization in the default domain (its exporters emit it there).
  { op: 'SimplifiedLayerNormalization', domain: '', since: 1, impl: simplifiedLayerNorm },
  { op: 'SimplifiedLayerNormalization', domain: 'com.microsoft', since: 1, impl: simplifiedLayerNorm },
  { op: 'SkipLayerNormalization', domain: 'com.microsoft', since: 1, impl: skipNorm(false) },
  { op: 'SkipSimplifiedLayerNormalization', domain: 'com.microsoft', since: 1, impl: skipNorm(true) },
];
