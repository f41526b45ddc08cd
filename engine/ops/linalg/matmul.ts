// MatMul (numpy semantics: 1-D promotion, broadcast batch dims) and Gemm.
import { Tensor, allocate, isBigIntType, type DType } from '../../tensor.js';
import type { ActivationName, PreparedGemm } from '../../native.js';
import { sameDims, sameRun, type MemoKey } from '../memo.js';
import { OpError, optionalTensor, tensorInput, type OpContext, type OpEntry, type Value } from '../types.js';
import { broadcastShapes, product } from '../util.js';
import { bigGemm, nativeFloat, nativeOptions, roundReduced, tsGemm, type NumArray } from './common.js';
import { applyEpilogue, residualInput } from './epilogue.js';

function checkSameType(a: Tensor, b: Tensor, op: string): void {
  if (a.dtype !== b.dtype) throw new OpError(`${op}: inputs have different element types ${a.dtype} and ${b.dtype}`);
  if (a.dtype === 'string' || a.dtype === 'bool') throw new OpError(`${op}: element type ${a.dtype} is not supported`);
}

/** Batch offset (in matrices) of each output batch index into an operand with batch dims `dims`. */
function batchIndex(dims: readonly number[], out: readonly number[]): Int32Array {
  const n = product(out);
  const idx = new Int32Array(n);
  const rank = out.length;
  const strides = new Array<number>(rank).fill(0);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    const o = rank - dims.length + i;
    strides[o] = dims[i] === 1 ? 0 : acc;
    acc *= dims[i];
  }
  for (let i = 0; i < n; i++) {
    let rem = i;
    let off = 0;
    for (let d = rank - 1; d >= 0; d--) {
      const q = rem % out[d];
      rem = (rem - q) / out[d];
      off += q * strides[d];
    }
    idx[i] = off;
  }
  return idx;
}

/** What a MatMul node keeps between runs while its input shapes, type, mode and threads stay. */
interface MatMulMemo extends MemoKey {
  dtype: DType;
  aDims: readonly number[];
  bDims: readonly number[];
  M: number;
  N: number;
  K: number;
  aBatch: number[];
  bBatch: number[];
  outBatch: number[];
  outDims: number[];
  flops: number;
  /** One native GEMM for the whole product, when B is shared or batches line up. */
  call?: PreparedGemm;
  /** Otherwise one GEMM per output matrix, on views picked by these batch offsets. */
  each?: { call: PreparedGemm; ai: Int32Array; bi: Int32Array };
  /** True when `call` applies the node's fused epilogue itself. */
  epilogue?: boolean;
}

function matmulMemo(ctx: OpContext, a: Tensor, b: Tensor): MatMulMemo {
  const m = ctx.memo as MatMulMemo | undefined;
  if (m && sameRun(m, ctx) && m.dtype === a.dtype && b.dtype === a.dtype && sameDims(a.dims, m.aDims) && sameDims(b.dims, m.bDims)) return m;
  checkSameType(a, b, 'MatMul');
  if (a.rank === 0 || b.rank === 0) throw new OpError('MatMul: inputs must have rank >= 1');
  const aDims = a.rank === 1 ? [1, a.dims[0]] : a.dims.slice();
  const bDims = b.rank === 1 ? [b.dims[0], 1] : b.dims.slice();
  const M = aDims[aDims.length - 2];
  const K = aDims[aDims.length - 1];
  const N = bDims[bDims.length - 1];
  if (bDims[bDims.length - 2] !== K) {
    throw new OpError(`MatMul: inner dimensions differ: [${a.dims.join(',')}] x [${b.dims.join(',')}]`);
  }
  const aBatch = aDims.slice(0, -2);
  const bBatch = bDims.slice(0, -2);
  const outBatch = broadcastShapes(aBatch, bBatch);
  const outDims = [...outBatch];
  if (a.rank > 1) outDims.push(M);
  if (b.rank > 1) outDims.push(N);
  const batch = product(outBatch);
  const aCount = product(aBatch);
  const bCount = product(bBatch);
  const memo: MatMulMemo = { mode: ctx.mode, threads: ctx.threads, dtype: a.dtype, aDims: a.dims, bDims: b.dims, M, N, K, aBatch, bBatch, outBatch, outDims, flops: 2 * batch * M * N * K };
  if (nativeFloat(a)) {
    const opts = nativeOptions(ctx);
    if (bCount === 1) {
      // B shared by every batch entry: the batch folds into the rows of one GEMM, which also
      // applies a fused epilogue (graph mode's MatMul+Add+Gelu...).
      const f = ctx.node.fused;
      const act = f?.act ? { act: f.act as ActivationName, actAlpha: f.actAlpha, actBeta: f.actBeta } : {};
      memo.call = ctx.native.prepareGemm({ M: batch * M, N, K, ...act, constantB: !!f?.prepackB }, opts);
      memo.epilogue = true;
    } else if (bCount === batch && (aCount === 1 || aCount === batch)) {
      memo.call = ctx.native.prepareGemm({ M, N, K, batch, strideA: aCount === 1 ? 0 : M * K, strideB: K * N, strideC: M * N }, opts);
    } else {
      // General broadcasting: one GEMM per output matrix on views (no copies).
      memo.each = { call: ctx.native.prepareGemm({ M, N, K }, opts), ai: batchIndex(aBatch, outBatch), bi: batchIndex(bBatch, outBatch) };
    }
  }
  ctx.memo = memo;
  return memo;
}

/** A node the graph compiler fused: + bias (input 2, N values), + residual (input 3), then the activation. */
function fusedMatmul(ctx: OpContext, inputs: (Value | undefined)[]): Tensor {
  const fused = ctx.node.fused!;
  const a = tensorInput(inputs, 0, 'A');
  const b = tensorInput(inputs, 1, 'B');
  const m = matmulMemo(ctx, a, b);
  const bias = fused.bias ? tensorInput(inputs, 2, 'bias') : undefined;
  if (bias && (bias.size !== m.N || bias.dtype !== a.dtype)) throw new OpError(`MatMul: the fused bias must hold ${m.N} ${a.dtype} values, got [${bias.dims.join(',')}] ${bias.dtype}`);
  const residual = residualInput(fused, optionalTensor(inputs, 3), a.dtype, m.outDims, 'MatMul');
  if (m.call && m.epilogue) {
    const out = new Tensor(a.dtype, m.outDims, allocate('float32', product(m.outDims), false));
    const ns = m.call.run(a.data as Float32Array, b.data as Float32Array, out.data as Float32Array, bias ? (bias.data as Float32Array) : null, residual ? (residual.data as Float32Array) : null);
    roundReduced(out);
    ctx.report({ kernel: m.call.kernel, isa: m.call.isa, flops: m.flops, nativeNs: ns, replay: true });
    return out;
  }
  const out = matmul(ctx, a, b);
  if (bias) {
    const d = out.data as NumArray;
    const bd = bias.data as NumArray;
    for (let i = 0; i < d.length; i++) d[i] += bd[i % m.N];
  }
  applyEpilogue(out, fused, residual);
  roundReduced(out);
  return out;
}

function matmul(ctx: OpContext, a: Tensor, b: Tensor): Tensor {
  const m = matmulMemo(ctx, a, b);
  const { M, N, K, outDims, flops } = m;
  const batch = product(m.outBatch);

  if (m.call || m.each) {
    // GEMM with beta 0 writes every element of C: the output needs no zero-fill.
    const out = new Tensor(a.dtype, outDims, allocate('float32', batch * M * N, false));
    const ad = a.data as Float32Array;
    const bd = b.data as Float32Array;
    const cd = out.data as Float32Array;
    let ns = 0;
    const prepared = m.call ?? m.each!.call;
    if (m.call) {
      ns = m.call.run(ad, bd, cd);
    } else {
      const { call, ai, bi } = m.each!;
      for (let i = 0; i < batch; i++) {
        ns += call.run(ad.subarray(ai[i] * M * K, (ai[i] + 1) * M * K), bd.subarray(bi[i] * K * N, (bi[i] + 1) * K * N), cd.subarray(i * M * N, (i + 1) * M * N));
      }
    }
    roundReduced(out);
    if (m.call || batch > 0) ctx.report({ kernel: prepared.kernel, isa: prepared.isa, flops, nativeNs: ns, replay: !!m.call });
    return out;
  }

  const out = new Tensor(a.dtype, outDims);
  const { aBatch, bBatch, outBatch } = m;
  const ai = batchIndex(aBatch, outBatch);
  const bi = batchIndex(bBatch, outBatch);
  if (isBigIntType(a.dtype)) {
    for (let i = 0; i < batch; i++) {
      bigGemm(
        a.data as BigInt64Array,
        ai[i] * M * K,
        false,
        b.data as BigInt64Array,
        bi[i] * K * N,
        false,
        out.data as BigInt64Array,
        i * M * N,
        M,
        N,
        K,
      );
    }
  } else {
    for (let i = 0; i < batch; i++) {
      tsGemm(a.data as NumArray, ai[i] * M * K, false, b.data as NumArray, bi[i] * K * N, false, out.data as NumArray, i * M * N, M, N, K);
    }
  }
  ctx.report({ kernel: `ts_matmul_${a.dtype}`, isa: 'scalar', flops });
  return out;
}

/** What a Gemm node keeps between runs while its input shapes, type, mode and threads stay. */
interface GemmMemo extends MemoKey {
  dtype: DType;
  aDims: readonly number[];
  bDims: readonly number[];
  cDims: readonly number[] | undefined;
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
  /** How C enters: not at all, as the native bias (a row of N), or copied into Y first and scaled by beta. */
  cMode: 'none' | 'bias' | 'fill';
  call?: PreparedGemm;
}

function gemmMemo(ctx: OpContext, a: Tensor, b: Tensor, c: Tensor | undefined): GemmMemo {
  const m = ctx.memo as GemmMemo | undefined;
  if (
    m &&
    sameRun(m, ctx) &&
    m.dtype === a.dtype &&
    b.dtype === a.dtype &&
    sameDims(a.dims, m.aDims) &&
    sameDims(b.dims, m.bDims) &&
    (c ? c.dtype === a.dtype && sameDims(c.dims, m.cDims) : !m.cDims)
  ) {
    return m;
  }
  checkSameType(a, b, 'Gemm');
  if (a.rank !== 2 || b.rank !== 2) throw new OpError(`Gemm: A and B must be 2-D, got [${a.dims.join(',')}] and [${b.dims.join(',')}]`);
  const transA = ctx.attrs.int('transA', 0) !== 0;
  const transB = ctx.attrs.int('transB', 0) !== 0;
  const alpha = ctx.attrs.float('alpha', 1);
  const beta = ctx.attrs.float('beta', 1);
  const [M, K] = transA ? [a.dims[1], a.dims[0]] : a.dims;
  const [K2, N] = transB ? [b.dims[1], b.dims[0]] : b.dims;
  if (K !== K2) throw new OpError(`Gemm: inner dimensions differ (A gives K=${K}, B gives K=${K2})`);
  let cMode: GemmMemo['cMode'] = 'none';
  // C broadcasts unidirectionally to [M, N].
  if (c && beta !== 0) {
    if (c.dtype !== a.dtype) throw new OpError(`Gemm: C has element type ${c.dtype}, expected ${a.dtype}`);
    if (c.rank > 2) throw new OpError(`Gemm: C must have rank <= 2, got [${c.dims.join(',')}]`);
    const cd = c.rank === 2 ? c.dims : c.rank === 1 ? [1, c.dims[0]] : [1, 1];
    if ((cd[0] !== 1 && cd[0] !== M) || (cd[1] !== 1 && cd[1] !== N)) {
      throw new OpError(`Gemm: C of shape [${c.dims.join(',')}] cannot be broadcast to [${M},${N}]`);
    }
    cMode = beta === 1 && c.size === N && (c.rank === 1 || c.dims[0] === 1) && N > 1 ? 'bias' : 'fill';
  }
  const memo: GemmMemo = { mode: ctx.mode, threads: ctx.threads, dtype: a.dtype, aDims: a.dims, bDims: b.dims, cDims: c?.dims, M, N, K, transA, transB, alpha, beta, cMode };
  if (nativeFloat(a)) {
    memo.call = ctx.native.prepareGemm({ M, N, K, transA, transB, alpha, beta: cMode === 'fill' ? beta : 0 }, nativeOptions(ctx));
  }
  ctx.memo = memo;
  return memo;
}

/** Y[i, j] = C broadcast to [M, N]. */
function fillC(c: Tensor, M: number, N: number, y: { [i: number]: number | bigint }): void {
  const cd = c.rank === 2 ? c.dims : c.rank === 1 ? [1, c.dims[0]] : [1, 1];
  const src = c.data as unknown as { [i: number]: number | bigint };
  const rs = cd[0] === 1 ? 0 : cd[1];
  const cs = cd[1] === 1 ? 0 : 1;
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) y[i * N + j] = src[i * rs + j * cs];
}

function gemmOp(ctx: OpContext, inputs: Parameters<OpEntry['impl']>[1]): Tensor {
  const a = tensorInput(inputs, 0, 'A');
  const b = tensorInput(inputs, 1, 'B');
  const c = optionalTensor(inputs, 2);
  const m = gemmMemo(ctx, a, b, c);
  const { M, N, K, transA, transB, alpha, beta, cMode } = m;
  const flops = 2 * M * N * K;
  const cFill = cMode !== 'none' ? (y: { [i: number]: number | bigint }) => fillC(c!, M, N, y) : undefined;

  if (m.call) {
    // beta 0 and no C to copy in: the GEMM writes every element, so Y needs no zero-fill.
    const out = cMode === 'fill' ? new Tensor(a.dtype, [M, N]) : new Tensor(a.dtype, [M, N], allocate('float32', M * N, false));
    const y = out.data as Float32Array;
    if (cMode === 'fill') cFill!(y);
    const ns = m.call.run(a.data as Float32Array, b.data as Float32Array, y, cMode === 'bias' ? (c!.data as Float32Array) : null);
    roundReduced(out);
    ctx.report({ kernel: m.call.kernel, isa: m.call.isa, flops, nativeNs: ns, replay: cMode !== 'fill' });
    return out;
  }

  const out = new Tensor(a.dtype, [M, N]);
  if (isBigIntType(a.dtype)) {
    if (alpha !== 1 || (cFill && beta !== 1)) throw new OpError('Gemm: alpha/beta other than 1 are not supported for 64-bit integers');
    bigGemm(a.data as BigInt64Array, 0, transA, b.data as BigInt64Array, 0, transB, out.data as BigInt64Array, 0, M, N, K);
    if (cFill) {
      const tmp = new Array<bigint>(M * N);
      cFill(tmp);
      const y = out.data as BigInt64Array;
      for (let i = 0; i < M * N; i++) y[i] += tmp[i];
    }
  } else {
    const acc = new Float64Array(M * N);
    tsGemm(a.data as NumArray, 0, transA, b.data as NumArray, 0, transB, acc, 0, M, N, K, alpha);
    if (cFill) {
      const tmp = new Float64Array(M * N);
      cFill(tmp as unknown as { [i: number]: number });
      for (let i = 0; i < M * N; i++) acc[i] += beta * tmp[i];
    }
    const y = out.data as NumArray;
    for (let i = 0; i < M * N; i++) y[i] = acc[i];
  }
  ctx.report({ kernel: `ts_gemm_${a.dtype}`, isa: 'scalar', flops });
  return out;
}

export const ops: OpEntry[] = [
  { op: 'MatMul', domain: '', since: 1, impl: (ctx, inputs) => [ctx.node.fused ? fusedMatmul(ctx, inputs) : matmul(ctx, tensorInput(inputs, 0, 'A'), tensorInput(inputs, 1, 'B'))] },
  { op: 'Gemm', domain: '', since: 1, impl: (ctx, inputs) => [gemmOp(ctx, inputs)] },
];
