// Cast, CastLike and Identity: conversions between every element type the engine holds.
import {
  Tensor,
  allocate,
  bfloat16BitsToNumber,
  dtypeFromOnnx,
  float16BitsToNumber,
  numberToBfloat16Bits,
  numberToFloat16Bits,
  roundToFloat16,
  roundToBfloat16,
  type DType,
  type TypedArray,
} from '../../tensor.js';
import { OpError, tensorInput, type OpContext, type OpEntry, type Value } from '../types.js';
import { isBig, isFloat, type BigArray, type NumArray } from './common.js';

/** Integer ranges for saturating float -> int conversion (C leaves overflow undefined; saturating is what Arm's FCVTZS does). */
const INT_RANGE: Partial<Record<DType, [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

/** Opset 1-5 named the target type with a string. */
const LEGACY_TYPE_NAMES: Record<string, DType> = {
  FLOAT: 'float32',
  FLOAT16: 'float16',
  DOUBLE: 'float64',
  INT8: 'int8',
  UINT8: 'uint8',
  INT16: 'int16',
  UINT16: 'uint16',
  INT32: 'int32',
  UINT32: 'uint32',
  INT64: 'int64',
  UINT64: 'uint64',
  BOOL: 'bool',
  STRING: 'string',
};

const F32 = new Float32Array(1);

/** Shortest decimal that reads back as the same float32 (what numpy prints for float32). */
function float32ToString(v: number): string {
  for (let p = 1; p < 9; p++) {
    const s = v.toPrecision(p);
    F32[0] = Number(s);
    if (F32[0] === v) return String(Number(s));
  }
  return String(v);
}

function numberToString(v: number, dtype: DType): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'INF';
  if (v === -Infinity) return '-INF';
  return dtype === 'float32' || dtype === 'float16' || dtype === 'bfloat16' ? float32ToString(v) : String(v);
}

/** ONNX spells infinities INF/+INF/-INF (also "inf", "Infinity" from other writers). */
function parseNumber(s: string): number {
  const t = s.trim();
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  return t === '' ? NaN : Number(t);
}

function floatToBigint(v: number, unsigned: boolean): bigint {
  if (Number.isNaN(v)) return 0n;
  const t = Math.trunc(v);
  if (unsigned) return t <= 0 ? 0n : t >= 2 ** 64 ? 2n ** 64n - 1n : BigInt(t);
  return t <= -(2 ** 63) ? -(2n ** 63n) : t >= 2 ** 63 ? 2n ** 63n - 1n : BigInt(t);
}

/** Converts numbers into a number-backed element type: round floats, saturate floats into ints, wrap ints. */
function numbersInto(src: ArrayLike<number>, srcIsFloat: boolean, to: DType, dst: NumArray): void {
  const n = src.length;
  if (to === 'float16' || to === 'bfloat16') {
    const round = to === 'float16' ? roundToFloat16 : roundToBfloat16;
    for (let i = 0; i < n; i++) dst[i] = round(src[i]);
  } else if (to === 'bool') {
    // NaN is truthy in C and numpy casts.
    for (let i = 0; i < n; i++) dst[i] = src[i] !== 0 ? 1 : 0;
  } else if (srcIsFloat && INT_RANGE[to]) {
    const [lo, hi] = INT_RANGE[to]!;
    for (let i = 0; i < n; i++) {
      const v = src[i];
      dst[i] = v !== v ? 0 : v <= lo ? lo : v >= hi ? hi : Math.trunc(v);
    }
  } else {
    for (let i = 0; i < n; i++) dst[i] = src[i];
  }
}

/** A tensor of element type `to` holding `t`'s values converted as ONNX Cast specifies. */
export function castTensor(t: Tensor, to: DType): Tensor {
  if (t.dtype === to) return t;
  const out = new Tensor(to, t.dims);
  const n = t.size;
  if (t.dtype === 'string') {
    const src = t.data as string[];
    if (isBig(to)) {
      const od = out.data as BigArray;
      for (let i = 0; i < n; i++) {
        const s = src[i].trim();
        od[i] = /^[+-]?\d+$/.test(s) ? BigInt(s) : floatToBigint(parseNumber(s), to === 'uint64');
      }
    } else {
      numbersInto(src.map(parseNumber), true, to, out.data as NumArray);
    }
    return out;
  }
  if (to === 'string') {
    const od = out.data as string[];
    if (isBig(t.dtype)) for (let i = 0; i < n; i++) od[i] = String(t.data[i]);
    else for (let i = 0; i < n; i++) od[i] = numberToString(t.data[i] as number, t.dtype);
    return out;
  }
  if (isBig(t.dtype)) {
    const src = t.data as BigArray;
    if (isBig(to)) {
      // Storing into the other 64-bit array reinterprets the two's-complement pattern.
      (out.data as BigArray).set(src);
      return out;
    }
    const od = out.data as NumArray;
    if (isFloat(to)) {
      numbersInto(Array.from(src, Number), false, to, od);
    } else if (to === 'bool') {
      for (let i = 0; i < n; i++) od[i] = src[i] !== 0n ? 1 : 0;
    } else {
      // Wrap to the low 32 bits first so int64 -> narrow int keeps exact C semantics.
      for (let i = 0; i < n; i++) od[i] = Number(BigInt.asIntN(32, src[i]));
    }
    return out;
  }
  const src = t.data as NumArray;
  if (isBig(to)) {
    const od = out.data as BigArray;
    const unsigned = to === 'uint64';
    if (isFloat(t.dtype)) for (let i = 0; i < n; i++) od[i] = floatToBigint(src[i], unsigned);
    else for (let i = 0; i < n; i++) od[i] = BigInt(src[i]);
    return out;
  }
  numbersInto(src, isFloat(t.dtype), to, out.data as NumArray);
  return out;
}

const BYTES: Partial<Record<DType, number>> = {
  bool: 1,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  float16: 2,
  bfloat16: 2,
  int32: 4,
  uint32: 4,
  float32: 4,
  int64: 8,
  uint64: 8,
  float64: 8,
};

/** The element bits of a tensor as they would be stored (float16/bfloat16 re-encoded from their decoded form). */
function storedBits(t: Tensor): TypedArray {
  if (t.dtype === 'float16' || t.dtype === 'bfloat16') {
    const encode = t.dtype === 'float16' ? numberToFloat16Bits : numberToBfloat16Bits;
    return Uint16Array.from(t.data as Float32Array, encode);
  }
  return t.data as TypedArray;
}

/** BitCast (opset 26): reinterprets each element's bits as another type of the same width. */
function bitCast(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'input');
  const to = castTarget(ctx);
  const from = BYTES[x.dtype];
  if (from === undefined || BYTES[to] === undefined) throw new OpError(`BitCast between ${x.dtype} and ${to} is not defined`);
  if (from !== BYTES[to]) throw new OpError(`BitCast needs types of one width: ${x.dtype} has ${from * 8} bits, ${to} ${BYTES[to]! * 8}`);
  const src = storedBits(x);
  const bytes = new Uint8Array(src.buffer, src.byteOffset, src.byteLength).slice();
  let data: TypedArray;
  if (to === 'float16' || to === 'bfloat16') {
    const decode = to === 'float16' ? float16BitsToNumber : bfloat16BitsToNumber;
    data = Float32Array.from(new Uint16Array(bytes.buffer), decode);
  } else {
    const Ctor = (allocate(to, 0) as TypedArray).constructor as new (b: ArrayBuffer) => TypedArray;
    data = new Ctor(bytes.buffer);
    // A bool holds only 0 or 1; any other byte pattern reads as true.
    if (to === 'bool') for (let i = 0; i < data.length; i++) data[i] = data[i] ? 1 : 0;
  }
  ctx.report({ kernel: `ts_bitcast_${x.dtype}_to_${to}`, isa: 'scalar' });
  return [new Tensor(to, x.dims, data)];
}

function castTarget(ctx: OpContext): DType {
  const legacy = ctx.attrs.has('to') && ctx.node.attrs.to.type === 'string' ? ctx.attrs.string('to') : undefined;
  if (legacy !== undefined) {
    const d = LEGACY_TYPE_NAMES[legacy.toUpperCase()];
    if (!d) throw new OpError(`Cast to '${legacy}' is not supported`);
    return d;
  }
  const code = ctx.attrs.int('to');
  if (code === undefined) throw new OpError(`Cast needs the attribute 'to'`);
  try {
    return dtypeFromOnnx(code);
  } catch (e) {
    throw new OpError(`Cast: ${(e as Error).message}`);
  }
}

function cast(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'input');
  const to = castTarget(ctx);
  ctx.report({ kernel: `ts_cast_${x.dtype}_to_${to}`, isa: 'scalar' });
  return [castTensor(x, to)];
}

function castLike(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'input');
  const like = tensorInput(inputs, 1, 'target_type');
  ctx.report({ kernel: `ts_cast_${x.dtype}_to_${like.dtype}`, isa: 'scalar' });
  return [castTensor(x, like.dtype)];
}

function identity(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const v = inputs[0];
  if (v === undefined) throw new OpError('Identity needs an input');
  // Values are never mutated after they are produced, so passing the same object on is safe.
  ctx.report({ kernel: 'ts_identity', isa: 'scalar' });
  return [v];
}

export const ops: OpEntry[] = [
  { op: 'Cast', domain: '', since: 1, impl: cast },
  { op: 'CastLike', domain: '', since: 15, impl: castLike },
  { op: 'Identity', domain: '', since: 1, impl: identity },
  { op: 'BitCast', domain: '', since: 26, impl: bitCast },
];
