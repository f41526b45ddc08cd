// Native float32 elementwise and row kernels (binary_f32 / unary_f32 / softmax_f32 / layernorm_f32
// families): every supported variant against the scalar reference or a JS oracle, and the eager op
// paths against the TypeScript baseline.
import { describe, it, expect } from 'vitest';
import type { AttrValue } from '../engine/graph.js';
import { loadNative, type UnaryOpName } from '../engine/native.js';
import { Tensor } from '../engine/tensor.js';
import type { KernelReport, Value } from '../engine/ops/types.js';
import { NATIVE_MIN_ELEMENTS } from '../engine/ops/elementwise/native-dispatch.js';
import { opRunner } from './support/op-context.js';
import { random } from './support/random.js';

const native = loadNative();
const variants = native.variants();

/** Largest |got - want| / (atol + |want|); equal infinities and NaN in both count as equal. */
function worstErr(got: Float32Array, want: Float32Array, atol = 1e-6): number {
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    if (Number.isNaN(want[i]) && Number.isNaN(got[i])) continue;
    if (got[i] === want[i]) continue;
    const d = Math.abs(got[i] - want[i]) / (atol + Math.abs(want[i]));
    if (!(d <= worst)) worst = d;
  }
  return worst;
}

const { runOpReport } = opRunner({ threads: 2, native });

function runOp(
  op: string,
  mode: 'baseline' | 'eager',
  inputs: (Value | undefined)[],
  attrs: Record<string, AttrValue> = {},
  opset = 17,
  domain = '',
): { out: Tensor; outs: Tensor[]; report?: KernelReport } {
  const { outputs, report } = runOpReport(op, inputs, { mode, attrs, opset, domain, outputs: 3 });
  return { out: outputs[0] as Tensor, outs: outputs as Tensor[], report };
}

const f32 = (dims: number[], seed: number, scale = 1) =>
  new Tensor(
    'float32',
    dims,
    random(
      dims.reduce((a, b) => a * b, 1),
      seed,
      scale,
    ),
  );

describe('binary_f32 variants against the reference', () => {
  const rowsOf = (n: number, rows: number, stepA: number, stepB: number) => ({
    n,
    stepA,
    stepB,
    startsA: Int32Array.from({ length: rows }, (_, r) => (stepA ? r * n : r)),
    startsB: Int32Array.from({ length: rows }, (_, r) => (stepB ? r * n : r)),
  });
  for (const v of variants.filter((x) => x.family === 'binary_f32' && x.supported)) {
    for (const op of ['Add', 'Sub', 'Mul', 'Div'] as const) {
      it(`${v.name} ${op}: vector/vector, vector/scalar, scalar/vector, odd and threaded lengths`, () => {
        for (const n of [1, 13, 40000]) {
          for (const [stepA, stepB] of [
            [1, 1],
            [1, 0],
            [0, 1],
          ]) {
            const rows = rowsOf(n, 5, stepA, stepB);
            const a = random(5 * n, 3);
            const b = random(5 * n, 4).map((x) => x + Math.sign(x) * 0.5);
            const got = new Float32Array(5 * n).fill(NaN);
            const want = new Float32Array(5 * n);
            const run = native.binary(op, a, b, got, rows, { variant: v.name, threads: 2 });
            native.binary(op, a, b, want, rows, { variant: 'reference' });
            expect(run.kernel).toBe(v.name);
            // Same IEEE operations in the same order: bit-identical.
            expect(worstErr(got, want, 0)).toBe(0);
          }
        }
      });
    }
  }

  for (const v of variants.filter((x) => x.family === 'binary_f32' && x.supported)) {
    it(`${v.name} ScaleShift: one fused multiply-add per element with a (scale, shift) pair per row`, () => {
      for (const n of [1, 13, 40000]) {
        for (const stepA of [1, 0]) {
          const rows = { n, stepA, stepB: 0, startsA: Int32Array.from({ length: 5 }, (_, r) => r * n), startsB: Int32Array.from({ length: 5 }, (_, r) => 2 * r) };
          const a = random(5 * n, 5, 4);
          const pairs = random(10, 6, 2);
          const got = new Float32Array(5 * n).fill(NaN);
          const want = new Float32Array(5 * n);
          expect(native.binary('ScaleShift', a, pairs, got, rows, { variant: v.name, threads: 2 }).kernel).toBe(v.name);
          native.binary('ScaleShift', a, pairs, want, rows, { variant: 'reference' });
          expect(worstErr(got, want, 0)).toBe(0);
          // Against a double-precision a*scale+shift: within float32 rounding.
          const exact = Float32Array.from(want, (_, i) => {
            const r = Math.floor(i / n);
            return a[r * n + (i % n) * stepA] * pairs[2 * r] + pairs[2 * r + 1];
          });
          expect(worstErr(got, exact, 1e-6)).toBeLessThan(1e-6);
        }
      }
    });
  }

  it('ScaleShift reads a whole (scale, shift) pair per row', () => {
    const a = new Float32Array(10);
    const y = new Float32Array(10);
    const rows = { n: 5, startsA: new Int32Array([0, 5]), stepA: 1, startsB: new Int32Array([0, 3]), stepB: 0 };
    expect(() => native.binary('ScaleShift', a, new Float32Array(4), y, rows)).toThrow(/row start out of range/);
    expect(() => native.binary('ScaleShift', a, new Float32Array(5), y, rows)).not.toThrow();
  });

  it('rejects row starts that would read past an operand, and bad steps', () => {
    const a = new Float32Array(10);
    const y = new Float32Array(10);
    const bad = { n: 5, startsA: new Int32Array([0, 6]), stepA: 1, startsB: new Int32Array([0, 0]), stepB: 0 };
    expect(() => native.binary('Add', a, a, y, bad)).toThrow(/row start out of range/);
    expect(() => native.binary('Add', a, a, y, { ...bad, startsA: new Int32Array([0, 5]), stepA: 2 })).toThrow(/stepA must be 0 or 1/);
    expect(() => native.binary('Add', a, a, new Float32Array(9), { ...bad, startsA: new Int32Array([0, 5]) })).toThrow(/y has 9 elements/);
  });
});

describe('unary_f32 variants against the reference', () => {
  const ops: UnaryOpName[] = ['Relu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'LeakyRelu', 'Exp', 'Tanh', 'Erf', 'Gelu', 'GeluTanh'];
  const x = random(70001, 9, 30);
  // Edge values: exp overflow/underflow bounds, tanh's polynomial switch, infinities, NaN.
  x.set([0, -0, 88.7, 88.8, -87.2, -87.4, -100, 100, 0.624, 0.626, -0.624, 1e-8, -1e-8, Infinity, -Infinity, NaN]);
  for (const v of variants.filter((y) => y.family === 'unary_f32' && y.supported)) {
    for (const op of ops) {
      it(`${v.name} ${op}`, () => {
        const got = new Float32Array(x.length);
        const want = new Float32Array(x.length);
        native.unary(op, x, got, -0.5, 6, { variant: v.name, threads: 2 });
        native.unary(op, x, want, -0.5, 6, { variant: 'reference' });
        // Absolute slack where FMA rounding differs near a zero crossing (HardSigmoid/HardSwish at -3).
        expect(worstErr(got, want, 1e-6)).toBeLessThan(1e-5);
        for (let i = 0; i < 16; i++) expect(Number.isNaN(got[i])).toBe(Number.isNaN(want[i]));
      });
    }
  }

  // Erf and the GELUs against a JS oracle in double: erf by its Maclaurin series (|x| < 3) and
  // continued fraction for erfc (|x| >= 3), GELU as 0.5 x erfc(-x / sqrt 2), the tanh form as
  // x / (1 + exp(-2u)). Within 1e-5 relative, or 2e-7 absolute where the result is near 0.
  const erfcOracle = (z: number): number => {
    if (z < 3) {
      let term = z;
      let sum = z;
      for (let n = 1; n < 60; n++) {
        term *= (-z * z) / n;
        sum += term / (2 * n + 1);
      }
      return 1 - (2 / Math.sqrt(Math.PI)) * sum;
    }
    let f = 0;
    for (let k = 60; k >= 1; k--) f = k / 2 / (z + f);
    return Math.exp(-z * z) / Math.sqrt(Math.PI) / (z + f);
  };
  const erfOracle = (v: number) => (Number.isNaN(v) ? NaN : v < 0 ? -(1 - erfcOracle(-v)) : 1 - erfcOracle(v));
  const geluOracle = (v: number) => (v === -Infinity ? NaN : v === Infinity ? v : v >= 0 ? v * (1 - 0.5 * erfcOracle(v * Math.SQRT1_2)) : 0.5 * v * erfcOracle(-v * Math.SQRT1_2));
  const geluTanhOracle = (v: number) => v / (1 + Math.exp(-2 * Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
  const oracles: [UnaryOpName, (v: number) => number][] = [
    ['Erf', erfOracle],
    ['Gelu', geluOracle],
    ['GeluTanh', geluTanhOracle],
  ];
  const y = Float32Array.from(random(20001, 19, 12));
  y.set([0, -0, 1e-30, -1e-30, 0.5, -0.5, 0.70710677, -0.70710677, 5, -5, -9, -13, 30, -30, Infinity, -Infinity, NaN]);
  for (const v of variants.filter((k) => k.family === 'unary_f32' && k.supported)) {
    for (const [op, oracle] of oracles) {
      it(`${v.name} ${op} against a double-precision oracle`, () => {
        const got = new Float32Array(y.length);
        expect(native.unary(op, y, got, 0, 0, { variant: v.name, threads: 2 }).kernel).toBe(v.name);
        let worst = 0;
        for (let i = 0; i < y.length; i++) {
          const want = oracle(y[i]);
          if (Number.isNaN(want) || Number.isNaN(got[i])) {
            expect(Number.isNaN(got[i]), `x=${y[i]}`).toBe(Number.isNaN(want));
            continue;
          }
          const diff = Math.abs(got[i] - want);
          if (got[i] === want || (Math.abs(want) < 1e-2 && diff <= 2e-7)) continue;
          worst = Math.max(worst, diff / Math.abs(want));
        }
        expect(worst).toBeLessThan(1e-5);
      });
    }
  }
});

/** Softmax or LogSoftmax of each row of n, in double. */
function softmaxOracle(x: Float32Array, n: number, log: boolean): Float32Array {
  const y = new Float32Array(x.length);
  for (let base = 0; base < x.length; base += n) {
    let max = -Infinity;
    for (let i = 0; i < n; i++) max = Math.max(max, x[base + i]);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += Math.exp(x[base + i] - max);
    for (let i = 0; i < n; i++) y[base + i] = log ? x[base + i] - max - Math.log(sum) : Math.exp(x[base + i] - max) / sum;
  }
  return y;
}

/** Layer norm (or RMSNorm) of each row of n, in double; also the per-row mean and 1/std. */
function layerNormOracle(x: Float32Array, n: number, eps: number, rms: boolean, gamma?: Float32Array, beta?: Float32Array) {
  const rows = x.length / n;
  const y = new Float32Array(x.length);
  const mean = new Float32Array(rows);
  const inv = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    let m = 0;
    if (!rms) {
      for (let i = 0; i < n; i++) m += x[base + i];
      m /= n;
    }
    let v = 0;
    for (let i = 0; i < n; i++) v += (x[base + i] - m) ** 2;
    const s = 1 / Math.sqrt(v / n + eps);
    mean[r] = m;
    inv[r] = s;
    for (let i = 0; i < n; i++) y[base + i] = (x[base + i] - m) * s * (gamma ? gamma[i] : 1) + (beta ? beta[i] : 0);
  }
  return { y, mean, inv };
}

describe('softmax_f32 and layernorm_f32 variants against a JS oracle', () => {
  const lengths = [1, 3, 7, 8, 9, 31, 64, 1000, 4097];
  for (const v of variants.filter((k) => k.family === 'softmax_f32' && k.supported)) {
    for (const log of [false, true]) {
      it(`${v.name}${log ? ' log' : ''}: row lengths ${lengths.join(', ')}, huge logits, -inf masks, NaN rows`, () => {
        for (const n of lengths) {
          const rows = n > 1000 ? 4 : 17;
          const x = random(rows * n, n + 3, 40);
          for (let i = 0; i < n; i++) x[n + i] *= 1e28; // row 1: huge values
          for (let i = 2 * n; i < 3 * n; i += 3) x[i] = -Infinity; // row 2: masked positions (first one always)
          x[3 * n + (n >> 1)] = NaN; // row 3: NaN, the whole row becomes NaN
          const got = new Float32Array(x.length).fill(-7);
          expect(native.softmax(x, got, { n, log }, { variant: v.name, threads: 2 }).kernel).toBe(v.name);
          const want = softmaxOracle(x, n, log);
          expect(worstErr(got, want, log ? 1e-6 : 1e-30), `n=${n}`).toBeLessThan(1e-5);
          for (let i = 3 * n; i < 4 * n; i++) expect(Number.isNaN(got[i])).toBe(true);
          // In place.
          const inplace = Float32Array.from(x);
          native.softmax(inplace, inplace, { n, log }, { variant: v.name });
          expect(worstErr(inplace, got, 0)).toBe(0);
        }
      });
    }
  }

  for (const v of variants.filter((k) => k.family === 'layernorm_f32' && k.supported)) {
    it(`${v.name}: layer norm and RMSNorm, with and without gamma/beta, offset rows, statistics`, () => {
      for (const n of lengths) {
        const rows = n > 1000 ? 3 : 11;
        const x = random(rows * n, n + 5, 3).map((t, i) => (Math.floor(i / n) === 1 ? t + 500 : t));
        const gamma = random(n, 7, 2);
        const beta = random(n, 8, 1);
        for (const rms of [false, true]) {
          for (const [g, b] of [
            [undefined, undefined],
            [gamma, undefined],
            [gamma, beta],
            [undefined, beta],
          ]) {
            const got = new Float32Array(x.length);
            const mean = new Float32Array(rows);
            const inv = new Float32Array(rows);
            const run = native.layerNorm(x, got, { n, epsilon: 1e-5, rms, gamma: g, beta: b, mean, invStdDev: inv }, { variant: v.name, threads: 2 });
            expect(run.kernel).toBe(v.name);
            const want = layerNormOracle(x, n, 1e-5, rms, g, b);
            // Normalized values are O(1); where beta cancels them allow a few ulp of beta.
            expect(worstErr(got, want.y, 1e-1), `n=${n} rms=${rms}`).toBeLessThan(1e-5);
            expect(worstErr(mean, want.mean, 1e-30)).toBeLessThan(1e-6);
            expect(worstErr(inv, want.inv, 1e-30)).toBeLessThan(1e-6);
          }
        }
      }
    });
  }

  it('rejects bad row arguments with clear errors', () => {
    const x = new Float32Array(12);
    const y = new Float32Array(12);
    expect(() => native.softmax(x, y, { n: 5 })).toThrow(/not a whole number of rows of 5/);
    expect(() => native.softmax(x, y, { n: 0 })).toThrow(/n must be an integer >= 1/);
    expect(() => native.softmax(x, new Float32Array(11), { n: 4 })).toThrow(/y has 11 elements/);
    expect(() => native.softmax(x, y, { n: 4 }, { variant: 'layernorm_f32_1x1_scalar_ref' })).toThrow(/unknown softmax_f32 kernel variant/);
    expect(() => native.layerNorm(x, y, { n: 4, gamma: new Float32Array(3) })).toThrow(/gamma has 3 elements/);
    expect(() => native.layerNorm(x, y, { n: 4, invStdDev: new Float32Array(2) })).toThrow(/invStdDev has 2 elements/);
    expect(() => native.layerNorm(x, y, { n: 4, epsilon: -1 })).toThrow(/epsilon must be/);
    expect(() => native.layerNorm(x, y, { n: 4, beta: [1, 2, 3, 4] as unknown as Float32Array })).toThrow(/beta must be a Float32Array/);
  });
});

describe('eager elementwise ops on native kernels match the TypeScript baseline', () => {
  const big = [1, 16, 24, 24]; // 9216 elements: above the native threshold
  expect(9216).toBeGreaterThanOrEqual(NATIVE_MIN_ELEMENTS);
  const cases: [string, number[], number[]][] = [
    ['same shape', big, big],
    ['scalar', big, []],
    ['per channel', big, [1, 16, 1, 1]],
    ['last dim', big, [24]],
    ['scalar first', [1], big],
    ['outer product', [1, 16, 24, 1], [1, 1, 1, 24 * 24]],
  ];
  for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
    for (const [name, da, db] of cases) {
      it(`${op} ${name}`, () => {
        const a = f32(da, 11);
        const b = f32(db, 12);
        const eager = runOp(op, 'eager', [a, b]);
        const base = runOp(op, 'baseline', [a, b]);
        expect(eager.out.dims).toEqual(base.out.dims);
        expect(eager.report?.kernel).toMatch(/^binary_f32_/);
        expect(base.report?.kernel).toBe(`ts_${op.toLowerCase()}_float32`);
        expect(worstErr(eager.out.data as Float32Array, base.out.data as Float32Array, 0)).toBe(0);
      });
    }
  }

  const unaries: [string, Record<string, AttrValue>, number][] = [
    ['Relu', {}, 17],
    ['Sigmoid', {}, 17],
    ['Tanh', {}, 17],
    ['Exp', {}, 17],
    ['HardSigmoid', { alpha: { type: 'float', value: 0.25 }, beta: { type: 'float', value: 0.4 } }, 17],
    ['HardSwish', {}, 17],
    ['LeakyRelu', { alpha: { type: 'float', value: 0.1 } }, 17],
    ['Clip', { min: { type: 'float', value: -0.5 }, max: { type: 'float', value: 2 } }, 6],
  ];
  for (const [op, attrs, opset] of unaries) {
    it(`${op}`, () => {
      const x = f32(big, 21, 8);
      const eager = runOp(op, 'eager', [x], attrs, opset);
      const base = runOp(op, 'baseline', [x], attrs, opset);
      expect(eager.report?.kernel).toMatch(/^unary_f32_/);
      expect(base.report?.kernel).toMatch(/^ts_/);
      // The baseline computes in double: allow 1e-7 absolute near zero crossings, 1e-5 relative elsewhere.
      expect(worstErr(eager.out.data as Float32Array, base.out.data as Float32Array, 1e-2)).toBeLessThan(1e-5);
    });
  }

  it('Clip with tensor bounds (opset 13), missing min, and min > max', () => {
    const x = f32(big, 31, 4);
    const s = (v: number) => new Tensor('float32', [], Float32Array.of(v));
    for (const inputs of [
      [x, s(-1), s(1)],
      [x, undefined, s(0.5)],
      [x, s(2), s(1)],
    ] as (Tensor | undefined)[][]) {
      const eager = runOp('Clip', 'eager', inputs, {}, 13);
      const base = runOp('Clip', 'baseline', inputs, {}, 13);
      expect(eager.report?.kernel).toMatch(/^unary_f32_/);
      expect(worstErr(eager.out.data as Float32Array, base.out.data as Float32Array, 0)).toBe(0);
    }
  });

  it('BatchNormalization (inference) runs as one native ScaleShift pass, matching the baseline', () => {
    for (const dims of [big, [2, 16, 9, 33], [1, 4096, 8]]) {
      const C = dims[1];
      const x = f32(dims, 41, 3);
      const param = (seed: number, shift: number) => new Tensor('float32', [C], random(C, seed).map((v) => v + shift));
      const inputs = [x, param(42, 1), param(43, 0), param(44, 0), param(45, 2)];
      const attrs = { epsilon: { type: 'float', value: 1e-3 } } as Record<string, AttrValue>;
      const eager = runOp('BatchNormalization', 'eager', inputs, attrs, 15);
      const base = runOp('BatchNormalization', 'baseline', inputs, attrs, 15);
      expect(eager.report?.kernel).toMatch(/^binary_f32_/);
      expect(base.report?.kernel).toBe('ts_batchnorm_float32');
      expect(eager.out.dims).toEqual(dims);
      // The baseline computes in double; the kernel's scale and shift are rounded to float32, which
      // shows where x*scale and shift (both up to ~10 here) cancel: allow 1e-6 absolute there.
      expect(worstErr(eager.out.data as Float32Array, base.out.data as Float32Array, 1e-2)).toBeLessThan(1e-4);
    }
  });

  for (const op of ['Softmax', 'LogSoftmax']) {
    it(`${op} over a contiguous axis runs on the native softmax_f32 kernel, within 1e-5 of the baseline`, () => {
      const family = op.toLowerCase();
      for (const [dims, axis, opset] of [
        [[4, 12, 197, 197], -1, 13],
        [[3, 5000], 1, 13],
        [[2, 8, 300], 2, 13],
        [[2, 300, 20, 1], 2, 13], // trailing dims of 1: the axis is still contiguous
        [[2, 3, 40, 40], 1, 11], // before opset 13: the flattened tail
      ] as [number[], number, number][]) {
        const x = f32(dims, 51, 30);
        x.data[7] = NaN; // row 0 becomes NaN in both
        const attrs = { axis: { type: 'int', value: axis } } as Record<string, AttrValue>;
        const eager = runOp(op, 'eager', [x], attrs, opset);
        const base = runOp(op, 'baseline', [x], attrs, opset);
        expect(eager.report?.kernel).toMatch(/^softmax_f32_/);
        expect(base.report?.kernel).toBe(`ts_${family}_float32`);
        expect(eager.out.dims).toEqual(dims);
        expect(worstErr(eager.out.data as Float32Array, base.out.data as Float32Array, op === 'Softmax' ? 1e-7 : 1e-6)).toBeLessThan(1e-5);
      }
      // A strided axis stays in TypeScript.
      const x = f32([2, 300, 20], 52);
      expect(runOp(op, 'eager', [x], { axis: { type: 'int', value: 1 } }, 13).report?.kernel).toBe(`ts_${family}_float32`);
    });
  }

  it('LayerNormalization runs on the native layernorm_f32 kernel, outputs and statistics within 1e-5 of the baseline', () => {
    for (const [dims, axis, scaleDims, biasDims] of [
      [[4, 128, 768], -1, [768], [768]],
      [[2, 16, 24, 24], 1, [16, 24, 24], [16, 24, 24]],
      [[64, 300], -1, [300], undefined],
      [[8, 4, 512], 1, [1, 512], [512]], // broadcast scale
    ] as [number[], number, number[], number[] | undefined][]) {
      const x = new Tensor('float32', dims, random(dims.reduce((a, b) => a * b, 1), 61, 4).map((v, i) => (i % 1000 < 500 ? v + 20 : v)));
      const scale = f32(scaleDims, 62, 2);
      const bias = biasDims ? f32(biasDims, 63) : undefined;
      const attrs = { axis: { type: 'int', value: axis }, epsilon: { type: 'float', value: 1e-5 } } as Record<string, AttrValue>;
      const eager = runOp('LayerNormalization', 'eager', [x, scale, bias], attrs, 17);
      const base = runOp('LayerNormalization', 'baseline', [x, scale, bias], attrs, 17);
      expect(eager.report?.kernel).toMatch(/^layernorm_f32_/);
      expect(base.report?.kernel).toBe('ts_layernorm_float32');
      for (let k = 0; k < 3; k++) {
        expect(eager.outs[k].dims).toEqual(base.outs[k].dims);
        expect(eager.outs[k].dtype).toBe(base.outs[k].dtype);
        expect(worstErr(eager.outs[k].data as Float32Array, base.outs[k].data as Float32Array, 1e-1), `output ${k}`).toBeLessThan(1e-5);
      }
    }
  });

  it('RMSNormalization, SimplifiedLayerNormalization and SkipLayerNormalization run on layernorm_f32 too', () => {
    const dims = [2, 64, 256];
    const x = f32(dims, 71, 3);
    const skip = f32(dims, 72, 1);
    const gamma = f32([256], 73, 2);
    const beta = f32([256], 74);
    const cases: [string, string, (Tensor | undefined)[], number][] = [
      ['RMSNormalization', '', [x, gamma], 23],
      ['SimplifiedLayerNormalization', '', [x, gamma], 17],
      ['SkipLayerNormalization', 'com.microsoft', [x, skip, gamma, beta], 1],
      ['SkipSimplifiedLayerNormalization', 'com.microsoft', [x, skip, gamma], 1],
    ];
    for (const [op, domain, inputs, opset] of cases) {
      const eager = runOp(op, 'eager', inputs, {}, opset, domain);
      const base = runOp(op, 'baseline', inputs, {}, opset, domain);
      expect(eager.report?.kernel, op).toMatch(/^layernorm_f32_/);
      expect(base.report?.kernel, op).toMatch(/^ts_/);
      for (let k = 0; k < base.outs.length; k++) {
        if (!base.outs[k]) continue;
        expect(eager.outs[k].dims).toEqual(base.outs[k].dims);
        expect(worstErr(eager.outs[k].data as Float32Array, base.outs[k].data as Float32Array, 1e-1), `${op} output ${k}`).toBeLessThan(1e-5);
      }
    }
  });

  it('Erf, Gelu (opset 20, both forms) and the com.microsoft GELUs run on the native unary kernel', () => {
    const x = f32(big, 81, 6);
    (x.data as Float32Array).set([0, -0, NaN, Infinity, -Infinity, -12, 12]);
    const bias = f32([24], 82);
    const cases: [string, string, (Tensor | undefined)[], Record<string, AttrValue>, number][] = [
      ['Erf', '', [x], {}, 13],
      ['Gelu', '', [x], {}, 20],
      ['Gelu', '', [x], { approximate: { type: 'string', value: 'tanh' } }, 20],
      ['Gelu', 'com.microsoft', [x], {}, 1],
      ['BiasGelu', 'com.microsoft', [x, bias], {}, 1],
      ['FastGelu', 'com.microsoft', [x], {}, 1],
      ['FastGelu', 'com.microsoft', [x, bias], {}, 1],
    ];
    for (const [op, domain, inputs, attrs, opset] of cases) {
      const eager = runOp(op, 'eager', inputs, attrs, opset, domain);
      const base = runOp(op, 'baseline', inputs, attrs, opset, domain);
      expect(eager.report?.kernel, op).toMatch(/^unary_f32_/);
      expect(base.report?.kernel, op).toMatch(/^ts_/);
      const got = eager.out.data as Float32Array;
      const want = base.out.data as Float32Array;
      for (let i = 0; i < 7; i++) expect(Number.isNaN(got[i]), `${op} x=${x.data[i]}`).toBe(Number.isNaN(want[i]));
      // The baseline's tanh form loses the tail (1 + tanh rounds to 0 below x = -6): 1e-7 absolute there.
      expect(worstErr(got, want, 1e-2), `${op} ${domain}`).toBeLessThan(1e-5);
    }
    // An unknown approximate attribute still fails in TypeScript.
    expect(() => runOp('Gelu', 'eager', [x], { approximate: { type: 'string', value: 'fast' } }, 20)).toThrow(/approximate/);
  });

  it('small tensors and other element types stay on the TypeScript loops', () => {
    expect(runOp('Add', 'eager', [f32([4, 4], 1), f32([4, 4], 2)]).report?.kernel).toBe('ts_add_float32');
    const d = new Tensor('float64', big, Float64Array.from(random(9216, 5)));
    expect(runOp('Mul', 'eager', [d, d]).report?.kernel).toBe('ts_mul_float64');
    expect(runOp('Relu', 'eager', [d]).report?.kernel).toBe('ts_relu_float64');
    expect(runOp('Softmax', 'eager', [f32([4, 64], 3)], {}, 13).report?.kernel).toBe('ts_softmax_float32');
    expect(runOp('Softmax', 'eager', [d], {}, 13).report?.kernel).toBe('ts_softmax_float64');
    expect(runOp('LayerNormalization', 'eager', [f32([4, 64], 3), f32([64], 4)], {}, 17).report?.kernel).toBe('ts_layernorm_float32');
    expect(runOp('Erf', 'eager', [f32([4, 64], 3)], {}, 13).report?.kernel).toBe('ts_erf_float32');
  });
});
