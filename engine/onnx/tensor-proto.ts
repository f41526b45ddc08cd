// TensorProto <-> Tensor, for initializers, Constant nodes and test-data files.
import fs from 'node:fs';
import path from 'node:path';
import { TensorProto as TensorProtoType } from './schema.js';
import {
  Tensor,
  DType,
  dtypeFromOnnx,
  ONNX_TYPE_OF,
  sizeOf,
  allocate,
  float16BitsToNumber,
  bfloat16BitsToNumber,
  numberToFloat16Bits,
  numberToBfloat16Bits,
  TensorData,
} from '../tensor.js';

/** protobufjs decodes int64 as Long objects or numbers depending on size. */
export function longToNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  if (typeof v === 'string') return Number(v);
  return 0;
}

export function longToBigInt(v: unknown): bigint {
  if (typeof v === 'number') return BigInt(v);
  if (typeof v === 'bigint') return v;
  if (v && typeof v === 'object' && 'toString' in v) return BigInt((v as { toString(): string }).toString());
  return 0n;
}

export interface ExternalDataContext {
  /** Folder of the model file: external data must resolve inside it. */
  baseDir: string;
}

/** Raw decoded TensorProto fields as protobufjs yields them. */
export interface RawTensorProto {
  dims?: unknown[];
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  stringData?: Uint8Array[];
  int64Data?: unknown[];
  name?: string;
  rawData?: Uint8Array;
  externalData?: { key?: string; value?: string }[];
  dataLocation?: number;
  doubleData?: number[];
  uint64Data?: unknown[];
}

const BYTES_PER: Partial<Record<DType, number>> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
};

function fromRawBytes(dtype: DType, n: number, bytes: Uint8Array, what: string): TensorData {
  const per = BYTES_PER[dtype]!;
  if (bytes.length !== n * per) {
    throw new Error(`${what}: raw data holds ${bytes.length} bytes, but ${n} ${dtype} elements need ${n * per}`);
  }
  // Copy into an aligned buffer: protobuf slices are rarely aligned.
  const buf = new ArrayBuffer(bytes.length);
  new Uint8Array(buf).set(bytes);
  const dv = new DataView(buf);
  switch (dtype) {
    case 'float32':
      return new Float32Array(buf);
    case 'float64':
      return new Float64Array(buf);
    case 'float16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = float16BitsToNumber(dv.getUint16(2 * i, true));
      return out;
    }
    case 'bfloat16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = bfloat16BitsToNumber(dv.getUint16(2 * i, true));
      return out;
    }
    case 'int8':
      return new Int8Array(buf);
    case 'uint8':
      return new Uint8Array(buf);
    case 'bool': {
      const out = new Uint8Array(buf);
      for (let i = 0; i < n; i++) out[i] = out[i] ? 1 : 0;
      return out;
    }
    case 'int16':
      return new Int16Array(buf);
    case 'uint16':
      return new Uint16Array(buf);
    case 'int32':
      return new Int32Array(buf);
    case 'uint32':
      return new Uint32Array(buf);
    case 'int64':
      return new BigInt64Array(buf);
    case 'uint64':
      return new BigUint64Array(buf);
    default:
      throw new Error(`${what}: ${dtype} cannot be stored as raw data`);
  }
}

function readExternal(p: RawTensorProto, ctx: ExternalDataContext | undefined, what: string): Uint8Array {
  const kv = new Map((p.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = kv.get('location');
  if (!location) throw new Error(`${what}: external data without a location`);
  if (!ctx) throw new Error(`${what}: external data is not allowed here`);
  const base = path.resolve(ctx.baseDir);
  const file = path.resolve(base, location);
  const rel = path.relative(base, file);
  if (rel.startsWith('..') || path.isAbsolute(rel) || path.isAbsolute(location)) {
    throw new Error(`${what}: external data location '${location}' escapes the model's folder`);
  }
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch {
    throw new Error(`${what}: external data file '${location}' not found`);
  }
  const realRel = path.relative(fs.realpathSync(base), real);
  if (realRel.startsWith('..') || path.isAbsolute(realRel)) {
    throw new Error(`${what}: external data location '${location}' escapes the model's folder (via a link)`);
  }
  const offset = Number(kv.get('offset') ?? 0);
  const stat = fs.statSync(real);
  const length = kv.has('length') ? Number(kv.get('length')) : stat.size - offset;
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > stat.size) {
    throw new Error(`${what}: external data range offset=${offset} length=${length} is outside '${location}' (${stat.size} bytes)`);
  }
  const fd = fs.openSync(real, 'r');
  try {
    const out = new Uint8Array(length);
    fs.readSync(fd, out, 0, length, offset);
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

export function tensorFromProto(p: RawTensorProto, ctx?: ExternalDataContext): Tensor {
  const what = p.name ? `tensor '${p.name}'` : 'tensor';
  const dims = (p.dims ?? []).map(longToNumber);
  let dtype: DType;
  try {
    dtype = dtypeFromOnnx(p.dataType ?? 0);
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
  let n: number;
  try {
    n = sizeOf(dims);
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
  if (p.dataLocation === 1 || (p.externalData && p.externalData.length > 0)) {
    return new Tensor(dtype, dims, fromRawBytes(dtype, n, readExternal(p, ctx, what), what));
  }
  if (dtype === 'string') {
    const s = (p.stringData ?? []).map((b) => Buffer.from(b).toString('utf8'));
    if (s.length !== n) throw new Error(`${what}: holds ${s.length} strings but its shape needs ${n}`);
    return new Tensor(dtype, dims, s);
  }
  if (p.rawData && p.rawData.length > 0) return new Tensor(dtype, dims, fromRawBytes(dtype, n, p.rawData, what));
  const data = allocate(dtype, n);
  let src: unknown[] = [];
  let kind = 'typed';
  switch (dtype) {
    case 'float32':
      src = p.floatData ?? [];
      kind = 'float_data';
      break;
    case 'float64':
      src = p.doubleData ?? [];
      kind = 'double_data';
      break;
    case 'int64':
      src = p.int64Data ?? [];
      kind = 'int64_data';
      break;
    case 'uint32':
    case 'uint64':
      src = p.uint64Data ?? [];
      kind = 'uint64_data';
      break;
    default:
      src = p.int32Data ?? [];
      kind = 'int32_data';
  }
  if (src.length !== n) throw new Error(`${what}: ${kind} holds ${src.length} values but shape [${dims.join(',')}] needs ${n}`);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < n; i++) data[i] = longToBigInt(src[i]);
  } else if (dtype === 'float16') {
    for (let i = 0; i < n; i++) (data as Float32Array)[i] = float16BitsToNumber(Number(src[i]) & 0xffff);
  } else if (dtype === 'bfloat16') {
    for (let i = 0; i < n; i++) (data as Float32Array)[i] = bfloat16BitsToNumber(Number(src[i]) & 0xffff);
  } else {
    const d = data as Exclude<TensorData, string[] | BigInt64Array | BigUint64Array>;
    for (let i = 0; i < n; i++) d[i] = longToNumber(src[i]);
    if (dtype === 'bool') for (let i = 0; i < n; i++) d[i] = d[i] ? 1 : 0;
  }
  return new Tensor(dtype, dims, data);
}

/** Encodes a tensor as a TensorProto message (raw_data little-endian, strings in string_data). */
export function tensorToProtoBytes(t: Tensor, name = ''): Uint8Array {
  const msg: Record<string, unknown> = { name, dims: t.dims.slice(), dataType: ONNX_TYPE_OF[t.dtype] };
  if (t.dtype === 'string') {
    msg.stringData = (t.data as string[]).map((s) => Buffer.from(s, 'utf8'));
  } else if (t.dtype === 'float16' || t.dtype === 'bfloat16') {
    const enc = t.dtype === 'float16' ? numberToFloat16Bits : numberToBfloat16Bits;
    const out = new Uint16Array(t.size);
    const d = t.data as Float32Array;
    for (let i = 0; i < out.length; i++) out[i] = enc(d[i]);
    msg.rawData = new Uint8Array(out.buffer);
  } else {
    const d = t.data as Exclude<TensorData, string[]>;
    msg.rawData = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  }
  return TensorProtoType.encode(TensorProtoType.fromObject(msg)).finish();
}

export function decodeTensorFile(bytes: Uint8Array, file: string): Tensor {
  let raw: RawTensorProto;
  try {
    raw = TensorProtoType.decode(bytes) as unknown as RawTensorProto;
  } catch (e) {
    throw new Error(`${file}: not a valid TensorProto (${(e as Error).message})`);
  }
  try {
    return tensorFromProto(raw, { baseDir: path.dirname(file) });
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}
