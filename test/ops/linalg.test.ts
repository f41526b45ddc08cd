// MatMul, Gemm, Conv, ConvTranspose, Einsum: semantics against small hand-checked cases and
// plain-JS oracles, baseline vs eager agreement, errors, and the ONNX conformance cases.
import { describe, it, expect } from 'vitest';
import path from 'node:path';
import type { AttrValue } from '../../engine/graph.js';
import { loadNative } from '../../engine/native.js';
import { Tensor } from '../../engine/tensor.js';
import type { KernelReport, Mode } from '../../engine/ops/types.js';
import { runFolder } from '../../engine/testdata/suite.js';
import { SHARED } from '../support/paths.js';
import { asTensor, float, int, ints, opRunner, str, t as T } from '../support/op-context.js';

const LINALG_OPS = ['MatMul', 'Gemm', 'Conv', 'ConvTranspose', 'Einsum'];

const { runOpReport } = opRunner({ opset: 17, threads: 2, native: loadNative() });

function run(
  op: string,
  inputs: (Tensor | undefined)[],
  attrs: Record<string, AttrValue> = {},
  opts: { mode?: Mode; opset?: number } = {},
): { out: Tensor; report?: KernelReport } {
  const { outputs, report } = runOpReport(op, inputs, { ...opts, attrs });
  return { out: asTensor(outputs[0]), report };
}

const seq = (n: number, scale = 1) => Array.from({ length: n }, (_, i) => ((i * 7919) % 23) * scale - 11 * scale);
const close = (t: Tensor, want: number[], tol = 1e-4) => {
  expect(t.size).toBe(want.length);
  Array.from(t.data as Float32Array).forEach((v, i) => expect(Math.abs(v - want[i]), `element ${i}: ${v} vs ${want[i]}`).toBeLessThanOrEqual(tol * (1 + Math.abs(want[i]))));
};

/** Plain JS batched matmul over [b, m, k] x [b, k, n] (b may broadcast as 1). */
function jsMatmul(a: number[], b: number[], batchA: number, batchB: number, M: number, K: number, N: number): number[] {
  const batch = Math.max(batchA, batchB);
  const out: number[] = [];
  for (let bi = 0; bi < batch; bi++) {
    const ao = (batchA === 1 ? 0 : bi) * M * K;
    const bo = (batchB === 1 ? 0 : bi) * K * N;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[ao + i * K + k] * b[bo + k * N + j];
        out.push(s);
      }
  }
  return out;
}

describe('MatMul', () => {
  it('multiplies 2-D matrices and reports the native kernel with flops', () => {
    const { out, report } = run('MatMul', [T('float32', [2, 3], [1, 2, 3, 4, 5, 6]), T('float32', [3, 2], [7, 8, 9, 10, 11, 12])]);
    expect(out.dims).toEqual([2, 2]);
    close(out, [58, 64, 139, 154]);
    expect(report?.flops).toBe(2 * 2 * 2 * 3);
    expect(report?.kernel).toMatch(/^gemv_f32_/); // 2 rows: the matrix-vector kernel
    expect(report?.nativeNs).toBeGreaterThanOrEqual(0);
  });

  it('promotes 1-D operands and drops the added axes', () => {
    const v = T('float32', [3], [1, 2, 3]);
    const m = T('float32', [3, 2], [1, 0, 0, 1, 1, 1]);
    expect(run('MatMul', [v, m]).out.dims).toEqual([2]);
    close(run('MatMul', [v, m]).out, [4, 5]);
    const dot = run('MatMul', [v, v]).out;
    expect(dot.dims).toEqual([]);
    close(dot, [14]);
    const mv = run('MatMul', [T('float32', [2, 2, 3], seq(12)), v]).out;
    expect(mv.dims).toEqual([2, 2]);
  });

  it('broadcasts batch dims both ways', () => {
    const a = seq(2 * 1 * 3 * 4);
    const b = seq(3 * 4 * 5, 0.5);
    const { out } = run('MatMul', [T('float32', [2, 1, 3, 4], a), T('float32', [3, 4, 5], b)]);
    expect(out.dims).toEqual([2, 3, 3, 5]);
    // Reference: out[i, j] = a[i, 0] @ b[j]
    const want: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) want.push(...jsMatmul(a.slice(i * 12, i * 12 + 12), b.slice(j * 20, j * 20 + 20), 1, 1, 3, 4, 5));
    close(out, want);
    const shared = run('MatMul', [T('float32', [4, 3], seq(12)), T('float32', [2, 3, 5], seq(30))]).out;
    expect(shared.dims).toEqual([2, 4, 5]);
    close(shared, jsMatmul(seq(12), seq(30), 1, 2, 4, 3, 5));
  });

  it('gives the same result in baseline (reference kernel) and eager mode', () => {
    const a = T('float32', [3, 40, 70], seq(3 * 40 * 70, 0.01));
    const b = T('float32', [3, 70, 30], seq(3 * 70 * 30, 0.02));
    const base = run('MatMul', [a, b], {}, { mode: 'baseline' });
    const eager = run('MatMul', [a, b], {}, { mode: 'eager' });
    expect(base.report?.kernel).toBe('matmul_f32_1x1_scalar_ref');
    expect(eager.report?.kernel).not.toBe('matmul_f32_1x1_scalar_ref');
    close(eager.out, Array.from(base.out.data as Float32Array));
  });

  it('handles float64, int32, int64 and rounds float16', () => {
    close(run('MatMul', [T('float64', [1, 2], [0.1, 0.2]), T('float64', [2, 1], [3, 4])]).out, [1.1], 1e-12);
    expect(Array.from(run('MatMul', [T('int32', [1, 2], [3, -4]), T('int32', [2, 1], [5, 6])]).out.data as Int32Array)).toEqual([-9]);
    const big = run('MatMul', [new Tensor('int64', [1, 2], BigInt64Array.from([2n ** 40n, 1n])), new Tensor('int64', [2, 1], BigInt64Array.from([4n, 5n]))]);
    expect(Array.from(big.out.data as BigInt64Array)).toEqual([2n ** 42n + 5n]);
    const h = run('MatMul', [T('float16', [1, 1], [1.0009765625]), T('float16', [1, 1], [1.0009765625])]).out;
    expect(h.dtype).toBe('float16');
    expect((h.data as Float32Array)[0]).toBe(1.001953125); // 1.00195407... rounded to the float16 grid
  });

  it('rejects mismatched inner dimensions and types', () => {
    expect(() => run('MatMul', [T('float32', [2, 3], seq(6)), T('float32', [2, 3], seq(6))])).toThrow(/inner dimensions differ/);
    expect(() => run('MatMul', [T('float32', [2, 2], seq(4)), T('float64', [2, 2], seq(4))])).toThrow(/different element types/);
    expect(() => run('MatMul', [T('float32', [2, 2, 2], seq(8)), T('float32', [3, 2, 2], seq(12))])).toThrow(/cannot be broadcast/);
  });
});

describe('Gemm', () => {
  const a = T('float32', [3, 2], [1, 2, 3, 4, 5, 6]);
  const b = T('float32', [2, 4], [1, 0, 2, 1, 0, 1, 1, 2]);
  const ab = jsMatmul([1, 2, 3, 4, 5, 6], [1, 0, 2, 1, 0, 1, 1, 2], 1, 1, 3, 2, 4);

  it('applies alpha, beta and broadcasts C (scalar, row, column, full)', () => {
    const cases: [number[], number[]][] = [
      [[], [10]],
      [[4], [1, 2, 3, 4]],
      [[3, 1], [1, 2, 3]],
      [[3, 4], seq(12)],
    ];
    for (const [dims, cv] of cases) {
      const { out } = run('Gemm', [a, b, T('float32', dims, cv)], { alpha: float(2), beta: float(0.5) });
      const want = ab.map((v, i) => {
        const r = Math.floor(i / 4);
        const c = i % 4;
        const cval = dims.length === 0 ? cv[0] : dims.length === 1 ? cv[c] : dims[1] === 1 ? cv[r] : cv[i];
        return 2 * v + 0.5 * cval;
      });
      close(out, want);
    }
  });

  it('transposes A and B, works without C and with the vector bias fast path', () => {
    const at = T('float32', [2, 3], [1, 3, 5, 2, 4, 6]);
    const bt = T('float32', [4, 2], [1, 0, 0, 1, 2, 1, 1, 2]);
    close(run('Gemm', [at, bt], { transA: int(1), transB: int(1) }).out, ab);
    close(
      run('Gemm', [a, b, T('float32', [4], [1, 1, 1, 1])]).out,
      ab.map((v) => v + 1),
    );
  });

  it('computes float64 and int32 via TypeScript', () => {
    const r = run('Gemm', [T('float64', [1, 2], [1, 2]), T('float64', [2, 1], [3, 4]), T('float64', [1], [0.5])], { beta: float(2) });
    close(r.out, [12], 1e-12);
    expect(r.report?.kernel).toBe('ts_gemm_float64');
    expect(Array.from(run('Gemm', [T('int32', [1, 2], [1, 2]), T('int32', [2, 1], [3, 4])]).out.data as Int32Array)).toEqual([11]);
  });

  it('rejects bad shapes', () => {
    expect(() => run('Gemm', [a, a])).toThrow(/inner dimensions differ/);
    expect(() => run('Gemm', [a, b, T('float32', [2, 4], seq(8))])).toThrow(/cannot be broadcast to \[3,4\]/);
    expect(() => run('Gemm', [T('float32', [6], seq(6)), b])).toThrow(/must be 2-D/);
  });
});

/** Direct N-d convolution in plain JS (the oracle for Conv tests). */
function jsConv(x: number[], xd: number[], w: number[], wd: number[], o: { strides: number[]; pads: number[]; dil: number[]; group: number }) {
  const n = xd.length - 2;
  const [N, C] = xd;
  const M = wd[0];
  const cg = C / o.group;
  const outS = xd.slice(2).map((s, i) => Math.floor((s + o.pads[i] + o.pads[i + n] - ((wd[i + 2] - 1) * o.dil[i] + 1)) / o.strides[i]) + 1);
  const size = (d: number[]) => d.reduce((p, q) => p * q, 1);
  const inS = xd.slice(2);
  const kS = wd.slice(2);
  const out: number[] = [];
  const unravel = (i: number, dims: number[]) => {
    const r: number[] = [];
    for (let d = dims.length - 1; d >= 0; d--) {
      r[d] = i % dims[d];
      i = Math.floor(i / dims[d]);
    }
    return r;
  };
  for (let b = 0; b < N; b++)
    for (let m = 0; m < M; m++) {
      const g = Math.floor(m / (M / o.group));
      for (let p = 0; p < size(outS); p++) {
        const op = unravel(p, outS);
        let s = 0;
        for (let c = 0; c < cg; c++)
          for (let k = 0; k < size(kS); k++) {
            const kp = unravel(k, kS);
            const ip = op.map((v, i) => v * o.strides[i] + kp[i] * o.dil[i] - o.pads[i]);
            if (ip.some((v, i) => v < 0 || v >= inS[i])) continue;
            let xi = b * C + g * cg + c;
            for (let i = 0; i < n; i++) xi = xi * inS[i] + ip[i];
            s += x[xi] * w[(m * cg + c) * size(kS) + k];
          }
        out.push(s);
      }
    }
  return { out, dims: [N, M, ...outS] };
}

describe('Conv', () => {
  it('matches a direct convolution in 1-D, 2-D and 3-D with strides, pads, dilations and groups', () => {
    const cases = [
      { xd: [1, 4, 11], wd: [6, 2, 3], strides: [2], pads: [1, 2], dil: [2], group: 2 },
      { xd: [2, 3, 7, 8], wd: [4, 3, 3, 2], strides: [1, 2], pads: [1, 0, 2, 1], dil: [1, 2], group: 1 },
      { xd: [1, 6, 9, 9], wd: [6, 1, 3, 3], strides: [2, 2], pads: [1, 1, 1, 1], dil: [1, 1], group: 6 },
      { xd: [1, 2, 4, 5, 6], wd: [3, 2, 2, 3, 2], strides: [1, 2, 1], pads: [0, 1, 1, 1, 0, 0], dil: [1, 1, 2], group: 1 },
    ];
    for (const c of cases) {
      const x = seq(c.xd.reduce((p, q) => p * q), 0.1);
      const w = seq(c.wd.reduce((p, q) => p * q), 0.05);
      const want = jsConv(x, c.xd, w, c.wd, c);
      for (const mode of ['baseline', 'eager'] as const) {
        const { out, report } = run(
          'Conv',
          [T('float32', c.xd, x), T('float32', c.wd, w)],
          { strides: ints(c.strides), pads: ints(c.pads), dilations: ints(c.dil), group: int(c.group) },
          { mode },
        );
        expect(out.dims).toEqual(want.dims);
        close(out, want.out);
        expect(report?.flops).toBeGreaterThan(0);
        if (c.xd.length === 4 && mode === 'baseline') expect(report?.kernel).toBe('conv2d_f32_1x1_scalar_ref');
        if (c.group === 6 && mode === 'eager') expect(report?.kernel).toMatch(/^dwconv2d_f32_/);
      }
    }
  });

  it('adds the bias and resolves auto_pad SAME_UPPER / SAME_LOWER / VALID', () => {
    const x = T('float32', [1, 1, 5, 5], seq(25));
    const w = T('float32', [1, 1, 2, 2], [1, 1, 1, 1]);
    const bias = T('float32', [1], [100]);
    const upper = run('Conv', [x, w, bias], { auto_pad: str('SAME_UPPER') }).out;
    const lower = run('Conv', [x, w, bias], { auto_pad: str('SAME_LOWER') }).out;
    expect(upper.dims).toEqual([1, 1, 5, 5]);
    const xs = seq(25);
    // SAME_UPPER pads at the end: output (0,0) sums x[0..1, 0..1]; SAME_LOWER pads at the start: output (0,0) = x[0,0].
    close(upper, [100 + xs[0] + xs[1] + xs[5] + xs[6]].concat(Array.from(upper.data as Float32Array).slice(1)));
    expect((lower.data as Float32Array)[0]).toBeCloseTo(100 + xs[0], 4);
    expect(run('Conv', [x, w], { auto_pad: str('VALID'), strides: ints([2, 2]) }).out.dims).toEqual([1, 1, 2, 2]);
  });

  it('computes float64 via TypeScript', () => {
    const x = seq(2 * 6 * 6, 0.1);
    const w = seq(3 * 2 * 3 * 3, 0.1);
    const want = jsConv(x, [1, 2, 6, 6], w, [3, 2, 3, 3], { strides: [1, 1], pads: [1, 1, 1, 1], dil: [1, 1], group: 1 });
    const { out, report } = run('Conv', [T('float64', [1, 2, 6, 6], x), T('float64', [3, 2, 3, 3], w)], { pads: ints([1, 1, 1, 1]) });
    close(out, want.out, 1e-12);
    expect(report?.kernel).toBe('ts_conv_im2col_float64');
  });

  it('rejects bad attributes and shapes with clear errors', () => {
    const x = T('float32', [1, 4, 5, 5], seq(100));
    const w = T('float32', [2, 4, 3, 3], seq(72));
    expect(() => run('Conv', [x, w], { group: int(3) })).toThrow(/group 3 must divide/);
    expect(() => run('Conv', [x, w], { strides: ints([0, 1]) })).toThrow(/strides must be positive/);
    expect(() => run('Conv', [x, w], { pads: ints([1, 1]) })).toThrow(/pads must be 4/);
    expect(() => run('Conv', [x, w], { kernel_shape: ints([2, 2]) })).toThrow(/kernel_shape \[2,2\] does not match/);
    expect(() => run('Conv', [x, T('float32', [2, 4, 7, 7], seq(392))])).toThrow(/larger than the padded input/);
    expect(() => run('Conv', [x, w, T('float32', [3], [1, 2, 3])])).toThrow(/B must have shape \[2\]/);
  });
});

describe('ConvTranspose', () => {
  /** Scatter definition in plain JS for 2-D. */
  function jsConvT(x: number[], xd: number[], w: number[], wd: number[], s: number[], pads: number[], dil: number[], outPad: number[], group: number) {
    const [N, C, H, W] = xd;
    const [, mg, kh, kw] = wd;
    const M = mg * group;
    const cg = C / group;
    const full = [0, 1].map((i) => s[i] * (xd[i + 2] - 1) + outPad[i] + (wd[i + 2] - 1) * dil[i] + 1);
    const oh = full[0] - pads[0] - pads[2];
    const ow = full[1] - pads[1] - pads[3];
    const out = new Array<number>(N * M * oh * ow).fill(0);
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++) {
        const g = Math.floor(c / cg);
        for (let m = 0; m < mg; m++)
          for (let i = 0; i < H; i++)
            for (let j = 0; j < W; j++)
              for (let a = 0; a < kh; a++)
                for (let b = 0; b < kw; b++) {
                  const y = i * s[0] + a * dil[0] - pads[0];
                  const z = j * s[1] + b * dil[1] - pads[1];
                  if (y < 0 || y >= oh || z < 0 || z >= ow) continue;
                  out[((n * M + g * mg + m) * oh + y) * ow + z] += x[((n * C + c) * H + i) * W + j] * w[((c * mg + m) * kh + a) * kw + b];
                }
      }
    return { out, dims: [N, M, oh, ow] };
  }

  it('matches the scatter definition with strides, pads, dilations, output_padding and groups', () => {
    const cases = [
      { xd: [1, 2, 3, 4], wd: [2, 3, 3, 3], s: [2, 2], pads: [1, 0, 1, 1], dil: [1, 1], outPad: [1, 0], group: 1 },
      { xd: [2, 4, 3, 3], wd: [4, 1, 2, 3], s: [1, 3], pads: [0, 0, 0, 0], dil: [2, 1], outPad: [0, 2], group: 2 },
    ];
    for (const c of cases) {
      const x = seq(c.xd.reduce((p, q) => p * q), 0.1);
      const w = seq(c.wd.reduce((p, q) => p * q), 0.1);
      const want = jsConvT(x, c.xd, w, c.wd, c.s, c.pads, c.dil, c.outPad, c.group);
      for (const dtype of ['float32', 'float64'] as const) {
        const { out } = run('ConvTranspose', [T(dtype, c.xd, x), T(dtype, c.wd, w)], {
          strides: ints(c.s),
          pads: ints(c.pads),
          dilations: ints(c.dil),
          output_padding: ints(c.outPad),
          group: int(c.group),
        });
        expect(out.dims).toEqual(want.dims);
        close(out, want.out);
      }
    }
  });

  it('honours output_shape and auto_pad SAME_UPPER', () => {
    const x = T('float32', [1, 1, 3, 3], seq(9));
    const w = T('float32', [1, 2, 3, 3], seq(18));
    expect(run('ConvTranspose', [x, w], { strides: ints([3, 2]), output_shape: ints([10, 8]) }).out.dims).toEqual([1, 2, 10, 8]);
    expect(run('ConvTranspose', [x, w], { strides: ints([2, 2]), auto_pad: str('SAME_UPPER') }).out.dims).toEqual([1, 2, 6, 6]);
    expect(() => run('ConvTranspose', [x, T('float32', [2, 2, 3, 3], seq(36))])).toThrow(/W has 2 input channels, X has 1/);
  });
});

describe('Einsum', () => {
  const a = seq(2 * 3 * 4, 0.1);
  const b = seq(2 * 4 * 5, 0.1);
  it('runs batched matmul as one native GEMM and matches the label loop', () => {
    const { out, report } = run('Einsum', [T('float32', [2, 3, 4], a), T('float32', [2, 4, 5], b)], { equation: str('bij,bjk->bik') }, { opset: 12 });
    expect(out.dims).toEqual([2, 3, 5]);
    close(out, jsMatmul(a, b, 2, 2, 3, 4, 5));
    expect(report?.kernel).toMatch(/^einsum\+gemv_f32_/); // few rows per product: the matrix-vector kernel
    // The same contraction with a permuted output goes through the permute path.
    const t = run('Einsum', [T('float32', [2, 3, 4], a), T('float32', [2, 4, 5], b)], { equation: str('bij,bjk->kbi') }, { opset: 12 }).out;
    expect(t.dims).toEqual([5, 2, 3]);
    const ref = jsMatmul(a, b, 2, 2, 3, 4, 5);
    expect((t.data as Float32Array)[1 * 6 + 1 * 3 + 2]).toBeCloseTo(ref[1 * 15 + 2 * 5 + 1], 4);
  });

  it('supports diagonals, sums, transposes, ellipsis, implicit output and 3 operands', () => {
    const m = T('float64', [3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const e = (eq: string, ...xs: Tensor[]) => run('Einsum', xs, { equation: str(eq) }, { opset: 12 }).out;
    expect(Array.from(e('ii->i', m).data as Float64Array)).toEqual([1, 5, 9]);
    expect(Array.from(e('ii', m).data as Float64Array)).toEqual([15]);
    expect(Array.from(e('ij->', m).data as Float64Array)).toEqual([45]);
    expect(Array.from(e('ji', m).data as Float64Array)).toEqual([1, 4, 7, 2, 5, 8, 3, 6, 9]);
    expect(e('...ij->...ji', T('float64', [2, 1, 2, 3], seq(12))).dims).toEqual([2, 1, 3, 2]);
    const v = T('float64', [3], [1, 2, 3]);
    expect(Array.from(e('i,ij,j->', v, m, v).data as Float64Array)).toEqual([1 * (1 + 4 + 9) + 2 * (4 * 1 + 5 * 2 + 6 * 3) + 3 * (7 + 16 + 27)]);
    expect(Array.from(e('i,j', v, v).data as Float64Array)).toEqual([1, 2, 3, 2, 4, 6, 3, 6, 9]);
  });

  it('rejects malformed equations', () => {
    const m = T('float32', [2, 2], [1, 2, 3, 4]);
    const e = (eq: string, ...xs: Tensor[]) => run('Einsum', xs, { equation: str(eq) }, { opset: 12 });
    expect(() => e('ij,jk->ik', m)).toThrow(/2 operands, 1 inputs/);
    expect(() => e('ijk->i', m)).toThrow(/3 labels but the input has rank 2/);
    expect(() => e('ij->iz', m)).toThrow(/output label 'z' does not appear/);
    expect(() => e('ij,jk->ik', m, T('float32', [3, 2], seq(6)))).toThrow(/label 'j' has sizes 2 and 3/);
  });
});

describe('ONNX conformance for linear algebra', () => {
  for (const folder of ['onnx-node', 'onnx-pytorch-converted', 'onnx-pytorch-operator']) {
    it(`${folder}: at least 95% of the supported cases pass`, () => {
      const results = runFolder(path.join(SHARED, folder), { filter: (row) => LINALG_OPS.includes(row.op_type) });
      const supported = results.filter((r) => r.status === 'pass' || r.status === 'fail');
      const failures = results.filter((r) => r.status === 'fail');
      for (const f of failures) console.log(`FAIL ${f.name}: ${f.reason}`);
      expect(supported.length).toBeGreaterThan(0);
      const rate = results.filter((r) => r.status === 'pass').length / supported.length;
      expect(rate, failures.map((f) => `${f.name}: ${f.reason}`).join('\n')).toBeGreaterThanOrEqual(0.95);
    });
  }
});
