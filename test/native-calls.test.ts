// Prepared kernel calls (engine/native-calls.ts, native/src/napi_calls.cc): the same kernels and
// results as the checked object API, the same rejections, and the addon's own length checks.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadNative, type Conv2dParams, type GemmParams } from '../engine/native.js';
import { ROOT } from './support/paths.js';
import { random } from './support/random.js';

const native = loadNative();
const supported = native.variants().filter((v) => v.supported);

const gemmCases: GemmParams[] = [
  { M: 7, N: 13, K: 5 },
  { M: 2, N: 37, K: 45, transB: true },
  { M: 3, N: 70, K: 20, transA: true, beta: 1 },
  { M: 33, N: 19, K: 64, transB: true, alpha: 0.5, beta: 0.25, act: 'Clip', actAlpha: -0.5, actBeta: 0.75 },
  { M: 9, N: 24, K: 10, batch: 3 },
  { M: 12, N: 20, K: 8, batch: 4, strideB: 0 },
  { M: 130, N: 140, K: 270, relu: true },
  { M: 4, N: 6, K: 0, beta: 0.5 },
];

const convCases: Conv2dParams[] = [
  { N: 1, C: 3, H: 9, W: 11, M: 4, kH: 3, kW: 3, padT: 1, padL: 1, padB: 1, padR: 1, outH: 9, outW: 11 },
  { N: 2, C: 4, H: 8, W: 8, M: 6, kH: 1, kW: 1, group: 2, outH: 8, outW: 8, relu: true },
  { N: 1, C: 5, H: 12, W: 13, M: 7, kH: 3, kW: 3, strideH: 2, strideW: 2, padT: 1, padL: 1, padB: 1, padR: 1, outH: 6, outW: 7 },
  { N: 1, C: 8, H: 10, W: 19, M: 8, kH: 3, kW: 3, group: 8, padT: 1, padL: 1, padB: 1, padR: 1, outH: 10, outW: 19, act: 'HardSwish' },
  { N: 1, C: 16, H: 8, W: 8, M: 16, kH: 1, kW: 1, outH: 8, outW: 8 },
];

function gemmSizes(p: GemmParams) {
  const batch = p.batch ?? 1;
  return { a: batch * p.M * p.K, b: batch * p.K * p.N, c: batch * p.M * p.N };
}

describe('prepared calls', () => {
  it('run GEMMs bit for bit like gemm(), with bias and residual passed per run, on every thread count and variant', () => {
    for (const p of gemmCases) {
      const n = gemmSizes(p);
      const a = random(n.a, 1);
      const b = random(n.b, 2);
      const c0 = random(n.c, 3);
      const bias = random(p.N, 4);
      const residual = random(n.c, 5);
      for (const variant of ['auto', 'reference', ...supported.filter((v) => v.family === 'matmul_f32').map((v) => v.name)]) {
        for (const threads of [1, 2]) {
          const want = Float32Array.from(c0);
          const run = native.gemm(a, b, want, { ...p, bias, residual }, { variant, threads });
          const got = Float32Array.from(c0);
          const call = native.prepareGemm(p, { variant, threads });
          expect(call.kernel).toBe(run.kernel);
          expect(call.isa).toBe(run.isa);
          expect(call.run(a, b, got, bias, residual)).toBeGreaterThanOrEqual(0);
          expect(got, `${JSON.stringify(p)} ${variant} ${threads}`).toEqual(want);
        }
      }
    }
  });

  it('run convolutions bit for bit like conv2d(), and name the same kernel', () => {
    for (const p of convCases) {
      const x = random(p.N * p.C * p.H * p.W, 6);
      const w = random(p.M * (p.C / (p.group ?? 1)) * p.kH * p.kW, 7);
      const bias = random(p.M, 8);
      const out = p.N * p.M * p.outH * p.outW;
      const residual = random(out, 9);
      for (const variant of ['auto', 'reference']) {
        const want = new Float32Array(out);
        const run = native.conv2d(x, w, bias, want, { ...p, residual }, { variant, threads: 2 });
        const call = native.prepareConv2d(p, { variant, threads: 2 });
        expect(call.kernel).toBe(run.kernel);
        const got = new Float32Array(out);
        call.run(x, w, bias, got, residual);
        expect(got).toEqual(want);
        // Again, on other arrays: nothing of the first run stays in the call.
        const x2 = random(x.length, 10);
        const want2 = new Float32Array(out);
        native.conv2d(x2, w, null, want2, p, { variant, threads: 2 });
        const got2 = new Float32Array(out);
        call.run(x2, w, null, got2);
        expect(got2).toEqual(want2);
      }
    }
  });

  it('give the same results with the pool held for a run, and check the hold arguments', () => {
    const p = convCases[2];
    const x = random(p.N * p.C * p.H * p.W, 11);
    const w = random(p.M * p.C * p.kH * p.kW, 12);
    const out = p.N * p.M * p.outH * p.outW;
    const want = new Float32Array(out);
    native.conv2d(x, w, null, want, p, { threads: 2 });
    const call = native.prepareConv2d(p, { threads: 2 });
    // Holds nest; a release too many is ignored, so the next hold and release still pair.
    native.holdPool(2);
    native.holdPool(2);
    const got = new Float32Array(out);
    call.run(x, w, null, got);
    native.releasePool();
    native.releasePool();
    native.releasePool();
    expect(got).toEqual(want);
    native.holdPool(2);
    const again = new Float32Array(out);
    call.run(x, w, null, again);
    native.releasePool();
    expect(again).toEqual(want);
    expect(() => native.holdPool(0)).toThrow(/threads/);
    expect(() => native.holdPool(1.5)).toThrow(/threads/);
  });

  it('pack a constant B once and follow a run that passes another B array', () => {
    const p = { M: 37, N: 70, K: 45 };
    const a = random(p.M * p.K, 21);
    const b1 = random(p.K * p.N, 22);
    const b2 = random(p.K * p.N, 23);
    const want = (b: Float32Array) => {
      const c = new Float32Array(p.M * p.N);
      native.gemm(a, b, c, p, { threads: 2 });
      return c;
    };
    const call = native.prepareGemm({ ...p, constantB: true }, { threads: 2 });
    for (const b of [b1, b1, b2, b1]) {
      const c = new Float32Array(p.M * p.N);
      call.run(a, b, c);
      const w = want(b);
      for (let i = 0; i < c.length; i++) expect(Math.abs(c[i] - w[i])).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(w[i])));
    }
    const raw = createRequire(__filename)('node-gyp-build')(ROOT) as Record<string, (...args: unknown[]) => unknown>;
    expect(() => raw.gemmPrepare(Float64Array.from([4, 4, 4, 0, 0, 1, 0, 1, 16, 16, 16, 0, 0, 0, 1]), 'auto', 'yes')).toThrow(
      /constantB must be a boolean/,
    );
  });

  it('run binary and unary ops like binary() and unary()', () => {
    const a = random(3 * 1000, 11);
    const b = random(3, 12);
    const rows = { n: 1000, startsA: Int32Array.from([0, 1000, 2000]), stepA: 1, startsB: Int32Array.from([0, 1, 2]), stepB: 0 };
    for (const op of ['Add', 'Sub', 'Mul', 'Div'] as const) {
      const want = new Float32Array(3000);
      const run = native.binary(op, a, b, want, rows);
      const got = new Float32Array(3000);
      const call = native.prepareBinary(op, rows);
      expect(call.kernel).toBe(run.kernel);
      call.run(a, b, got);
      expect(got).toEqual(want);
    }
    for (const op of ['Relu', 'Clip', 'Sigmoid', 'LeakyRelu', 'Exp', 'Tanh'] as const) {
      const want = new Float32Array(3000);
      native.unary(op, a, want, -0.25, 0.5);
      const got = new Float32Array(3000);
      native.prepareUnary(op, -0.25, 0.5, { threads: 2 }).run(a, got);
      expect(got, op).toEqual(want);
    }
  });

  it('read and write views at their offsets, never past their ends', () => {
    const base = random(40, 21);
    const out = new Float32Array(40).fill(7);
    native.prepareUnary('Relu').run(base.subarray(8, 24), out.subarray(8, 24));
    expect(Array.from(out.subarray(8, 24))).toEqual(Array.from(base.subarray(8, 24), (v) => Math.max(v, 0)));
    expect(out.subarray(0, 8).every((v) => v === 7) && out.subarray(24).every((v) => v === 7)).toBe(true);
    // Element types are the wrapper's to check; the addon itself takes whole, aligned floats only.
    expect(() => native.prepareUnary('Relu').run(new Float64Array(4) as unknown as Float32Array, out)).toThrow(/x must be a Float32Array/);
    const raw = createRequire(__filename)('node-gyp-build')(ROOT) as Record<string, (...args: unknown[]) => unknown>;
    const relu = raw.unaryPrepare(0, 0, 0, 1, 'auto') as { handle: number };
    expect(() => raw.unaryRun(relu.handle, new Uint8Array(new ArrayBuffer(17), 1, 16), new Float32Array(4))).toThrow(
      /x must be a Float32Array/,
    );
    expect(() => raw.unaryRun(relu.handle, new Float32Array(8), new Uint8Array(31))).toThrow(/y has 7 elements but the parameters need 8/);
  });

  it('reject bad parameters when prepared, like the object API', () => {
    expect(() => native.prepareGemm({ M: -1, N: 2, K: 3 })).toThrow(/M must be an integer >= 0, got -1/);
    expect(() => native.prepareGemm({ M: 1, N: 1, K: 1 }, { threads: 0 })).toThrow(/threads must be an integer >= 1/);
    expect(() => native.prepareGemm({ M: 1, N: 1, K: 1 }, { variant: 'matmul_f32_99x99_magic' })).toThrow(
      /unknown matmul_f32 kernel variant/,
    );
    expect(() => native.prepareGemm({ M: 1, N: 1, K: 1, act: 'Swish' as 'Relu' })).toThrow(/unknown fused activation 'Swish'/);
    expect(() => native.prepareConv2d({ ...convCases[0], outH: 10 })).toThrow(/does not match/);
    expect(() => native.prepareConv2d({ ...convCases[0], C: 0 })).toThrow(/C must be an integer >= 1/);
    expect(() => native.prepareConv2d(convCases[0], { variant: 'no_such_kernel' })).toThrow(
      /unknown conv2d kernel variant 'no_such_kernel'/,
    );
    expect(() =>
      native.prepareBinary('Pow' as 'Add', { n: 1, startsA: new Int32Array(1), stepA: 1, startsB: new Int32Array(1), stepB: 1 }),
    ).toThrow(/unknown binary op 'Pow'/);
    expect(() => native.prepareBinary('Add', { n: 1, startsA: new Int32Array(1), stepA: 2, startsB: new Int32Array(1), stepB: 1 })).toThrow(
      /stepA must be 0 or 1/,
    );
    expect(() => native.prepareUnary('Softplus' as 'Relu')).toThrow(/unknown unary op 'Softplus'/);
  });

  it('check every run against the prepared shape: short or mistyped arrays throw, nothing is written', () => {
    const call = native.prepareConv2d(convCases[4]);
    const x = random(1024, 13);
    const w = random(256, 14);
    const y = new Float32Array(1000);
    expect(() => call.run(x, w, null, y)).toThrow(/y has 1000 elements but the parameters need 1024/);
    expect(() => call.run(x.subarray(1), w, null, new Float32Array(1024))).toThrow(/x has 1023 elements/);
    expect(() => call.run(x, w, new Float32Array(3), new Float32Array(1024))).toThrow(/bias has 3 elements/);
    expect(() => call.run(x, new Float64Array(256) as unknown as Float32Array, null, new Float32Array(1024))).toThrow(
      /w must be a Float32Array/,
    );
    expect(y.every((v) => v === 0)).toBe(true);
    const gemm = native.prepareGemm({ M: 4, N: 4, K: 4 });
    expect(() => gemm.run(new Float32Array(16), new Float32Array(16), new Float32Array(15))).toThrow(/c has 15 elements/);
    expect(() => gemm.run(new Float32Array(16), new Float32Array(16), new Float32Array(16), null, new Float32Array(8))).toThrow(
      /residual has 8 elements/,
    );
    const add = native.prepareBinary('Add', {
      n: 8,
      startsA: Int32Array.from([0, 8]),
      stepA: 1,
      startsB: Int32Array.from([0, 0]),
      stepB: 1,
    });
    expect(() => add.run(new Float32Array(15), new Float32Array(8), new Float32Array(16))).toThrow(
      /a has 15 elements but the parameters need 16/,
    );
    expect(() => add.run(new Float32Array(16), new Float32Array(8), new Float32Array(12))).toThrow(/y has 12 elements/);
    expect(() => native.prepareUnary('Relu').run(new Float32Array(8), new Float32Array(4))).toThrow(/y has 4 elements/);
  });

  it('the addon re-checks what the wrapper packed (a bad params block or handle cannot reach a kernel)', () => {
    const raw = createRequire(__filename)('node-gyp-build')(ROOT) as Record<string, (...args: unknown[]) => unknown>;
    const a = new Float32Array(16);
    const params = (p: number[]) => Float64Array.from(p);
    const ok = [4, 4, 4, 0, 0, 1, 0, 1, 16, 16, 16, 0, 0, 0, 1];
    const call = raw.gemmPrepare(params(ok), 'auto') as { handle: number };
    expect(raw.gemmRun(call.handle, a, a, a, null, null)).toBeGreaterThanOrEqual(0);
    expect(() => raw.gemmPrepare(params(ok.slice(0, 10)), 'auto')).toThrow(/params has 10 entries, needs 15/);
    expect(() => raw.gemmPrepare(params([4, 4, -4, ...ok.slice(3)]), 'auto')).toThrow(/K must be a non-negative integer/);
    expect(() => raw.gemmPrepare(params([...ok.slice(0, 14), 0]), 'auto')).toThrow(/threads must be between 1 and 256/);
    expect(() => raw.gemmPrepare(params([...ok.slice(0, 11), 42, 0, 0, 1]), 'auto')).toThrow(/act must be/);
    expect(() => raw.gemmPrepare(params(ok), 'matmul_f32_99x99_magic')).toThrow(/unknown matmul_f32 kernel variant/);
    const big = raw.gemmPrepare(params([8, 8, 8, 0, 0, 1, 0, 1, 64, 64, 64, 0, 0, 0, 1]), 'auto') as { handle: number };
    expect(() => raw.gemmRun(big.handle, a, a, a, null, null)).toThrow(/a has 16 elements but the parameters need 64/);
    // A handle of another kind, or anything else, is refused before any array is read.
    const relu = raw.unaryPrepare(0, 0, 0, 1, 'auto') as { handle: number };
    expect(() => raw.gemmRun(relu.handle, a, a, a, null, null)).toThrow(/prepared call of another kind/);
    expect(() => raw.gemmRun({}, a, a, a, null, null)).toThrow(/handle must be a prepared call/);
    expect(() => raw.gemmRun(call.handle + 2 ** 24, a, a, a, null, null)).toThrow(/handle must be a prepared call/); // another generation
    expect(() => raw.gemmRun(123456, a, a, a, null, null)).toThrow(/handle must be a prepared call/);
    expect(() => raw.binaryPrepare(0, Int32Array.from([0, 8]), 1, Int32Array.from([0]), 1, 8, 1, 'auto')).toThrow(/one entry per row/);
    expect(() => raw.binaryPrepare(0, Int32Array.from([-1]), 1, Int32Array.from([0]), 1, 8, 1, 'auto')).toThrow(/non-negative/);
    expect(() => raw.unaryRun(relu.handle, a)).toThrow(/needs 3 arguments/);
    expect(() => raw.conv2dPrepare(new Float64Array(22), 'auto')).toThrow(/conv2d: group must divide C and M/);
  });

  it('frees a call once its object is collected, and then refuses its handle', () => {
    const script = `
      const raw = require('node-gyp-build')(${JSON.stringify(ROOT)});
      const x = new Float32Array(8);
      const kept = raw.unaryPrepare(0, 0, 0, 1, 'auto');
      let stale = raw.unaryPrepare(0, 0, 0, 1, 'auto').handle;
      for (let i = 0; i < 1000; i++) raw.unaryPrepare(0, 0, 0, 1, 'auto');
      const settle = (n) => new Promise((r) => setImmediate(r)).then(() => { global.gc(); return n > 0 ? settle(n - 1) : undefined; });
      settle(5).then(() => {
        raw.unaryRun(kept.handle, x, x);
        let refused = false;
        try { raw.unaryRun(stale, x, x); } catch (e) { refused = /handle must be a prepared call/.test(e.message); }
        console.log(JSON.stringify({ refused }));
      });`;
    const out = execFileSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', cwd: ROOT });
    expect(JSON.parse(out)).toEqual({ refused: true });
  });
});
