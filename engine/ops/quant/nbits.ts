// com.microsoft MatMulNBits: Y = A x dequant(B)^T (+ bias), with B block-quantized along K to 2..8 bits.
import { Tensor, roundToFloat16, roundToBfloat16 } from '../../tensor.js';
import { OpError, optionalTensor, tensorInput, type OpContext, type OpEntry, type Value } from '../types.js';

interface NBitsParams {
  K: number;
  N: number;
  bits: number;
  blockSize: number;
}

interface Dequantized {
  scales: Tensor;
  zeroPoints: Tensor | undefined;
  gIdx: Tensor | undefined;
  /** Dequantized weights, row n holding the K values of output column n. */
  w: Float32Array;
}

// Weights are usually initializers: dequantize once per (B, scales, zero points) and reuse across runs.
const cache = new WeakMap<Tensor, Dequantized>();

function readParams(ctx: OpContext): NBitsParams {
  const K = ctx.attrs.int('K');
  const N = ctx.attrs.int('N');
  const bits = ctx.attrs.int('bits', 4);
  const blockSize = ctx.attrs.int('block_size');
  if (K === undefined || N === undefined || blockSize === undefined)
    throw new OpError('MatMulNBits needs the K, N and block_size attributes');
  if (K < 1 || N < 1) throw new OpError(`MatMulNBits: K ${K} and N ${N} must be positive`);
  if (bits < 2 || bits > 8) throw new OpError(`MatMulNBits: bits ${bits} is not supported (2..8)`);
  if (blockSize < 16 || (blockSize & (blockSize - 1)) !== 0)
    throw new OpError(`MatMulNBits: block_size ${blockSize} must be a power of two >= 16`);
  return { K, N, bits, blockSize };
}

/** Dequantizes packed B [N, blocks, blob] into a dense [N, K] float32 matrix. */
export function dequantizeNBits(
  p: NBitsParams,
  b: Tensor,
  scales: Tensor,
  zeroPoints: Tensor | undefined,
  gIdx: Tensor | undefined,
): Float32Array {
  const { K, N, bits, blockSize } = p;
  const blocks = Math.ceil(K / blockSize);
  const blob = (blockSize * bits) / 8;
  if (b.dtype !== 'uint8') throw new OpError(`MatMulNBits: B must be uint8, got ${b.dtype}`);
  if (b.size !== N * blocks * blob) throw new OpError(`MatMulNBits: B has shape [${b.dims.join(',')}], expected [${N},${blocks},${blob}]`);
  if (scales.size !== N * blocks) throw new OpError(`MatMulNBits: scales has ${scales.size} values, expected ${N * blocks}`);
  const bd = b.data as Uint8Array;
  const sd = scales.data as Float32Array;
  const mask = (1 << bits) - 1;
  const defaultZp = 1 << (bits - 1);
  const packedZp = zeroPoints?.dtype === 'uint8';
  const zpRowBytes = Math.ceil((blocks * bits) / 8);
  if (zeroPoints) {
    const expected = packedZp ? N * zpRowBytes : N * blocks;
    if (zeroPoints.size !== expected) throw new OpError(`MatMulNBits: zero_points has ${zeroPoints.size} values, expected ${expected}`);
  }
  const zd = zeroPoints?.data as ArrayLike<number> | undefined;
  const zeroPoint = (n: number, blk: number): number => {
    if (!zd) return defaultZp;
    if (!packedZp) return zd[n * blocks + blk];
    const bit = blk * bits;
    return (zd[n * zpRowBytes + (bit >> 3)] >> (bit & 7)) & mask;
  };
  let groupOf: Int32Array | undefined;
  if (gIdx) {
    // A group index lets each K position take its scale/zero point from any block.
    if (gIdx.size !== K) throw new OpError(`MatMulNBits: g_idx has ${gIdx.size} values, expected K=${K}`);
    groupOf = Int32Array.from(gIdx.toNumbers());
    for (const g of groupOf)
      if (g < 0 || g >= blocks) throw new OpError(`MatMulNBits: g_idx value ${g} is out of range for ${blocks} blocks`);
  }
  const w = new Float32Array(N * K);
  // Widths that do not divide 8 (3, 5, 6, 7) have codes that straddle two bytes.
  const straddles = 8 % bits !== 0;
  for (let n = 0; n < N; n++) {
    for (let blk = 0; blk < blocks; blk++) {
      const base = (n * blocks + blk) * blob;
      const kStart = blk * blockSize;
      const kEnd = Math.min(K, kStart + blockSize);
      const scale = sd[n * blocks + blk];
      const zp = zeroPoint(n, blk);
      for (let k = kStart; k < kEnd; k++) {
        const bit = (k - kStart) * bits;
        let code = bd[base + (bit >> 3)] >> (bit & 7);
        if (straddles && (bit & 7) + bits > 8) code |= bd[base + (bit >> 3) + 1] << (8 - (bit & 7));
        code &= mask;
        if (groupOf && groupOf[k] !== blk) {
          const g = groupOf[k];
          w[n * K + k] = (code - zeroPoint(n, g)) * sd[n * blocks + g];
        } else {
          w[n * K + k] = (code - zp) * scale;
        }
      }
    }
  }
  return w;
}

function matMulNBits(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const p = readParams(ctx);
  const a = tensorInput(inputs, 0, 'A');
  const b = tensorInput(inputs, 1, 'B');
  const scales = tensorInput(inputs, 2, 'scales');
  const zeroPoints = optionalTensor(inputs, 3);
  const gIdx = optionalTensor(inputs, 4);
  const bias = optionalTensor(inputs, 5);
  if (a.dtype !== 'float32' && a.dtype !== 'float16' && a.dtype !== 'bfloat16')
    throw new OpError(`MatMulNBits: A must be a float tensor, got ${a.dtype}`);
  if (a.rank < 1 || a.dims[a.rank - 1] !== p.K)
    throw new OpError(`MatMulNBits: A has shape [${a.dims.join(',')}], its last dim must be K=${p.K}`);
  if (bias && bias.size !== p.N) throw new OpError(`MatMulNBits: bias has ${bias.size} values, expected N=${p.N}`);
  let dq = cache.get(b);
  if (!dq || dq.scales !== scales || dq.zeroPoints !== zeroPoints || dq.gIdx !== gIdx) {
    dq = { scales, zeroPoints, gIdx, w: dequantizeNBits(p, b, scales, zeroPoints, gIdx) };
    cache.set(b, dq);
  }
  const { K, N } = p;
  const M = a.size / K;
  const out = new Tensor(a.dtype, [...a.dims.slice(0, -1), N]);
  const ad = a.data as Float32Array;
  const od = out.data as Float32Array;
  const w = dq.w;
  const bd = bias?.data as Float32Array | undefined;
  for (let m = 0; m < M; m++) {
    const ao = m * K;
    for (let n = 0; n < N; n++) {
      const wo = n * K;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let k = 0;
      for (; k + 3 < K; k += 4) {
        s0 += ad[ao + k] * w[wo + k];
        s1 += ad[ao + k + 1] * w[wo + k + 1];
        s2 += ad[ao + k + 2] * w[wo + k + 2];
        s3 += ad[ao + k + 3] * w[wo + k + 3];
      }
      for (; k < K; k++) s0 += ad[ao + k] * w[wo + k];
      od[m * N + n] = s0 + s1 + s2 + s3 + (bd ? bd[n] : 0);
    }
  }
  if (a.dtype !== 'float32') {
    const round = a.dtype === 'float16' ? roundToFloat16 : roundToBfloat16;
    for (let i = 0; i < od.length; i++) od[i] = round(od[i]);
  }
  ctx.report({ kernel: `ts_matmul_nbits_q${p.bits}_${a.dtype}`, isa: 'scalar', flops: 2 * M * N * K });
  return [out];
}

export const ops: OpEntry[] = [{ op: 'MatMulNBits', domain: 'com.microsoft', since: 1, impl: matMulNBits }];
