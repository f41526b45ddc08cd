// The quantized GEMM (native/src/qgemm.cc and the matmul_qai8dxp_* tiles): constant weights
// quantized once to int8 per channel or 4-bit per group of 32, activations per row at each run.
// Every variant is checked against an fp32 product computed in JS (within what the format can
// hold) and against the other variants of its family (the integer sums are exact, so they agree
// to float rounding).
import { describe, it, expect } from 'vitest';
import { loadNative } from '../engine/native.js';
import { QUANT_FORMATS, type QuantFormatName } from '../engine/native-calls.js';
import { random } from './support/random.js';

const native = loadNative();
const variants = native.variants();
const FAMILY: Record<QuantFormatName, string> = { qsi8cx: 'matmul_qai8dxp_qsi8cxp', qsi4c32: 'matmul_qai8dxp_qsi4c32p' };
// rms(error) / rms(product) a format may reach on random data (int8 per channel loses about 1%,
// 4-bit per group of 32 about 10%).
const BOUND: Record<QuantFormatName, number> = { qsi8cx: 0.02, qsi4c32: 0.15 };

function jsGemm(a: Float32Array, b: Float32Array, M: number, N: number, K: number, transB: boolean): Float64Array {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[i * K + k] * (transB ? b[j * K + k] : b[k * N + j]);
      out[i * N + j] = s;
    }
  return out;
}

function relRms(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let e = 0;
  let r = 0;
  for (let i = 0; i < want.length; i++) {
    e += (got[i] - want[i]) ** 2;
    r += want[i] ** 2;
  }
  return Math.sqrt(e / r);
}

const cases = [
  { M: 1, N: 37, K: 70, transB: false },
  { M: 1, N: 64, K: 256, transB: true },
  { M: 3, N: 16, K: 32, transB: false },
  { M: 7, N: 50, K: 200, transB: true },
  { M: 33, N: 20, K: 96, transB: false },
  { M: 64, N: 130, K: 333, transB: true },
];

describe('quantized GEMM variants', () => {
  for (const fmt of QUANT_FORMATS) {
    const fam = variants.filter((v) => v.family === FAMILY[fmt]);
    it(`${fmt}: every supported variant is within the format's error of the fp32 product, and the variants agree`, () => {
      expect(fam.some((v) => v.isa === 'portable')).toBe(true);
      const supported = fam.filter((v) => v.supported);
      for (const { M, N, K, transB } of cases) {
        // Activations with an offset (asymmetric range) and weights with a few outliers.
        const a = random(M * K, M + K).map((v) => v + 0.3);
        const b = random(K * N, N + 7).map((v, i) => (i % 97 === 0 ? 4 * v : v));
        const want = jsGemm(a, b, M, N, K, transB);
        const outs = supported.map((v) => {
          const call = native.prepareGemm({ M, N, K, transB, constantB: true, quant: fmt }, { variant: v.name, threads: 2 });
          expect(call.kernel).toBe(v.name);
          const c = new Float32Array(M * N).fill(Number.NaN);
          call.run(a, b, c);
          call.run(a, b, c); // the second run reuses the packed weights
          return c;
        });
        for (const [i, c] of outs.entries()) {
          const err = relRms(c, want);
          expect(err, `${supported[i].name} ${M}x${N}x${K}`).toBeLessThan(BOUND[fmt]);
          expect(err, `${supported[i].name} ${M}x${N}x${K} must not be exact: it is quantized`).toBeGreaterThan(1e-5);
          expect(relRms(c, outs[0]), `${supported[i].name} vs ${supported[0].name}`).toBeLessThan(1e-5);
        }
      }
      if (supported.length < fam.length) console.log(`${fmt}: not run on this CPU: ${fam.filter((v) => !v.supported).map((v) => v.name).join(', ')}`);
    });
  }

  it('applies the fused bias, residual and activation, and picks the selected variant for auto', () => {
    const [M, N, K] = [5, 40, 64];
    const a = random(M * K, 1);
    const b = random(K * N, 2);
    const bias = random(N, 3);
    const residual = random(M * N, 4);
    for (const fmt of QUANT_FORMATS) {
      const plain = new Float32Array(M * N);
      const plainCall = native.prepareGemm({ M, N, K, constantB: true, quant: fmt });
      expect(plainCall.kernel).toBe(variants.find((v) => v.family === FAMILY[fmt] && v.selected)!.name);
      plainCall.run(a, b, plain);
      const fused = new Float32Array(M * N);
      native.prepareGemm({ M, N, K, constantB: true, quant: fmt, act: 'Relu' }).run(a, b, fused, bias, residual);
      for (let i = 0; i < M * N; i++) expect(fused[i]).toBeCloseTo(Math.max(0, plain[i] + bias[i % N] + residual[i]), 5);
    }
  });

  it('packs again when a run passes another weight array', () => {
    const [M, N, K] = [4, 16, 32];
    const a = random(M * K, 5);
    const call = native.prepareGemm({ M, N, K, constantB: true, quant: 'qsi8cx' });
    const c1 = new Float32Array(M * N);
    const c2 = new Float32Array(M * N);
    const b1 = random(K * N, 6);
    const b2 = b1.map((v) => -v);
    call.run(a, b1, c1);
    call.run(a, b2, c2);
    for (let i = 0; i < M * N; i++) expect(c2[i]).toBeCloseTo(-c1[i], 5);
  });

  it('gives NaN for a row holding NaN or infinity (no int8 code holds them) and zeros for a row of zeros', () => {
    const [M, N, K] = [3, 16, 40];
    const a = random(M * K, 8);
    a[5] = Number.NaN;
    a[K + 7] = Number.POSITIVE_INFINITY;
    a.fill(0, 2 * K);
    for (const fmt of QUANT_FORMATS) {
      const c = new Float32Array(M * N).fill(7);
      native.prepareGemm({ M, N, K, constantB: true, quant: fmt }).run(a, random(K * N, 9), c);
      expect([...c.subarray(0, 2 * N)].every(Number.isNaN)).toBe(true);
      expect([...c.subarray(2 * N)].every((v) => v === 0)).toBe(true);
    }
  });

  it('refuses what it cannot run with a clear error', () => {
    expect(() => native.prepareGemm({ M: 2, N: 2, K: 2, quant: 'q3' as QuantFormatName })).toThrow(/quant must be one of qsi8cx, qsi4c32/);
    expect(() => native.prepareGemm({ M: 2, N: 2, K: 2, batch: 2, quant: 'qsi8cx' })).toThrow(/one matrix, A not transposed, alpha 1 and beta 0/);
    expect(() => native.prepareGemm({ M: 2, N: 2, K: 2, transA: true, quant: 'qsi4c32' })).toThrow(/one matrix/);
    expect(() => native.prepareGemm({ M: 1, N: 2, K: 70000, quant: 'qsi8cx' })).toThrow(/at most 65536/);
  });
});
