// QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear: per-tensor, per-axis and blocked.
import { Tensor, dtypeFromOnnx, roundToFloat16, roundToBfloat16, type DType } from '../../tensor.js';
import { normalizeAxis, product } from '../util.js';
import { OpError, optionalTensor, tensorInput, type OpContext, type OpEntry, type Value } from '../types.js';

/** Saturation ranges of the integer types a quantized tensor may have. */
export const QUANT_RANGES: Partial<Record<DType, [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
};

/** Round half to even, as numpy's rint and the ONNX spec require. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  // Math.round rounds .5 up; step back when that landed on an odd number from an exact tie.
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** A rounding function that mimics arithmetic carried out in `dtype`. */
export function precisionRounder(dtype: DType): (v: number) => number {
  if (dtype === 'float16') return roundToFloat16;
  if (dtype === 'bfloat16') return roundToBfloat16;
  if (dtype === 'float64') return (v) => v;
  return Math.fround;
}

/**
 * How a scale/zero-point tensor maps onto the elements of the quantized tensor. Element
 * (outer o, axis index j, inner k) reads parameter `o*outerStride + floor(j/block)*axisStride + k*innerStride`.
 */
interface ParamLayout {
  outer: number;
  axisLen: number;
  inner: number;
  block: number;
  outerStride: number;
  axisStride: number;
  innerStride: number;
}

function paramLayout(op: string, x: Tensor, scale: Tensor, axisAttr: number, blockSize: number): ParamLayout {
  const rank = x.rank;
  if (scale.size === 1 && blockSize === 0) {
    return { outer: 1, axisLen: 1, inner: x.size, block: 1, outerStride: 0, axisStride: 0, innerStride: 0 };
  }
  const axis = normalizeAxis(axisAttr, rank, `${op} axis`);
  const outer = product(x.dims, 0, axis);
  const axisLen = x.dims[axis];
  const inner = product(x.dims, axis + 1);
  if (blockSize === 0) {
    if (scale.rank !== 1 || scale.size !== axisLen) {
      throw new OpError(
        `${op}: per-axis scale must be 1-D of length ${axisLen} (axis ${axis} of [${x.dims.join(',')}]), got [${scale.dims.join(',')}]`,
      );
    }
    return { outer, axisLen, inner, block: 1, outerStride: 0, axisStride: 1, innerStride: 0 };
  }
  if (blockSize < 0) throw new OpError(`${op}: block_size ${blockSize} must be positive`);
  const blocks = Math.ceil(axisLen / blockSize);
  const ok = scale.rank === rank && scale.dims.every((d, i) => (i === axis ? d === blocks : d === x.dims[i]));
  if (!ok)
    throw new OpError(
      `${op}: blocked scale must have shape [${x.dims.map((d, i) => (i === axis ? blocks : d)).join(',')}], got [${scale.dims.join(',')}]`,
    );
  return { outer, axisLen, inner, block: blockSize, outerStride: blocks * inner, axisStride: inner, innerStride: 1 };
}

function requireSameShape(op: string, scale: Tensor, zp: Tensor | undefined): void {
  if (zp && (zp.rank !== scale.rank || zp.dims.some((d, i) => d !== scale.dims[i]))) {
    throw new OpError(`${op}: zero point shape [${zp.dims.join(',')}] differs from scale shape [${scale.dims.join(',')}]`);
  }
}

function numericData(t: Tensor, what: string): ArrayLike<number> {
  const d = t.data;
  if (Array.isArray(d) || d instanceof BigInt64Array || d instanceof BigUint64Array)
    throw new OpError(`${what} of type ${t.dtype} is not supported here`);
  return d;
}

function quantizeLinear(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'x');
  const scale = tensorInput(inputs, 1, 'y_scale');
  const zp = optionalTensor(inputs, 2);
  const outputDtypeCode = ctx.attrs.int('output_dtype', 0);
  const outType: DType = zp ? zp.dtype : outputDtypeCode ? dtypeFromOnnx(outputDtypeCode) : 'uint8';
  if (zp && outputDtypeCode && dtypeFromOnnx(outputDtypeCode) !== zp.dtype) {
    throw new OpError(`QuantizeLinear output_dtype ${dtypeFromOnnx(outputDtypeCode)} differs from the zero point type ${zp.dtype}`);
  }
  if (outType === 'int32' || !QUANT_RANGES[outType]) throw new OpError(`QuantizeLinear cannot produce ${outType}`);
  requireSameShape('QuantizeLinear', scale, zp);
  const blockSize = ctx.opset >= 21 ? ctx.attrs.int('block_size', 0) : 0;
  const L = paramLayout('QuantizeLinear', x, scale, ctx.attrs.int('axis', 1), blockSize);
  const precisionCode = ctx.attrs.int('precision', 0);
  const round = precisionRounder(precisionCode ? dtypeFromOnnx(precisionCode) : x.dtype);
  const [lo, hi] = QUANT_RANGES[outType]!;
  const xd = numericData(x, 'x');
  const sd = numericData(scale, 'y_scale');
  const zd = zp ? numericData(zp, 'y_zero_point') : undefined;
  const out = new Tensor(outType, x.dims);
  const od = out.data as Int32Array;
  let i = 0;
  for (let o = 0; o < L.outer; o++) {
    for (let j = 0; j < L.axisLen; j++) {
      let p = o * L.outerStride + Math.floor(j / L.block) * L.axisStride;
      for (let k = 0; k < L.inner; k++, i++, p += L.innerStride) {
        let q = roundHalfEven(round(xd[i] / sd[p]));
        if (zd) q += zd[p];
        od[i] = q < lo ? lo : q > hi ? hi : Number.isNaN(q) ? 0 : q;
      }
    }
  }
  ctx.report({ kernel: `ts_quantize_${x.dtype}_${outType}`, isa: 'scalar', flops: x.size * 2 });
  return [out];
}

function dequantizeLinear(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'x');
  const scale = tensorInput(inputs, 1, 'x_scale');
  const zp = optionalTensor(inputs, 2);
  if (zp && zp.dtype !== x.dtype) throw new OpError(`DequantizeLinear zero point type ${zp.dtype} differs from x type ${x.dtype}`);
  if (x.dtype === 'int32' && zp && Array.from(numericData(zp, 'x_zero_point')).some((v) => v !== 0)) {
    throw new OpError('DequantizeLinear with int32 input needs a zero point of 0');
  }
  requireSameShape('DequantizeLinear', scale, zp);
  const outputDtypeCode = ctx.attrs.int('output_dtype', 0);
  const outType: DType = outputDtypeCode ? dtypeFromOnnx(outputDtypeCode) : scale.dtype;
  if (outType !== 'float32' && outType !== 'float16' && outType !== 'bfloat16' && outType !== 'float64') {
    throw new OpError(`DequantizeLinear cannot produce ${outType}`);
  }
  const blockSize = ctx.opset >= 21 ? ctx.attrs.int('block_size', 0) : 0;
  const L = paramLayout('DequantizeLinear', x, scale, ctx.attrs.int('axis', 1), blockSize);
  const round = precisionRounder(outType);
  const xd = numericData(x, 'x');
  const sd = numericData(scale, 'x_scale');
  const zd = zp ? numericData(zp, 'x_zero_point') : undefined;
  const out = new Tensor(outType, x.dims);
  const od = out.data as Float32Array;
  let i = 0;
  for (let o = 0; o < L.outer; o++) {
    for (let j = 0; j < L.axisLen; j++) {
      let p = o * L.outerStride + Math.floor(j / L.block) * L.axisStride;
      for (let k = 0; k < L.inner; k++, i++, p += L.innerStride) {
        od[i] = round((zd ? xd[i] - zd[p] : xd[i]) * sd[p]);
      }
    }
  }
  ctx.report({ kernel: `ts_dequantize_${x.dtype}_${outType}`, isa: 'scalar', flops: x.size * 2 });
  return [out];
}

function dynamicQuantizeLinear(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'x');
  if (x.dtype !== 'float32') throw new OpError(`DynamicQuantizeLinear needs float32 input, got ${x.dtype}`);
  const xd = x.data as Float32Array;
  // The range always includes 0 so that 0 is exactly representable.
  let min = 0;
  let max = 0;
  for (let i = 0; i < xd.length; i++) {
    const v = xd[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const scale = Math.fround(Math.fround(max - min) / 255);
  const zpValue = scale === 0 ? 0 : Math.min(255, Math.max(0, roundHalfEven(Math.fround(-min / scale))));
  const y = new Tensor('uint8', x.dims);
  const yd = y.data as Uint8Array;
  if (scale !== 0) {
    for (let i = 0; i < xd.length; i++) {
      const q = roundHalfEven(Math.fround(xd[i] / scale)) + zpValue;
      yd[i] = q < 0 ? 0 : q > 255 ? 255 : q;
    }
  }
  ctx.report({ kernel: 'ts_dynamic_quantize_f32_u8', isa: 'scalar', flops: x.size * 4 });
  return [y, new Tensor('float32', [], Float32Array.of(scale)), new Tensor('uint8', [], Uint8Array.of(zpValue))];
}

export const ops: OpEntry[] = [
  { op: 'QuantizeLinear', domain: '', since: 10, impl: quantizeLinear },
  { op: 'DequantizeLinear', domain: '', since: 10, impl: dequantizeLinear },
  { op: 'DynamicQuantizeLinear', domain: '', since: 11, impl: dynamicQuantizeLinear },
];
