// Native float32 elementwise kernels (binary_f32 / unary_f32 families): every supported variant
// against the scalar reference, and the eager op paths against the TypeScript baseline.
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
): { out: Tensor; report?: KernelReport } {
  const { outputs, report } = runOpReport(op, inputs, { mode, attrs, opset });
  return { out: outputs[0] as Tensor, report };
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
  const ops: UnaryOpName[] = ['Relu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'LeakyRelu', 'Exp', 'Tanh'];
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

  it('Softmax along the last axis runs on the native exp, within 2e-5 of the baseline', () => {
    for (const [dims, axis] of [
      [[4, 12, 197, 197], -1],
      [[3, 5000], 1],
      [[2, 8, 300], 2],
    ] as [number[], number][]) {
      const x = f32(dims, 51, 30);
      const attrs = { axis: { type: 'int', value: axis } } as Record<string, AttrValue>;
      const eager = runOp('Softmax', 'eager', [x], attrs, 13);
      const base = runOp('Softmax', 'baseline', [x], attrs, 13);
      expect(eager.report?.kernel).toMatch(/^unary_f32_/);
      expect(base.report?.kernel).toBe('ts_softmax_float32');
      expect(worstErr(eager.out.data as Float32Array, base.out.data as Float32Array, 1e-7)).toBeLessThan(2e-5);
    }
    // A strided axis stays in TypeScript.
    const x = f32([2, 300, 20], 52);
    expect(runOp('Softmax', 'eager', [x], { axis: { type: 'int', value: 1 } }, 13).report?.kernel).toBe('ts_softmax_float32');
  });

  it('small tensors and other element types stay on the TypeScript loops', () => {
    expect(runOp('Add', 'eager', [f32([4, 4], 1), f32([4, 4], 2)]).report?.kernel).toBe('ts_add_float32');
    const d = new Tensor('float64', big, Float64Array.from(random(9216, 5)));
    expect(runOp('Mul', 'eager', [d, d]).report?.kernel).toBe('ts_mul_float64');
    expect(runOp('Relu', 'eager', [d]).report?.kernel).toBe('ts_relu_float64');
  });
});
