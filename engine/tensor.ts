import { activePool } from './buffer-pool.js';

// Tensors as the engine holds them: a flat typed array in row-major order plus dims.
// float16 and bfloat16 are held decoded in a Float32Array (values already rounded to the
// narrow type), so every float kernel serves them; they are re-encoded only on output.
// int64/uint64 are held in BigInt64Array/BigUint64Array so files round-trip exactly.

export type DType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool'
  | 'string';

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export type TensorData = TypedArray | string[];

/** float32 tensors from this size on are recycled between runs (see buffer-pool.ts). */
const POOLED_MIN_ELEMENTS = 1024;

/** ONNX TensorProto.DataType numbers for the types the engine holds. */
export const ONNX_TYPE_OF: Record<DType, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
  bfloat16: 16,
};

const DTYPE_OF_ONNX = new Map<number, DType>(
  Object.entries(ONNX_TYPE_OF).map(([k, v]) => [v, k as DType]),
);

const ONNX_TYPE_NAMES: Record<number, string> = {
  14: 'complex64',
  15: 'complex128',
  17: 'float8e4m3fn',
  18: 'float8e4m3fnuz',
  19: 'float8e5m2',
  20: 'float8e5m2fnuz',
  21: 'uint4',
  22: 'int4',
  23: 'float4e2m1',
  24: 'float8e8m0',
  25: 'uint2',
  26: 'int2',
};

export function dtypeFromOnnx(code: number): DType {
  const t = DTYPE_OF_ONNX.get(code);
  if (!t) {
    const name = ONNX_TYPE_NAMES[code] ?? `data type ${code}`;
    throw new Error(`element type ${name} is not supported`);
  }
  return t;
}

export function onnxTypeName(code: number): string {
  return DTYPE_OF_ONNX.get(code) ?? ONNX_TYPE_NAMES[code] ?? `data type ${code}`;
}

export const FLOAT_TYPES: ReadonlySet<DType> = new Set(['float32', 'float64', 'float16', 'bfloat16']);
export const INT_TYPES: ReadonlySet<DType> = new Set([
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
]);

export function isBigIntType(t: DType): boolean {
  return t === 'int64' || t === 'uint64';
}

/**
 * A float32 tensor whose every element the caller is about to write (a native kernel's output):
 * a recycled buffer is handed over as it is, without zero-filling it first.
 */
export function float32ForOverwrite(dims: readonly number[]): Tensor {
  return new Tensor('float32', dims, allocate('float32', sizeOf(dims), false));
}

/** Zero-filled storage for n elements, unless `zeroed` is false and a recycled buffer comes as it is. */
export function allocate(dtype: DType, n: number, zeroed = true): TensorData {
  // Large float32 buffers come from the running plan's pool; small ones are cheap to allocate.
  const pool = dtype === 'float32' && n >= POOLED_MIN_ELEMENTS ? activePool() : undefined;
  if (pool) return pool.take(n, zeroed);
  switch (dtype) {
    case 'float32':
    case 'float16':
    case 'bfloat16':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int8':
      return new Int8Array(n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(n);
    case 'int16':
      return new Int16Array(n);
    case 'uint16':
      return new Uint16Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'uint32':
      return new Uint32Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'uint64':
      return new BigUint64Array(n);
    case 'string':
      return new Array<string>(n).fill('');
  }
}

/** Largest tensor the engine will allocate, in elements (guards hostile shapes). */
export const MAX_ELEMENTS = 2 ** 31 - 1;

export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`invalid dimension ${d} in shape [${dims.join(',')}]`);
    n *= d;
  }
  if (n > MAX_ELEMENTS) throw new Error(`shape [${dims.join(',')}] has ${n} elements, over the limit of ${MAX_ELEMENTS}`);
  return n;
}

export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i];
  }
  return s;
}

export class Tensor {
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly data: TensorData;

  constructor(dtype: DType, dims: readonly number[], data?: TensorData) {
    this.dtype = dtype;
    this.dims = dims.slice();
    const n = sizeOf(dims);
    this.data = data ?? allocate(dtype, n);
    if (this.data.length !== n) {
      throw new Error(`tensor data has ${this.data.length} elements but shape [${dims.join(',')}] needs ${n}`);
    }
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.dims.length;
  }

  /** Same data, new dims (no copy). */
  reshape(dims: readonly number[]): Tensor {
    return new Tensor(this.dtype, dims, this.data);
  }

  /** Element i as a JS number (int64 converted; precision beyond 2^53 is lost). */
  num(i: number): number {
    return Number(this.data[i]);
  }

  /** All elements as numbers (for shape-like int64 tensors). */
  toNumbers(): number[] {
    const out = new Array<number>(this.data.length);
    for (let i = 0; i < out.length; i++) out[i] = Number(this.data[i]);
    return out;
  }

  static fromNumbers(dtype: DType, dims: readonly number[], values: ArrayLike<number>): Tensor {
    const t = new Tensor(dtype, dims);
    writeNumbers(t, values);
    return t;
  }

  static scalar(dtype: DType, value: number): Tensor {
    return Tensor.fromNumbers(dtype, [], [value]);
  }
}

/** Writes JS numbers into a tensor, converting to its element type (round, wrap, saturate as C casts do). */
export function writeNumbers(t: Tensor, values: ArrayLike<number>): void {
  const d = t.data;
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      d[i] = BigInt(Number.isFinite(v) ? Math.trunc(v) : 0);
    }
  } else if (Array.isArray(d)) {
    for (let i = 0; i < values.length; i++) d[i] = String(values[i]);
  } else if (t.dtype === 'bool') {
    for (let i = 0; i < values.length; i++) d[i] = values[i] ? 1 : 0;
  } else if (t.dtype === 'float16' || t.dtype === 'bfloat16') {
    const round = t.dtype === 'float16' ? roundToFloat16 : roundToBfloat16;
    for (let i = 0; i < values.length; i++) d[i] = round(values[i]);
  } else {
    for (let i = 0; i < values.length; i++) d[i] = values[i];
  }
}

// ---- float16 / bfloat16 conversion -------------------------------------------------------

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function float16BitsToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

export function numberToFloat16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  e = half >>> 10;
  return sign | half;
}

export function roundToFloat16(v: number): number {
  return float16BitsToNumber(numberToFloat16Bits(v));
}

export function bfloat16BitsToNumber(b: number): number {
  u32[0] = b << 16;
  return f32[0];
}

export function numberToBfloat16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  if (Number.isNaN(v)) return (x >>> 16) | 0x40;
  const lsb = (x >>> 16) & 1;
  return ((x + 0x7fff + lsb) >>> 16) & 0xffff;
}

export function roundToBfloat16(v: number): number {
  return bfloat16BitsToNumber(numberToBfloat16Bits(v));
}
