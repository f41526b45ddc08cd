// Integer and QLinear matmul/conv: zero-point-shifted 8-bit inputs, int32 accumulation, requantized outputs.
import { Tensor, type DType } from '../../tensor.js';
import { OpError, optionalTensor, tensorInput, type OpContext, type OpEntry, type Value } from '../types.js';
import { product } from '../util.js';
import { convAccumulate, convGeometry, matmulPlan, type MatmulPlan } from './common.js';
import { QUANT_RANGES, precisionRounder, roundHalfEven } from './linear.js';

const EIGHT_BIT: ReadonlySet<DType> = new Set(['int8', 'uint8']);

function require8Bit(op: string, t: Tensor, what: string): void {
  if (!EIGHT_BIT.has(t.dtype)) throw new OpError(`${op}: ${what} must be int8 or uint8, got ${t.dtype}`);
}

function numbers(t: Tensor): ArrayLike<number> {
  return t.data as ArrayLike<number>;
}

/**
 * A zero point (or scale) that is either one value or one per index along a dimension of length
 * `len`; returns an accessor by that index.
 */
function perIndex(op: string, t: Tensor | undefined, len: number, what: string, dflt = 0): (i: number) => number {
  if (!t) return () => dflt;
  const d = numbers(t);
  if (t.size === 1) {
    const v = d[0];
    return () => v;
  }
  if (t.size !== len) throw new OpError(`${op}: ${what} has ${t.size} values, expected 1 or ${len}`);
  return (i) => d[i];
}

/** A's rows shifted by their zero point, as float64 (exact for 8-bit products summed over any practical K). */
function shiftRows(a: Tensor, rows: number, cols: number, zp: (row: number) => number): Float64Array {
  const src = numbers(a);
  const out = new Float64Array(a.size);
  for (let i = 0, r = 0; i < out.length; r = (r + 1) % rows) {
    const z = zp(r);
    for (let c = 0; c < cols; c++, i++) out[i] = src[i] - z;
  }
  return out;
}

function shiftCols(b: Tensor, cols: number, zp: (col: number) => number): Float64Array {
  const src = numbers(b);
  const out = new Float64Array(b.size);
  const z = new Float64Array(cols);
  for (let c = 0; c < cols; c++) z[c] = zp(c);
  for (let i = 0; i < out.length; i += cols) for (let c = 0; c < cols; c++) out[i + c] = src[i + c] - z[c];
  return out;
}

/** Batched matmul of float64 operands laid out by `plan`, one product matrix at a time. */
function matmulF64(a: Float64Array, b: Float64Array, plan: MatmulPlan): Float64Array {
  const { M, K, N, batch } = plan;
  const c = new Float64Array(batch * M * N);
  for (let p = 0; p < batch; p++) {
    const ao = plan.aOffsets[p];
    const bo = plan.bOffsets[p];
    const co = p * M * N;
    for (let i = 0; i < M; i++) {
      const crow = co + i * N;
      for (let k = 0; k < K; k++) {
        const av = a[ao + i * K + k];
        if (av === 0) continue;
        const brow = bo + k * N;
        for (let j = 0; j < N; j++) c[crow + j] += av * b[brow + j];
      }
    }
  }
  return c;
}

function matmulInteger(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const a = tensorInput(inputs, 0, 'A');
  const b = tensorInput(inputs, 1, 'B');
  require8Bit('MatMulInteger', a, 'A');
  require8Bit('MatMulInteger', b, 'B');
  const plan = matmulPlan('MatMulInteger', a.dims, b.dims);
  const aZp = perIndex('MatMulInteger', optionalTensor(inputs, 2), plan.M, 'a_zero_point');
  const bZp = perIndex('MatMulInteger', optionalTensor(inputs, 3), plan.N, 'b_zero_point');
  const c = matmulF64(shiftRows(a, plan.M, plan.K, aZp), shiftCols(b, plan.N, bZp), plan);
  const out = new Tensor('int32', plan.outDims, Int32Array.from(c));
  ctx.report({ kernel: 'ts_matmul_integer_i8', isa: 'scalar', flops: 2 * plan.batch * plan.M * plan.N * plan.K });
  return [out];
}

function qlinearMatMul(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const a = tensorInput(inputs, 0, 'a');
  const aScale = tensorInput(inputs, 1, 'a_scale');
  const aZpT = optionalTensor(inputs, 2);
  const b = tensorInput(inputs, 3, 'b');
  const bScale = tensorInput(inputs, 4, 'b_scale');
  const bZpT = optionalTensor(inputs, 5);
  const yScale = tensorInput(inputs, 6, 'y_scale');
  const yZpT = optionalTensor(inputs, 7);
  require8Bit('QLinearMatMul', a, 'a');
  require8Bit('QLinearMatMul', b, 'b');
  const plan = matmulPlan('QLinearMatMul', a.dims, b.dims);
  const c = matmulF64(
    shiftRows(a, plan.M, plan.K, perIndex('QLinearMatMul', aZpT, plan.M, 'a_zero_point')),
    shiftCols(b, plan.N, perIndex('QLinearMatMul', bZpT, plan.N, 'b_zero_point')),
    plan,
  );
  const outType = yZpT?.dtype ?? a.dtype;
  const [lo, hi] = QUANT_RANGES[outType] ?? [0, 255];
  const round = precisionRounder(aScale.dtype);
  const as = perIndex('QLinearMatMul', aScale, plan.M, 'a_scale');
  const bs = perIndex('QLinearMatMul', bScale, plan.N, 'b_scale');
  if (yScale.size !== 1) throw new OpError('QLinearMatMul: y_scale must be a scalar');
  const ys = numbers(yScale)[0];
  const yz = yZpT ? numbers(yZpT)[0] : 0;
  const mult = new Float64Array(plan.M * plan.N);
  for (let i = 0; i < plan.M; i++) for (let j = 0; j < plan.N; j++) mult[i * plan.N + j] = round(round(as(i) * bs(j)) / ys);
  const out = new Tensor(outType, plan.outDims);
  const od = out.data as Int32Array;
  const mn = plan.M * plan.N;
  for (let i = 0; i < c.length; i++) {
    const q = roundHalfEven(c[i] * mult[i % mn]) + yz;
    od[i] = q < lo ? lo : q > hi ? hi : q;
  }
  ctx.report({ kernel: 'ts_qlinear_matmul_i8', isa: 'scalar', flops: 2 * plan.batch * plan.M * plan.N * plan.K });
  return [out];
}

/** Conv over zero-point-shifted inputs; returns the sums and the output dims. */
function integerConv(
  ctx: OpContext,
  op: string,
  x: Tensor,
  w: Tensor,
  xZp: Tensor | undefined,
  wZp: Tensor | undefined,
): { sums: Float64Array; dims: number[] } {
  require8Bit(op, x, 'x');
  require8Bit(op, w, 'w');
  const g = convGeometry(ctx, op, x.dims, w.dims);
  const xz = perIndex(op, xZp, 1, 'x_zero_point')(0);
  const xs = new Float64Array(x.size);
  const xd = numbers(x);
  for (let i = 0; i < xs.length; i++) xs[i] = xd[i] - xz;
  const outChannels = w.dims[0];
  const perChannel = w.size / outChannels;
  const wz = perIndex(op, wZp, outChannels, 'w_zero_point');
  const ws = new Float64Array(w.size);
  const wd = numbers(w);
  for (let m = 0; m < outChannels; m++) {
    const z = wz(m);
    for (let k = m * perChannel; k < (m + 1) * perChannel; k++) ws[k] = wd[k] - z;
  }
  const sums = convAccumulate(xs, x.dims, ws, w.dims, g);
  const dims = [x.dims[0], outChannels, ...g.spatialOut];
  ctx.report({ kernel: `ts_${op.toLowerCase()}_i8`, isa: 'scalar', flops: 2 * sums.length * perChannel });
  return { sums, dims };
}

function convInteger(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const { sums, dims } = integerConv(
    ctx,
    'ConvInteger',
    tensorInput(inputs, 0, 'x'),
    tensorInput(inputs, 1, 'w'),
    optionalTensor(inputs, 2),
    optionalTensor(inputs, 3),
  );
  return [new Tensor('int32', dims, Int32Array.from(sums))];
}

function qlinearConv(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'x');
  const xScale = tensorInput(inputs, 1, 'x_scale');
  const w = tensorInput(inputs, 3, 'w');
  const wScale = tensorInput(inputs, 4, 'w_scale');
  const yScale = tensorInput(inputs, 6, 'y_scale');
  const yZpT = optionalTensor(inputs, 7);
  const bias = optionalTensor(inputs, 8);
  const { sums, dims } = integerConv(ctx, 'QLinearConv', x, w, optionalTensor(inputs, 2), optionalTensor(inputs, 5));
  const outChannels = dims[1];
  const spatial = product(dims, 2);
  if (bias) {
    if (bias.size !== outChannels) throw new OpError(`QLinearConv: bias has ${bias.size} values, expected ${outChannels}`);
    const bd = numbers(bias);
    for (let i = 0; i < sums.length; i++) sums[i] += bd[Math.floor(i / spatial) % outChannels];
  }
  const round = precisionRounder(xScale.dtype);
  const xs = perIndex('QLinearConv', xScale, 1, 'x_scale')(0);
  const ws = perIndex('QLinearConv', wScale, outChannels, 'w_scale');
  const ys = perIndex('QLinearConv', yScale, 1, 'y_scale')(0);
  const yz = perIndex('QLinearConv', yZpT, 1, 'y_zero_point')(0);
  const outType = yZpT?.dtype ?? x.dtype;
  const [lo, hi] = QUANT_RANGES[outType] ?? [0, 255];
  const mult = new Float64Array(outChannels);
  for (let m = 0; m < outChannels; m++) mult[m] = round(round(xs * ws(m)) / ys);
  const out = new Tensor(outType, dims);
  const od = out.data as Int32Array;
  for (let i = 0; i < sums.length; i++) {
    const q = roundHalfEven(sums[i] * mult[Math.floor(i / spatial) % outChannels]) + yz;
    od[i] = q < lo ? lo : q > hi ? hi : q;
  }
  return [out];
}

export const ops: OpEntry[] = [
  { op: 'MatMulInteger', domain: '', since: 10, impl: matmulInteger },
  { op: 'ConvInteger', domain: '', since: 10, impl: convInteger },
  { op: 'QLinearMatMul', domain: '', since: 10, impl: qlinearMatMul },
  { op: 'QLinearConv', domain: '', since: 10, impl: qlinearConv },
];
