// MaxUnpool (scatter pooled maxima back by index) and RoiAlign (bilinear region pooling).
import { FLOAT_TYPES, Tensor } from '../../tensor.js';
import { OpError, optionalTensor, tensorInput, type OpEntry, type OpImpl } from '../types.js';
import { product, roundNarrow } from '../util.js';
import { numericData, type NumArray } from '../reduce/common.js';

type FloatArray = Float32Array | Float64Array;

const MAX_SAMPLES = 1 << 24;

const maxUnpool: OpImpl = (ctx, inputs) => {
  const x = tensorInput(inputs, 0, 'MaxUnpool X');
  const src = numericData('MaxUnpool', x);
  const ind = tensorInput(inputs, 1, 'MaxUnpool I');
  if (x.rank < 3) throw new OpError(`MaxUnpool needs an input of shape [N, C, D1, ...], got [${x.dims.join(',')}]`);
  if (ind.size !== x.size) throw new OpError(`MaxUnpool indices shape [${ind.dims.join(',')}] differs from input shape [${x.dims.join(',')}]`);
  const n = x.rank - 2;
  const kernel = ctx.attrs.ints('kernel_shape');
  if (!kernel || kernel.length !== n) throw new OpError(`MaxUnpool needs kernel_shape with ${n} values`);
  const strides = ctx.attrs.ints('strides', new Array(n).fill(1));
  const pads = ctx.attrs.ints('pads', new Array(2 * n).fill(0));
  const natural = x.dims.slice(2).map((d, i) => (d - 1) * strides[i] - pads[i] - pads[i + n] + kernel[i]);
  const shapeT = optionalTensor(inputs, 2);
  const dims = shapeT ? shapeT.toNumbers() : [x.dims[0], x.dims[1], ...natural];
  if (dims.length !== x.rank || dims[0] !== x.dims[0] || dims[1] !== x.dims[1]) {
    throw new OpError(`MaxUnpool output_shape [${dims.join(',')}] does not match input [${x.dims.join(',')}]`);
  }
  const y = new Tensor(x.dtype, dims);
  const dst = y.data as unknown as { [i: number]: number | bigint };
  const s = src as unknown as { [i: number]: number | bigint };
  // Indices address the natural unpooled shape; an explicit output_shape keeps each element's
  // spatial coordinates and only widens the planes.
  const naturalPlane = product(natural);
  const outSpatial = dims.slice(2);
  const outPlane = product(outSpatial);
  const reshaped = outSpatial.some((d, i) => d !== natural[i]);
  const limit = x.dims[0] * x.dims[1] * naturalPlane;
  for (let i = 0; i < x.size; i++) {
    const at = ind.num(i);
    if (!Number.isInteger(at) || at < 0 || at >= limit) throw new OpError(`MaxUnpool index ${at} is out of range for ${limit} unpooled elements`);
    let target = at;
    if (reshaped) {
      const plane = Math.floor(at / naturalPlane);
      let rest = at - plane * naturalPlane;
      let within = 0;
      for (let d = 0; d < n; d++) {
        const stride = product(natural, d + 1);
        const coord = Math.floor(rest / stride);
        rest -= coord * stride;
        if (coord >= outSpatial[d]) throw new OpError(`MaxUnpool index ${at} falls outside output_shape [${dims.join(',')}]`);
        within = within * outSpatial[d] + coord;
      }
      target = plane * outPlane + within;
    }
    dst[target] = s[i];
  }
  return [y];
};

/** Four neighbour offsets and bilinear weights of one sample point (weights 0 outside the map). */
interface Sample {
  o1: number;
  o2: number;
  o3: number;
  o4: number;
  w1: number;
  w2: number;
  w3: number;
  w4: number;
}

function bilinearSample(y: number, x: number, H: number, W: number): Sample {
  if (y < -1 || y > H || x < -1 || x > W) return { o1: 0, o2: 0, o3: 0, o4: 0, w1: 0, w2: 0, w3: 0, w4: 0 };
  if (y <= 0) y = 0;
  if (x <= 0) x = 0;
  let yLo = Math.floor(y);
  let xLo = Math.floor(x);
  let yHi: number;
  let xHi: number;
  if (yLo >= H - 1) {
    yHi = yLo = H - 1;
    y = yLo;
  } else yHi = yLo + 1;
  if (xLo >= W - 1) {
    xHi = xLo = W - 1;
    x = xLo;
  } else xHi = xLo + 1;
  const ly = y - yLo;
  const lx = x - xLo;
  const hy = 1 - ly;
  const hx = 1 - lx;
  return { o1: yLo * W + xLo, o2: yLo * W + xHi, o3: yHi * W + xLo, o4: yHi * W + xHi, w1: hy * hx, w2: hy * lx, w3: ly * hx, w4: ly * lx };
}

const roiAlign: OpImpl = (ctx, inputs) => {
  const x = tensorInput(inputs, 0, 'RoiAlign X');
  const rois = tensorInput(inputs, 1, 'RoiAlign rois');
  const batchIdx = tensorInput(inputs, 2, 'RoiAlign batch_indices');
  if (!FLOAT_TYPES.has(x.dtype) || !FLOAT_TYPES.has(rois.dtype)) throw new OpError('RoiAlign needs float X and rois');
  if (x.rank !== 4) throw new OpError(`RoiAlign needs X of shape [N, C, H, W], got [${x.dims.join(',')}]`);
  const numRois = rois.dims[0];
  if (rois.rank !== 2 || rois.dims[1] !== 4) throw new OpError(`RoiAlign rois must have shape [num_rois, 4], got [${rois.dims.join(',')}]`);
  if (batchIdx.size !== numRois) throw new OpError(`RoiAlign batch_indices has ${batchIdx.size} values for ${numRois} rois`);
  const mode = ctx.attrs.string('mode', 'avg');
  if (mode !== 'avg' && mode !== 'max') throw new OpError(`RoiAlign mode '${mode}' is not avg or max`);
  const OH = ctx.attrs.int('output_height', 1);
  const OW = ctx.attrs.int('output_width', 1);
  const ratio = ctx.attrs.int('sampling_ratio', 0);
  const scale = ctx.attrs.float('spatial_scale', 1);
  if (OH < 1 || OW < 1) throw new OpError(`RoiAlign output size ${OH}x${OW} must be positive`);
  // Opset 10 had no coordinate_transformation_mode and behaved as output_half_pixel.
  const halfPixel = ctx.opset >= 16 && ctx.attrs.string('coordinate_transformation_mode', 'half_pixel') === 'half_pixel';
  const [N, C, H, W] = x.dims;
  const src = x.data as FloatArray;
  const box = rois.data as NumArray;
  const y = new Tensor(x.dtype, [numRois, C, OH, OW]);
  const out = y.data as FloatArray;
  const offset = halfPixel ? 0.5 : 0;
  for (let r = 0; r < numRois; r++) {
    const b = batchIdx.num(r);
    if (!Number.isInteger(b) || b < 0 || b >= N) throw new OpError(`RoiAlign batch index ${b} is out of range for batch of ${N}`);
    const x1 = box[r * 4] * scale - offset;
    const y1 = box[r * 4 + 1] * scale - offset;
    let roiW = box[r * 4 + 2] * scale - offset - x1;
    let roiH = box[r * 4 + 3] * scale - offset - y1;
    if (!halfPixel) {
      roiW = Math.max(roiW, 1);
      roiH = Math.max(roiH, 1);
    }
    const binH = roiH / OH;
    const binW = roiW / OW;
    const gridH = ratio > 0 ? ratio : Math.ceil(roiH / OH);
    const gridW = ratio > 0 ? ratio : Math.ceil(roiW / OW);
    const count = Math.max(gridH * gridW, 1);
    // Huge boxes with sampling_ratio 0 would ask for one sample per input pixel of an enormous region.
    if (!(OH * OW * count <= MAX_SAMPLES)) throw new OpError(`RoiAlign roi ${r} needs ${OH * OW * count} sample points, over the limit of ${MAX_SAMPLES}`);
    // Sample points are the same for every channel: compute them once per roi.
    const samples: Sample[] = [];
    for (let ph = 0; ph < OH; ph++)
      for (let pw = 0; pw < OW; pw++)
        for (let iy = 0; iy < gridH; iy++)
          for (let ix = 0; ix < gridW; ix++) {
            const sy = y1 + ph * binH + ((iy + 0.5) * binH) / gridH;
            const sx = x1 + pw * binW + ((ix + 0.5) * binW) / gridW;
            samples.push(bilinearSample(sy, sx, H, W));
          }
    const perBin = gridH * gridW;
    for (let c = 0; c < C; c++) {
      const base = (b * C + c) * H * W;
      const outBase = (r * C + c) * OH * OW;
      for (let bin = 0; bin < OH * OW; bin++) {
        let acc = 0;
        for (let k = bin * perBin, e = k + perBin; k < e; k++) {
          const s = samples[k];
          if (mode === 'avg') acc += s.w1 * src[base + s.o1] + s.w2 * src[base + s.o2] + s.w3 * src[base + s.o3] + s.w4 * src[base + s.o4];
          else {
            const v = Math.max(s.w1 * src[base + s.o1], s.w2 * src[base + s.o2], s.w3 * src[base + s.o3], s.w4 * src[base + s.o4]);
            acc = k === bin * perBin ? v : Math.max(acc, v);
          }
        }
        out[outBase + bin] = mode === 'avg' ? acc / count : acc;
      }
    }
  }
  ctx.report({ kernel: `ts_roialign_${mode}_${x.dtype}`, isa: 'scalar' });
  return [roundNarrow(y)];
};

export const ops: OpEntry[] = [
  { op: 'MaxUnpool', domain: '', since: 9, impl: maxUnpool },
  { op: 'RoiAlign', domain: '', since: 10, impl: roiAlign },
];
