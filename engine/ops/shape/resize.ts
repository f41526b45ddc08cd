// Resize (opset 10-19+) and the deprecated Upsample. Each resized axis gets a plan of source
// taps and weights per output index; nearest without extrapolation is a pure gather (exact for
// every element type), the other modes run one separable float64 pass per axis.
import { Tensor, FLOAT_TYPES, MAX_ELEMENTS, stridesOf } from '../../tensor.js';
import { OpError, tensorInput, optionalTensor, type OpContext, type OpEntry, type Value } from '../types.js';
import { normalizeAxis, product } from '../util.js';
import { gatherView } from './move.js';

type Mode = 'nearest' | 'linear' | 'cubic';
type NearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil' | 'simple';
type CoordMode = 'half_pixel' | 'half_pixel_symmetric' | 'pytorch_half_pixel' | 'align_corners' | 'asymmetric' | 'tf_crop_and_resize';

interface ResizeOptions {
  mode: Mode;
  nearest: NearestMode;
  coord: CoordMode;
  cubicA: number;
  excludeOutside: boolean;
  extrapolation: number;
  antialias: boolean;
}

/** Per output index along one axis: `taps` source indices and weights; `outside` marks extrapolated outputs. */
interface AxisPlan {
  inLen: number;
  outLen: number;
  taps: number;
  index: Int32Array;
  weight: Float64Array;
  outside: Uint8Array | null;
}

function sourceCoordinate(o: ResizeOptions, x: number, scale: number, inLen: number, outLen: number, roi: [number, number]): number {
  const outWidth = scale * inLen;
  switch (o.coord) {
    case 'align_corners':
      return outWidth === 1 ? 0 : (x * (inLen - 1)) / (outWidth - 1);
    case 'asymmetric':
      return x / scale;
    case 'tf_crop_and_resize': {
      const span = roi[1] - roi[0];
      const base = roi[0] * (inLen - 1);
      return outWidth === 1 ? (span * (inLen - 1)) / 2 + base : (x * span * (inLen - 1)) / (outWidth - 1) + base;
    }
    case 'pytorch_half_pixel':
      return outWidth === 1 ? -0.5 : (x + 0.5) / scale - 0.5;
    case 'half_pixel_symmetric': {
      const adjustment = outLen / outWidth;
      const offset = (inLen / 2) * (1 - adjustment);
      return offset + (x + 0.5) / scale - 0.5;
    }
    default:
      return (x + 0.5) / scale - 0.5;
  }
}

function cubicWeight(t: number, a: number): number {
  const s = Math.abs(t);
  if (s <= 1) return ((a + 2) * s - (a + 3)) * s * s + 1;
  if (s < 2) return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a;
  return 0;
}

function nearestIndex(mode: NearestMode, x: number, downsampling: boolean): number {
  switch (mode) {
    case 'floor':
      return Math.floor(x);
    case 'ceil':
      return Math.ceil(x);
    case 'simple':
      // Upsample and opset-10 Resize: truncate when enlarging, round up when shrinking.
      return downsampling ? Math.ceil(x) : Math.trunc(x);
    case 'round_prefer_ceil':
      return Math.floor(x + 0.5);
    default:
      return Math.ceil(x - 0.5);
  }
}

function planAxis(o: ResizeOptions, inLen: number, outLen: number, scale: number, roi: [number, number]): AxisPlan {
  // Filters stretch by 1/scale when antialiasing a downsample.
  const fs = o.antialias && scale < 1 ? scale : 1;
  const radius = o.mode === 'cubic' ? 2 : 1;
  const start = o.mode === 'nearest' ? 0 : Math.floor(-radius / fs) + 1;
  const taps = o.mode === 'nearest' ? 1 : 2 - 2 * start;
  const index = new Int32Array(outLen * taps);
  const weight = new Float64Array(outLen * taps);
  let outside: Uint8Array | null = null;
  for (let i = 0; i < outLen; i++) {
    const x = sourceCoordinate(o, i, scale, inLen, outLen, roi);
    if (o.coord === 'tf_crop_and_resize' && (x < 0 || x > inLen - 1)) {
      outside ??= new Uint8Array(outLen);
      outside[i] = 1;
      index[i * taps] = 0;
      continue;
    }
    if (o.mode === 'nearest') {
      index[i] = Math.min(Math.max(nearestIndex(o.nearest, x, scale < 1), 0), inLen - 1);
      weight[i] = 1;
      continue;
    }
    // x0 = ceil(x) - 1 keeps the fractional part in (0, 1], matching the reference's tap window.
    const x0 = Math.ceil(x) - 1;
    let sum = 0;
    for (let t = 0; t < taps; t++) {
      const idx = x0 + start + t;
      const arg = (idx - x) * fs;
      let w = o.mode === 'cubic' ? cubicWeight(arg, o.cubicA) : Math.max(0, 1 - Math.abs(arg));
      if (o.excludeOutside && (idx < 0 || idx >= inLen)) w = 0;
      index[i * taps + t] = Math.min(Math.max(idx, 0), inLen - 1);
      weight[i * taps + t] = w;
      sum += w;
    }
    if ((o.antialias || o.excludeOutside) && sum !== 0) for (let t = 0; t < taps; t++) weight[i * taps + t] /= sum;
  }
  return { inLen, outLen, taps, index, weight, outside };
}

function isIdentity(p: AxisPlan): boolean {
  if (p.inLen !== p.outLen || p.outside) return false;
  for (let i = 0; i < p.outLen; i++) {
    for (let t = 0; t < p.taps; t++) {
      const w = p.weight[i * p.taps + t];
      if (w !== 0 && (w !== 1 || p.index[i * p.taps + t] !== i)) return false;
    }
  }
  return true;
}

/** One separable pass: [outer, inLen, inner] -> [outer, outLen, inner]. */
function resampleAxis(src: Float64Array, outer: number, inner: number, p: AxisPlan, extrapolation: number): Float64Array {
  const dst = new Float64Array(outer * p.outLen * inner);
  const { taps, index, weight, outside } = p;
  if (inner === 1) {
    // Resizing the innermost axis: accumulate each output in a register.
    for (let o = 0; o < outer; o++) {
      const sBase = o * p.inLen;
      const dBase = o * p.outLen;
      for (let i = 0; i < p.outLen; i++) {
        if (outside && outside[i]) {
          dst[dBase + i] = extrapolation;
          continue;
        }
        let acc = 0;
        for (let t = i * taps, end = t + taps; t < end; t++) acc += weight[t] * src[sBase + index[t]];
        dst[dBase + i] = acc;
      }
    }
    return dst;
  }
  for (let o = 0; o < outer; o++) {
    const sBase = o * p.inLen * inner;
    for (let i = 0; i < p.outLen; i++) {
      const dBase = (o * p.outLen + i) * inner;
      if (outside && outside[i]) {
        dst.fill(extrapolation, dBase, dBase + inner);
        continue;
      }
      for (let t = 0; t < taps; t++) {
        const w = weight[i * taps + t];
        if (w === 0) continue;
        const s = sBase + index[i * taps + t] * inner;
        for (let j = 0; j < inner; j++) dst[dBase + j] += w * src[s + j];
      }
    }
  }
  return dst;
}

export function resizeTensor(x: Tensor, outDims: number[], scales: number[], o: ResizeOptions, roi: [number, number][]): Tensor {
  if (x.dtype === 'string' || x.dtype === 'bool') throw new OpError(`Resize does not support ${x.dtype} input`);
  // Check the output size before the per-axis plans allocate anything proportional to it.
  if (outDims.some((d) => !Number.isInteger(d) || d < 0) || outDims.reduce((a, b) => a * b, 1) > MAX_ELEMENTS) {
    throw new OpError(`output shape [${outDims.join(',')}] is invalid or over the limit of ${MAX_ELEMENTS} elements`);
  }
  const plans = x.dims.map((d, k) => planAxis(o, d, outDims[k], scales[k], roi[k]));
  if (outDims.some((d, k) => d > 0 && x.dims[k] === 0)) throw new OpError('cannot resize an empty axis to a non-empty one');
  if (o.mode === 'nearest' && plans.every((p) => !p.outside)) {
    const s = stridesOf(x.dims);
    return gatherView(x, outDims, plans.map((p, k) => ({ src: 0, table: p.index.map((v) => v * s[k]) })));
  }
  let data: Float64Array = x.data instanceof BigInt64Array || x.data instanceof BigUint64Array ? Float64Array.from(x.toNumbers()) : new Float64Array(x.data as Float32Array);
  let dims = x.dims.slice();
  for (let k = 0; k < dims.length; k++) {
    if (isIdentity(plans[k])) continue;
    data = resampleAxis(data, product(dims, 0, k), product(dims, k + 1), plans[k], o.extrapolation);
    dims = dims.slice();
    dims[k] = outDims[k];
  }
  // Integer images (uint8 and friends) take the nearest value rather than a truncated one.
  if (!FLOAT_TYPES.has(x.dtype)) for (let i = 0; i < data.length; i++) data[i] = Math.round(data[i]);
  if (x.dtype === 'float32' || x.dtype === 'float64') {
    const out = new Tensor(x.dtype, outDims);
    (out.data as Float32Array).set(data);
    return out;
  }
  return Tensor.fromNumbers(x.dtype, outDims, data);
}

function optionsFrom(ctx: OpContext): ResizeOptions {
  const a = ctx.attrs;
  const mode = a.string('mode', 'nearest');
  if (mode !== 'nearest' && mode !== 'linear' && mode !== 'cubic' && !(mode === 'bilinear' && ctx.node.opType === 'Upsample')) {
    throw new OpError(`mode '${mode}' is not supported`);
  }
  const legacy = ctx.node.opType === 'Upsample' || ctx.opset < 11;
  const coord = legacy ? 'asymmetric' : a.string('coordinate_transformation_mode', 'half_pixel');
  const coords: CoordMode[] = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_crop_and_resize'];
  if (ctx.opset >= 19) coords.push('half_pixel_symmetric');
  if (!coords.includes(coord as CoordMode)) throw new OpError(`coordinate_transformation_mode '${coord}' is not supported at opset ${ctx.opset}`);
  const nearest = legacy ? 'simple' : a.string('nearest_mode', 'round_prefer_floor');
  if (!['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil', 'simple'].includes(nearest)) throw new OpError(`nearest_mode '${nearest}' is not supported`);
  return {
    mode: mode === 'bilinear' ? 'linear' : (mode as Mode),
    nearest: nearest as NearestMode,
    coord: coord as CoordMode,
    cubicA: a.float('cubic_coeff_a', -0.75),
    excludeOutside: a.int('exclude_outside', 0) !== 0,
    extrapolation: a.float('extrapolation_value', 0),
    antialias: ctx.opset >= 18 && a.int('antialias', 0) !== 0,
  };
}

function resize(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0);
  const o = optionsFrom(ctx);
  const rank = x.rank;
  const axes = ctx.opset >= 18 && ctx.attrs.has('axes') ? ctx.attrs.ints('axes', []).map((v) => normalizeAxis(v, rank)) : x.dims.map((_, i) => i);
  const roiT = ctx.opset >= 11 ? optionalTensor(inputs, 1) : undefined;
  const scalesT = optionalTensor(inputs, ctx.opset >= 11 ? 2 : 1);
  const sizesT = ctx.opset >= 11 ? optionalTensor(inputs, 3) : undefined;
  const roi: [number, number][] = x.dims.map(() => [0, 1]);
  if (roiT && roiT.size > 0 && o.coord === 'tf_crop_and_resize') {
    if (roiT.size !== 2 * axes.length) throw new OpError(`roi has ${roiT.size} entries, expected ${2 * axes.length}`);
    axes.forEach((a, i) => (roi[a] = [roiT.num(i), roiT.num(i + axes.length)]));
  }
  const scales = x.dims.map(() => 1);
  const outDims = x.dims.slice();
  if (scalesT && scalesT.size > 0) {
    if (sizesT && sizesT.size > 0) throw new OpError('Resize takes scales or sizes, not both');
    if (scalesT.size !== axes.length) throw new OpError(`scales has ${scalesT.size} entries, expected ${axes.length}`);
    axes.forEach((a, i) => {
      const s = scalesT.num(i);
      if (!(s > 0) || !Number.isFinite(s)) throw new OpError(`scale ${s} must be positive`);
      scales[a] = s;
      const span = o.coord === 'tf_crop_and_resize' ? roi[a][1] - roi[a][0] : 1;
      outDims[a] = Math.floor(x.dims[a] * span * s);
    });
  } else if (sizesT && sizesT.size > 0) {
    if (sizesT.size !== axes.length) throw new OpError(`sizes has ${sizesT.size} entries, expected ${axes.length}`);
    const sizes = sizesT.toNumbers();
    if (sizes.some((v) => !Number.isInteger(v) || v < 0)) throw new OpError(`sizes [${sizes.join(',')}] must be non-negative integers`);
    const policy = ctx.opset >= 18 ? ctx.attrs.string('keep_aspect_ratio_policy', 'stretch') : 'stretch';
    if (policy === 'stretch') {
      axes.forEach((a, i) => {
        outDims[a] = sizes[i];
        scales[a] = sizes[i] / x.dims[a];
      });
    } else if (policy === 'not_larger' || policy === 'not_smaller') {
      const ratios = axes.map((a, i) => sizes[i] / x.dims[a]);
      const s = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
      axes.forEach((a) => {
        scales[a] = s;
        outDims[a] = Math.floor(s * x.dims[a] + 0.5);
      });
    } else throw new OpError(`keep_aspect_ratio_policy '${policy}' is not supported`);
  } else throw new OpError('Resize needs scales or sizes');
  ctx.report({ kernel: `ts_resize_${o.mode}_${x.dtype}`, isa: 'scalar' });
  return [resizeTensor(x, outDims, scales, o, roi)];
}

function upsample(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0);
  const o = optionsFrom(ctx);
  const scales = ctx.opset >= 9 ? tensorInput(inputs, 1, 'scales').toNumbers() : ctx.attrs.floats('scales');
  if (!scales || scales.length !== x.rank) throw new OpError(`scales must have one entry per input axis (${x.rank})`);
  if (scales.some((s) => !(s >= 1) || !Number.isFinite(s))) throw new OpError(`Upsample scales [${scales.join(',')}] must be >= 1`);
  const outDims = x.dims.map((d, k) => Math.floor(d * scales[k]));
  ctx.report({ kernel: `ts_resize_${o.mode}_${x.dtype}`, isa: 'scalar' });
  return [resizeTensor(x, outDims, scales, o, x.dims.map(() => [0, 1]))];
}

export const ops: OpEntry[] = [
  { op: 'Resize', domain: '', since: 10, impl: resize },
  { op: 'Upsample', domain: '', since: 7, until: 9, impl: upsample },
];
