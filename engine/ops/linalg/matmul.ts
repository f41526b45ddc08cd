// MatMul (numpy semantics: 1-D promotion, broadcast batch dims) and Gemm.
import { Tensor, isBigIntType } from '../../tensor.js';
import { OpError, optionalTensor, tensorInput, type OpContext, type OpEntry } from '../types.js';
import { broadcastShapes, product } from '../util.js';
import { bigGemm, nativeFloat, nativeOptions, roundReduced, tsGemm, type NumArray } from './common.js';

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

function matmul(ctx: OpContext, a: Tensor, b: Tensor): Tensor {
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
  const out = new Tensor(a.dtype, outDims);
  const batch = product(outBatch);
  const aCount = product(aBatch);
  const bCount = product(bBatch);
  const flops = 2 * batch * M * N * K;

  if (nativeFloat(a)) {
    const native = ctx.native;
    const opts = nativeOptions(ctx);
    const ad = a.data as Float32Array;
    const bd = b.data as Float32Array;
    const cd = out.data as Float32Array;
    let run;
    if (bCount === 1) {
      // B shared by every batch entry: the batch folds into the rows of one GEMM.
      run = native.gemm(ad, bd, cd, { M: batch * M, N, K }, opts);
    } else if (bCount === batch && (aCount === 1 || aCount === batch)) {
      run = native.gemm(ad, bd, cd, { M, N, K, batch, strideA: aCount === 1 ? 0 : M * K, strideB: K * N, strideC: M * N }, opts);
    }
    if (!run) {
      // General broadcasting: one GEMM per output matrix on views (no copies).
      const ai = batchIndex(aBatch, outBatch);
      const bi = batchIndex(bBatch, outBatch);
      let ns = 0;
      for (let i = 0; i < batch; i++) {
        run = native.gemm(
          ad.subarray(ai[i] * M * K, (ai[i] + 1) * M * K),
          bd.subarray(bi[i] * K * N, (bi[i] + 1) * K * N),
          cd.subarray(i * M * N, (i + 1) * M * N),
          { M, N, K },
          opts,
        );
        ns += run.ns;
      }
      if (run) run = { ...run, ns };
    }
    roundReduced(out);
    if (run) ctx.report({ kernel: run.kernel, isa: run.isa, flops, nativeNs: run.ns });
    return out;
  }

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

function gemmOp(ctx: OpContext, inputs: Parameters<OpEntry['impl']>[1]): Tensor {
  const a = tensorInput(inputs, 0, 'A');
  const b = tensorInput(inputs, 1, 'B');
  const c = optionalTensor(inputs, 2);
  checkSameType(a, b, 'Gemm');
  if (a.rank !== 2 || b.rank !== 2) throw new OpError(`Gemm: A and B must be 2-D, got [${a.dims.join(',')}] and [${b.dims.join(',')}]`);
  const transA = ctx.attrs.int('transA', 0) !== 0;
  const transB = ctx.attrs.int('transB', 0) !== 0;
  const alpha = ctx.attrs.float('alpha', 1);
  const beta = ctx.attrs.float('beta', 1);
  const [M, K] = transA ? [a.dims[1], a.dims[0]] : a.dims;
  const [K2, N] = transB ? [b.dims[1], b.dims[0]] : b.dims;
  if (K !== K2) throw new OpError(`Gemm: inner dimensions differ (A gives K=${K}, B gives K=${K2})`);
  const out = new Tensor(a.dtype, [M, N]);
  const flops = 2 * M * N * K;
  // C broadcasts unidirectionally to [M, N].
  let cFill: ((y: { [i: number]: number | bigint }) => void) | undefined;
  if (c && beta !== 0) {
    if (c.dtype !== a.dtype) throw new OpError(`Gemm: C has element type ${c.dtype}, expected ${a.dtype}`);
    if (c.rank > 2) throw new OpError(`Gemm: C must have rank <= 2, got [${c.dims.join(',')}]`);
    const cd = c.rank === 2 ? c.dims : c.rank === 1 ? [1, c.dims[0]] : [1, 1];
    if ((cd[0] !== 1 && cd[0] !== M) || (cd[1] !== 1 && cd[1] !== N)) {
      throw new OpError(`Gemm: C of shape [${c.dims.join(',')}] cannot be broadcast to [${M},${N}]`);
    }
    const src = c.data as unknown as { [i: number]: number | bigint };
    const rs = cd[0] === 1 ? 0 : cd[1];
    const cs = cd[1] === 1 ? 0 : 1;
    cFill = (y) => {
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) y[i * N + j] = src[i * rs + j * cs];
    };
  }

  if (nativeFloat(a)) {
    const y = out.data as Float32Array;
    let bias: Float32Array | undefined;
    let betaNative = 0;
    if (cFill) {
      if (beta === 1 && c!.size === N && (c!.rank === 1 || c!.dims[0] === 1) && N > 1) {
        bias = c!.data as Float32Array;
      } else {
        cFill(y);
        betaNative = beta;
      }
    }
    const run = ctx.native.gemm(
      a.data as Float32Array,
      b.data as Float32Array,
      y,
      { M, N, K, transA, transB, alpha, beta: betaNative, bias },
      nativeOptions(ctx),
    );
    roundReduced(out);
    ctx.report({ kernel: run.kernel, isa: run.isa, flops, nativeNs: run.ns });
    return out;
  }

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
  { op: 'MatMul', domain: '', since: 1, impl: (ctx, inputs) => [matmul(ctx, tensorInput(inputs, 0, 'A'), tensorInput(inputs, 1, 'B'))] },
  { op: 'Gemm', domain: '', since: 1, impl: (ctx, inputs) => [gemmOp(ctx, inputs)] },
];
