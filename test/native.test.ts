// The native addon: every supported kernel variant against the reference kernels, CPU detection,
// variant forcing, the async path, and argument errors.
import { execFileSync } from 'node:child_process';
import { describe, it, expect } from 'vitest';
import { ACTIVATIONS, loadNative, type ActivationName, type Conv2dParams, type GemmParams, type KernelVariantInfo } from '../engine/native.js';
import { ROOT } from './support/paths.js';
import { random } from './support/random.js';

const native = loadNative();

function maxRelErr(got: Float32Array, want: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i]));
    if (!(d <= worst)) worst = d;
  }
  return worst;
}

/** Plain JS GEMM in doubles: an oracle independent of the addon. */
function jsGemm(a: Float32Array, b: Float32Array, c: Float32Array, p: GemmParams): Float32Array {
  const { M, N, K } = p;
  const out = Float32Array.from(c);
  for (let bi = 0; bi < (p.batch ?? 1); bi++) {
    const ao = bi * (p.strideA ?? M * K);
    const bo = bi * (p.strideB ?? K * N);
    const co = bi * (p.strideC ?? M * N);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const av = p.transA ? a[ao + k * M + i] : a[ao + i * K + k];
          const bv = p.transB ? b[bo + j * K + k] : b[bo + k * N + j];
          s += av * bv;
        }
        let v = (p.alpha ?? 1) * s + ((p.beta ?? 0) !== 0 ? (p.beta ?? 0) * c[co + i * N + j] : 0);
        if (p.bias) v += p.bias[j];
        if (p.relu && v < 0) v = 0;
        out[co + i * N + j] = v;
      }
    }
  }
  return out;
}

const variants = native.variants();
const matmulVariants = variants.filter((v) => v.family === 'matmul_f32' && v.supported);
const dwVariants = variants.filter((v) => v.family === 'dwconv2d_f32' && v.supported);
const gemvVariants = variants.filter((v) => v.family === 'gemv_f32' && v.supported);

/**
 * The kernel gemm() reports with matmul variant v for M rows: products of 1 to 3 rows run on the
 * gemv_f32 variant of v's ISA (the naive reference runs every shape itself).
 */
function gemmKernel(v: KernelVariantInfo, M: number): KernelVariantInfo {
  if (M < 1 || M > 3 || v.reference) return v;
  return gemvVariants.find((g) => g.isa === v.isa) ?? variants.find((g) => g.family === 'gemv_f32' && g.selected)!;
}

const gemmCases: GemmParams[] = [
  { M: 1, N: 1, K: 1 },
  { M: 7, N: 13, K: 5 },
  { M: 65, N: 33, K: 129 },
  { M: 2, N: 37, K: 45, transB: true },
  { M: 3, N: 70, K: 20, transA: true, beta: 1 },
  { M: 17, N: 31, K: 300, transA: true, alpha: 0.5 },
  { M: 33, N: 19, K: 64, transB: true, beta: 0.25, relu: true },
  { M: 50, N: 70, K: 40, transA: true, transB: true, alpha: 2, beta: 0.5 },
  { M: 9, N: 24, K: 10, batch: 3 },
  { M: 12, N: 20, K: 8, batch: 4, strideB: 0 },
  { M: 130, N: 140, K: 270 },
  { M: 4, N: 6, K: 0, beta: 0.5 },
];

describe('cpuInfo', () => {
  it('describes this machine', () => {
    const cpu = native.cpuInfo();
    expect(['x86_64', 'aarch64']).toContain(cpu.arch);
    expect(cpu.cores).toBeGreaterThanOrEqual(1);
    expect(Array.isArray(cpu.isa)).toBe(true);
    if (cpu.arch === 'aarch64') expect(cpu.isa).toContain('neon');
    if (cpu.arch === 'x86_64') {
      expect(cpu.vendor.length).toBeGreaterThan(0);
      expect(cpu.midr).toBeUndefined();
    }
  });
});

describe('variant table', () => {
  it('selects exactly one supported variant per family, never the reference when something faster exists', () => {
    for (const family of ['matmul_f32', 'dwconv2d_f32']) {
      const fam = variants.filter((v) => v.family === family);
      const selected = fam.filter((v) => v.selected);
      expect(selected, family).toHaveLength(1);
      expect(selected[0].supported).toBe(true);
      if (fam.some((v) => v.supported && !v.reference)) expect(selected[0].reference).toBe(false);
    }
    const isa = native.cpuInfo().isa;
    const selectedMatmul = variants.find((v) => v.selected && v.family === 'matmul_f32')!.name;
    if (isa.includes('avx512f')) {
      expect(selectedMatmul).toBe('matmul_f32_14x32_avx512');
    } else if (isa.includes('avx2') && isa.includes('fma')) {
      expect(selectedMatmul).toBe('matmul_f32_6x16_avx2_fma');
    } else {
      console.log(`AVX2/AVX-512 matmul selection not checked: this CPU has ${isa.join(',') || 'no SIMD extensions'}`);
    }
  });

  it('marks selected only what a run selects: convolutions run on the selected matmul_f32 and dwconv2d_f32 variants, never on conv2d_f32', () => {
    // conv2d_f32 holds the direct reference that baseline mode runs; Show CPU Features and
    // `armml info` must not call it the conv kernel of eager and graph runs.
    expect(variants.filter((v) => v.family === 'conv2d_f32' && v.selected)).toEqual([]);
    const mm = variants.find((v) => v.selected && v.family === 'matmul_f32')!.name;
    const dw = variants.find((v) => v.selected && v.family === 'dwconv2d_f32')!.name;
    const base = { N: 1, H: 8, W: 8, kH: 3, kW: 3, padT: 1, padL: 1, padB: 1, padR: 1, outH: 8, outW: 8 };
    const run = (C: number, M: number, group: number) =>
      native.conv2d(random(C * 64, 2), random(M * (C / group) * 9, 3), null, new Float32Array(M * 64), { ...base, C, M, group }).kernel;
    expect(run(8, 16, 1)).toContain(mm);
    expect(run(8, 8, 8)).toBe(dw);
  });

  it('can be forced per call and through ARMML_KERNEL', () => {
    const a = random(6, 1);
    const c = new Float32Array(4);
    for (const v of matmulVariants) {
      expect(native.gemm(a, a, c, { M: 2, N: 2, K: 3, transB: true }, { variant: v.name }).kernel).toBe(gemmKernel(v, 2).name);
      expect(native.gemm(a, a, c, { M: 4, N: 1, K: 1 }, { variant: v.name }).kernel).toBe(v.name);
    }
    for (const v of gemvVariants) {
      const run = native.gemm(a, a, c, { M: 2, N: 2, K: 3, transB: true }, { variant: v.name });
      expect([run.kernel, run.isa]).toEqual([v.name, v.isa]);
    }
    expect(native.gemm(a, a, c, { M: 2, N: 2, K: 3, transB: true }, { variant: 'reference' }).kernel).toBe('matmul_f32_1x1_scalar_ref');
    const script = `const n=require('node-gyp-build')(${JSON.stringify(ROOT)});console.log(n.variants().filter(v=>v.selected).map(v=>v.name).join(','))`;
    const out = execFileSync(process.execPath, ['-e', script], {
      encoding: 'utf8',
      env: { ...process.env, ARMML_KERNEL: 'matmul_f32_4x8_portable,dwconv2d_f32_4x4_portable,gemv_f32_1x1_scalar_ref' },
    });
    expect(out.trim().split(',')).toEqual(
      expect.arrayContaining(['matmul_f32_4x8_portable', 'dwconv2d_f32_4x4_portable', 'gemv_f32_1x1_scalar_ref']),
    );
    // ARMML_KERNEL's gemv variant runs the M < 4 products whatever the matmul variant.
    const gemvScript = `const n=require('node-gyp-build')(${JSON.stringify(ROOT)});const a=new Float32Array(8);console.log(n.gemm(a,a,a,null,{M:1,N:2,K:4},{}).kernel)`;
    const ran = execFileSync(process.execPath, ['-e', gemvScript], { encoding: 'utf8', env: { ...process.env, ARMML_KERNEL: 'gemv_f32_1x8_portable' } });
    expect(ran.trim()).toBe('gemv_f32_1x8_portable');
  });
});

describe('gemm variants against the reference', () => {
  for (const v of matmulVariants) {
    for (const p of gemmCases) {
      for (const threads of [1, 2]) {
        it(`${v.name} ${JSON.stringify(p)} threads=${threads}`, () => {
          const batch = p.batch ?? 1;
          const { M, N, K } = p;
          const a = random(M * K * batch, 11 + M);
          const b = random(p.strideB === 0 ? K * N : K * N * batch, 23 + N);
          const c0 = random(M * N * batch, 37 + K);
          const bias = M > 10 ? random(N, 5) : undefined;
          const params = { ...p, bias };
          const got = Float32Array.from(c0);
          const ref = Float32Array.from(c0);
          const run = native.gemm(a, b, got, params, { variant: v.name, threads });
          native.gemm(a, b, ref, params, { variant: 'reference' });
          expect(run.kernel).toBe(gemmKernel(v, M).name);
          expect(run.isa).toBe(gemmKernel(v, M).isa);
          expect(run.ns).toBeGreaterThanOrEqual(0);
          expect(maxRelErr(got, ref)).toBeLessThan(1e-4);
          expect(maxRelErr(ref, jsGemm(a, b, c0, params))).toBeLessThan(1e-5);
        });
      }
    }
  }

  it('treats beta = 0 as write-only (NaN in C does not leak)', () => {
    const a = random(12, 3);
    const c = new Float32Array(9).fill(NaN);
    native.gemm(a, a, c, { M: 3, N: 3, K: 4, transB: true });
    expect(c.every((x) => Number.isFinite(x))).toBe(true);
  });

  it('gemmAsync runs off the JS thread and gives the same result', async () => {
    const M = 96;
    const a = random(M * M, 8);
    const b = random(M * M, 9);
    const sync = new Float32Array(M * M);
    const async = new Float32Array(M * M);
    native.gemm(a, b, sync, { M, N: M, K: M }, { threads: 2 });
    const run = await native.gemmAsync(a, b, async, { M, N: M, K: M }, { threads: 2 });
    expect(run.kernel).toBe(variants.find((v) => v.selected && v.family === 'matmul_f32')!.name);
    expect(maxRelErr(async, sync)).toBe(0);
    await expect(native.gemmAsync(a, b, async, { M, N: M, K: M + 1 })).rejects.toThrow(/a has 9216 elements but needs at least 9312/);
  });
});

describe('gemv variants (M < 4) against a JS GEMM', () => {
  const shapes: GemmParams[] = [
    { M: 1, N: 1, K: 1 },
    { M: 1, N: 65, K: 129 },
    { M: 1, N: 129, K: 17, transB: true },
    { M: 2, N: 1000, K: 7, alpha: 0.5 },
    { M: 3, N: 17, K: 1000, transB: true, beta: 1 },
    { M: 3, N: 64, K: 65, transA: true, beta: 0.25 },
    { M: 2, N: 7, K: 64, transA: true, transB: true, alpha: -2 },
    { M: 1, N: 33, K: 0, beta: 0.5 },
    { M: 2, N: 20, K: 9, batch: 3 },
    { M: 1, N: 24, K: 40, batch: 4, strideB: 0, transB: true },
    // Over the two-thread threshold, with uneven chunk edges.
    { M: 1, N: 1001, K: 300 },
    { M: 3, N: 1001, K: 300, transB: true },
  ];
  for (const v of gemvVariants) {
    for (const p of shapes) {
      it(`${v.name} ${JSON.stringify(p)}`, () => {
        const batch = p.batch ?? 1;
        const { M, N, K } = p;
        const a = random(Math.max(1, M * K * batch), 3 + N);
        const b = random(Math.max(1, p.strideB === 0 ? K * N : K * N * batch), 5 + K);
        const c0 = random(M * N * batch, 7 + M);
        const bias = random(N, 9);
        const params = { ...p, bias };
        for (const threads of [1, 2]) {
          const got = Float32Array.from(c0);
          const run = native.gemm(a, b, got, params, { variant: v.name, threads });
          expect([run.kernel, run.isa]).toEqual([v.name, v.isa]);
          expect(maxRelErr(got, jsGemm(a, b, c0, params))).toBeLessThan(1e-4);
        }
      });
    }
    it(`${v.name} fuses bias + residual + every activation, both layouts`, () => {
      const M = 3, N = 70, K = 33;
      const a = random(M * K, 1), b = random(K * N, 2), bias = random(N, 3), residual = random(M * N, 4);
      for (const act of Object.keys(ACTIVATIONS) as ActivationName[]) {
        for (const transB of [false, true]) {
          const alpha = act === 'Clip' ? -0.2 : 0.1, beta = act === 'Clip' ? 0.3 : 0.5;
          const got = new Float32Array(M * N);
          native.gemm(a, b, got, { M, N, K, transB, bias, residual, act, actAlpha: alpha, actBeta: beta }, { variant: v.name });
          const lin = jsGemm(a, b, new Float32Array(M * N), { M, N, K, transB, bias });
          const want = lin.map((x, i) => jsActivate(act, x + residual[i], alpha, beta));
          expect(maxRelErr(got, want), `${act} transB=${transB}`).toBeLessThan(1e-5);
        }
      }
    });
  }

  it('auto reports the gemv kernel for M < 4 and the matmul kernel from M = 4', () => {
    const a = random(4 * 64, 1), b = random(64 * 48, 2), c = new Float32Array(4 * 48);
    const selected = (family: string) => variants.find((v) => v.family === family && v.selected)!;
    for (const M of [1, 2, 3]) expect(native.gemm(a, b, c, { M, N: 48, K: 64 }).kernel).toBe(gemmKernel(selected('matmul_f32'), M).name);
    expect(native.gemm(a, b, c, { M: 4, N: 48, K: 64 }).kernel).toBe(selected('matmul_f32').name);
    expect(gemmKernel(selected('matmul_f32'), 1).name).toBe(selected('gemv_f32').name);
  });

  it('gemmAsync reports the gemv kernel too', async () => {
    const a = random(64, 1), b = random(64 * 32, 2), got = new Float32Array(32), want = new Float32Array(32);
    const run = await native.gemmAsync(a, b, got, { M: 1, N: 32, K: 64 }, { threads: 2 });
    native.gemm(a, b, want, { M: 1, N: 32, K: 64 });
    expect(run.kernel).toBe(variants.find((v) => v.family === 'gemv_f32' && v.selected)!.name);
    expect(maxRelErr(got, want)).toBe(0);
  });

  it('rejects a gemv variant for a product with 4 or more rows', () => {
    const a = random(16, 1);
    expect(() => native.gemm(a, a, new Float32Array(16), { M: 4, N: 4, K: 4 }, { variant: gemvVariants[0].name })).toThrow(
      /gemv_f32 variants run products with 1 to 3 rows; M is 4/,
    );
  });
});

const convCases: Conv2dParams[] = [
  { N: 1, C: 3, H: 9, W: 11, M: 4, kH: 3, kW: 3, padT: 1, padL: 1, padB: 1, padR: 1, outH: 9, outW: 11 },
  { N: 2, C: 4, H: 8, W: 8, M: 6, kH: 1, kW: 1, group: 2, outH: 8, outW: 8 },
  { N: 1, C: 5, H: 12, W: 13, M: 7, kH: 3, kW: 3, strideH: 2, strideW: 2, padT: 1, padL: 1, padB: 1, padR: 1, outH: 6, outW: 7 },
  { N: 1, C: 2, H: 6, W: 7, M: 4, kH: 2, kW: 3, dilH: 2, dilW: 2, padT: 0, padL: 2, padB: 1, padR: 0, outH: 5, outW: 5 },
  { N: 1, C: 8, H: 10, W: 19, M: 8, kH: 3, kW: 3, group: 8, padT: 1, padL: 1, padB: 1, padR: 1, outH: 10, outW: 19 },
  { N: 2, C: 6, H: 17, W: 23, M: 6, kH: 3, kW: 3, group: 6, strideH: 2, strideW: 2, padT: 1, padL: 1, padB: 1, padR: 1, outH: 9, outW: 12 },
  { N: 1, C: 4, H: 11, W: 14, M: 4, kH: 5, kW: 5, group: 4, dilH: 2, dilW: 2, padT: 2, padL: 2, padB: 2, padR: 2, outH: 7, outW: 10 },
  { N: 1, C: 3, H: 7, W: 9, M: 3, kH: 3, kW: 3, group: 3, strideH: 3, strideW: 3, outH: 2, outW: 3 },
  { N: 1, C: 4, H: 6, W: 6, M: 8, kH: 3, kW: 3, group: 4, padT: 1, padL: 1, padB: 1, padR: 1, outH: 6, outW: 6 },
  // Several depth blocks (K = 360 > 256), several column blocks (P = 2500 > 2048), threads split.
  { N: 1, C: 40, H: 50, W: 50, M: 20, kH: 3, kW: 3, padT: 1, padL: 1, padB: 1, padR: 1, outH: 50, outW: 50 },
  // 1x1 with stride (implicit im2col, no padding) and asymmetric padding with a wide kernel.
  { N: 2, C: 8, H: 9, W: 9, M: 5, kH: 1, kW: 1, strideH: 2, strideW: 2, outH: 5, outW: 5 },
  { N: 1, C: 3, H: 5, W: 40, M: 7, kH: 1, kW: 7, strideW: 3, padL: 4, padR: 2, outH: 5, outW: 14 },
  // Depthwise edges: width 1, prime widths, wider than four vectors, 5x5 at stride 1 and 2,
  // asymmetric pads, batches, and a non-square filter (the kernels' generic path).
  { N: 1, C: 5, H: 13, W: 1, M: 5, kH: 3, kW: 3, group: 5, padT: 1, padL: 1, padB: 1, padR: 1, outH: 13, outW: 1 },
  { N: 1, C: 4, H: 9, W: 37, M: 4, kH: 5, kW: 5, group: 4, strideH: 2, strideW: 2, padT: 2, padL: 1, padB: 0, padR: 2, outH: 4, outW: 18 },
  { N: 2, C: 3, H: 11, W: 67, M: 3, kH: 3, kW: 3, group: 3, strideH: 2, strideW: 2, padL: 2, padB: 1, outH: 5, outW: 34 },
  { N: 1, C: 6, H: 7, W: 131, M: 6, kH: 5, kW: 5, group: 6, padT: 2, padL: 2, padB: 2, padR: 2, outH: 7, outW: 131 },
  { N: 1, C: 3, H: 5, W: 13, M: 3, kH: 3, kW: 5, group: 3, padT: 1, padL: 2, padB: 1, padR: 2, outH: 5, outW: 13 },
];

/** The activations in plain JS (erf by its series), independent of the addon's vector math. */
function jsErf(x: number): number {
  if (Math.abs(x) > 4) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 60; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
function jsActivate(act: ActivationName, v: number, alpha: number, beta: number): number {
  const sig = (t: number) => 1 / (1 + Math.exp(-t));
  switch (act) {
    case 'None': return v;
    case 'Relu': return Math.max(v, 0);
    case 'Clip': return Math.min(Math.max(v, alpha), beta);
    case 'Sigmoid': return sig(v);
    case 'SiLU': return v * sig(v);
    case 'HardSwish': return v * Math.max(0, Math.min(1, v / 6 + 0.5));
    case 'Gelu': return 0.5 * v * (1 + jsErf(v / Math.SQRT2));
    case 'GeluTanh': return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
    case 'LeakyRelu': return v < 0 ? alpha * v : v;
    case 'HardSigmoid': return Math.max(0, Math.min(1, alpha * v + beta));
  }
}

describe('fused epilogues (bias, residual, activation in the kernel)', () => {
  const acts = Object.keys(ACTIVATIONS) as ActivationName[];
  for (const v of matmulVariants) {
    for (const act of acts) {
      it(`${v.name} gemm + bias + residual + ${act}`, () => {
        const M = 23, N = 37, K = 41;
        const a = random(M * K, 3), b = random(K * N, 4), bias = random(N, 5), residual = random(M * N, 6);
        const got = new Float32Array(M * N);
        const alpha = act === 'Clip' ? -0.2 : 0.1, beta = act === 'Clip' ? 0.3 : 0.5;
        native.gemm(a, b, got, { M, N, K, bias, residual, act, actAlpha: alpha, actBeta: beta }, { variant: v.name, threads: 2 });
        const lin = jsGemm(a, b, new Float32Array(M * N), { M, N, K, bias });
        const want = lin.map((x, i) => jsActivate(act, x + residual[i], alpha, beta));
        expect(maxRelErr(got, want)).toBeLessThan(1e-5);
      });
    }
  }
  it('conv2d fuses a residual Add and ReLU (a ResNet block tail) on every conv path', () => {
    for (const p of [
      { N: 1, C: 8, H: 9, W: 9, M: 16, kH: 3, kW: 3, padT: 1, padL: 1, padB: 1, padR: 1, outH: 9, outW: 9 },
      { N: 1, C: 8, H: 9, W: 9, M: 16, kH: 1, kW: 1, outH: 9, outW: 9 },
      { N: 1, C: 8, H: 9, W: 9, M: 8, kH: 3, kW: 3, group: 8, padT: 1, padL: 1, padB: 1, padR: 1, outH: 9, outW: 9 },
    ] as Conv2dParams[]) {
      const x = random(p.N * p.C * p.H * p.W, 7), w = random(p.M * (p.C / (p.group ?? 1)) * 9, 8), bias = random(p.M, 9);
      const n = p.N * p.M * p.outH * p.outW;
      const residual = random(n, 10);
      const plain = new Float32Array(n), fused = new Float32Array(n);
      native.conv2d(x, w, bias, plain, p, { threads: 2 });
      native.conv2d(x, w, bias, fused, { ...p, residual, act: 'Relu' }, { threads: 2 });
      expect(maxRelErr(fused, plain.map((v, i) => Math.max(0, v + residual[i])))).toBeLessThan(1e-6);
    }
  });
  for (const v of dwVariants) {
    for (const act of acts) {
      it(`${v.name} depthwise 3x3/5x5 + bias + residual + ${act}`, () => {
        for (const p of [
          { N: 1, C: 6, H: 10, W: 23, M: 6, kH: 3, kW: 3, group: 6, padT: 1, padL: 1, padB: 1, padR: 1, outH: 10, outW: 23 },
          { N: 1, C: 4, H: 15, W: 29, M: 4, kH: 5, kW: 5, group: 4, strideH: 2, strideW: 2, padT: 2, padL: 2, padB: 2, padR: 2, outH: 8, outW: 15 },
        ] as Conv2dParams[]) {
          const x = random(p.C * p.H * p.W, 11), w = random(p.C * p.kH * p.kW, 12), bias = random(p.C, 13);
          const n = p.M * p.outH * p.outW;
          const residual = random(n, 14);
          const alpha = act === 'Clip' ? -0.2 : 0.1, beta = act === 'Clip' ? 0.3 : 0.5;
          const lin = new Float32Array(n), got = new Float32Array(n);
          native.conv2d(x, w, bias, lin, p, { variant: 'reference' });
          const run = native.conv2d(x, w, bias, got, { ...p, residual, act, actAlpha: alpha, actBeta: beta }, { variant: v.name, threads: 2 });
          expect(run.kernel).toBe(v.name);
          expect(maxRelErr(got, lin.map((z, i) => jsActivate(act, z + residual[i], alpha, beta)))).toBeLessThan(1e-5);
        }
      });
    }
  }
  it('rejects an unknown activation and a short residual', () => {
    const a = random(4, 1);
    expect(() => native.gemm(a, a, new Float32Array(4), { M: 2, N: 2, K: 2, act: 'Swish' as ActivationName })).toThrow(/unknown fused activation 'Swish'/);
    expect(() => native.gemm(a, a, new Float32Array(4), { M: 2, N: 2, K: 2, residual: new Float32Array(3) })).toThrow(/residual/);
  });
});

describe('conv2d variants against the reference conv', () => {
  const isDepthwise = (p: Conv2dParams) => p.group === p.C && p.M === p.C;
  const requests = ['auto', ...matmulVariants.filter((v) => !v.reference).map((v) => v.name), ...dwVariants.map((v) => v.name)];
  for (const variant of requests) {
    for (const p of convCases) {
      const dw = variant.startsWith('dwconv2d');
      if (dw && !isDepthwise(p)) continue;
      it(`${variant} ${JSON.stringify(p)}`, () => {
        const x = random(p.N * p.C * p.H * p.W, p.C * 7);
        const w = random(p.M * (p.C / (p.group ?? 1)) * p.kH * p.kW, p.M * 3);
        const bias = random(p.M, 99);
        const size = p.N * p.M * p.outH * p.outW;
        for (const relu of [false, true]) {
          const got = new Float32Array(size);
          const ref = new Float32Array(size);
          const run = native.conv2d(x, w, bias, got, { ...p, relu }, { variant, threads: 2 });
          const refRun = native.conv2d(x, w, bias, ref, { ...p, relu }, { variant: 'reference' });
          expect(refRun.kernel).toBe('conv2d_f32_1x1_scalar_ref');
          if (variant === 'auto' && isDepthwise(p)) expect(run.kernel).toMatch(/^dwconv2d_f32_/);
          else if (variant === 'auto') expect(run.kernel).toMatch(/^conv2d_f32_(gemm|im2col)\+(matmul|gemv)_f32_/);
          else if (!dw && p.M / (p.group ?? 1) < 4 && run.kernel.startsWith('conv2d_f32_gemm+')) {
            // A 1x1 conv with fewer than 4 output channels per group is a GEMV.
            expect(run.kernel).toBe(`conv2d_f32_gemm+${gemmKernel(matmulVariants.find((v) => v.name === variant)!, 1).name}`);
          } else expect(run.kernel).toContain(variant);
          expect(maxRelErr(got, ref)).toBeLessThan(1e-4);
          if (relu) expect(got.every((v) => v >= 0)).toBe(true);
        }
      });
    }
  }

  it('runs im2col with the forced reference GEMM (materialized column matrix)', () => {
    const p = convCases[2];
    const x = random(p.N * p.C * p.H * p.W, 5);
    const w = random(p.M * p.C * p.kH * p.kW, 6);
    const got = new Float32Array(p.N * p.M * p.outH * p.outW);
    const ref = new Float32Array(got.length);
    const run = native.conv2d(x, w, null, got, p, { variant: 'matmul_f32_1x1_scalar_ref' });
    native.conv2d(x, w, null, ref, p, { variant: 'reference' });
    expect(run.kernel).toBe('conv2d_f32_im2col+matmul_f32_1x1_scalar_ref');
    expect(maxRelErr(got, ref)).toBeLessThan(1e-5);
  });

  it('uses the plain GEMM path for 1x1 stride-1 convolutions', () => {
    const p = convCases[1];
    const run = native.conv2d(random(512, 1), random(12, 2), null, new Float32Array(768), p);
    expect(run.kernel).toMatch(/^conv2d_f32_gemm\+/);
  });
});

describe('argument errors', () => {
  const a = new Float32Array(6);
  it('rejects wrong lengths, negative and fractional dims, bad types', () => {
    expect(() => native.gemm(a, a, new Float32Array(3), { M: 2, N: 2, K: 3 })).toThrow(/c has 3 elements but needs at least 4/);
    expect(() => native.gemm(a, a, a, { M: -1, N: 2, K: 3 })).toThrow(/M must be an integer >= 0, got -1/);
    expect(() => native.gemm(a, a, a, { M: 1.5, N: 2, K: 3 })).toThrow(/M must be an integer/);
    expect(() => native.gemm(new Float64Array(6) as unknown as Float32Array, a, a, { M: 2, N: 1, K: 3 })).toThrow(
      /a must be a Float32Array/,
    );
    expect(() => native.gemm(a, a, a, { M: 2, N: 3, K: 2, bias: new Float32Array(2) })).toThrow(/bias has 2 elements/);
    expect(() => native.gemm(a, a, a, { M: 1, N: 1, K: 1 }, { threads: 0 })).toThrow(/threads must be an integer >= 1/);
  });

  it('the addon itself re-checks lengths (a wrapper bug cannot become an out-of-bounds write)', async () => {
    const { createRequire } = await import('node:module');
    const raw = createRequire(__filename)('node-gyp-build')(ROOT) as {
      gemm: (...args: unknown[]) => unknown;
      conv2d: (...args: unknown[]) => unknown;
    };
    expect(() => raw.gemm(a, a, a, null, { M: 4, N: 4, K: 4 }, {})).toThrow(/a has 6 elements but the parameters need 16/);
    expect(() => raw.gemm(a, a, a, null, { M: 1, N: 1 }, {})).toThrow(/K is required/);
    expect(() => raw.gemm(a, a, a, null, { M: -2, N: 1, K: 1 }, {})).toThrow(/M must be a non-negative integer/);
    expect(() => raw.conv2d(a, a, null, a, { N: 1, C: 1, H: 2, W: 3, M: 1, kH: 1, kW: 1, outH: 2, outW: 4 }, {})).toThrow(/does not match/);
  });

  it('rejects unknown and mismatched variants with the list of choices', () => {
    expect(() => native.gemm(a, a, a, { M: 1, N: 1, K: 1 }, { variant: 'matmul_f32_99x99_magic' })).toThrow(
      /unknown matmul_f32 kernel variant 'matmul_f32_99x99_magic'; available: auto, reference, matmul_f32_1x1_scalar_ref/,
    );
    const p = convCases[0];
    const y = new Float32Array(p.N * p.M * p.outH * p.outW);
    const x = new Float32Array(p.N * p.C * p.H * p.W);
    const w = new Float32Array(p.M * p.C * 9);
    if (dwVariants.length) {
      expect(() => native.conv2d(x, w, null, y, p, { variant: dwVariants[0].name })).toThrow(/only runs depthwise convolutions/);
    }
    const foreign = native.cpuInfo().arch === 'x86_64' ? 'matmul_f32_8x12_neon_fma' : 'matmul_f32_6x16_avx2_fma';
    expect(() => native.gemm(a, a, a, { M: 1, N: 1, K: 1 }, { variant: foreign })).toThrow(/unknown matmul_f32 kernel variant/);
  });

  it('rejects inconsistent conv geometry before touching memory', () => {
    const p = { ...convCases[0], outH: 10 };
    const x = new Float32Array(p.N * p.C * p.H * p.W);
    const w = new Float32Array(p.M * p.C * 9);
    expect(() => native.conv2d(x, w, null, new Float32Array(1000), p)).toThrow(/output 10x11 does not match .* \(expected 9x11\)/);
    expect(() => native.conv2d(x, w, null, new Float32Array(10), convCases[0])).toThrow(/y has 10 elements/);
    expect(() => native.conv2d(x, w, null, new Float32Array(1000), { ...convCases[0], group: 2 })).toThrow(/group 2 must divide C=3/);
  });
});
