import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../engine/tensor.js';
import { expectClose, f32, float, i64, int, nums, run1, runOp, t } from '../support/op-context.js';

const vals = (n: number, shift: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 0.7 + shift));

describe('Attention (opset 23)', () => {
  // B=1, 4 query heads sharing 2 KV heads, head size 2, 2 new tokens after 1 cached token.
  const B = 1,
    qH = 4,
    kvH = 2,
    D = 2,
    Sq = 2,
    past = 1,
    total = past + Sq;
  const q = vals(B * qH * Sq * D, 0);
  const k = vals(B * kvH * Sq * D, 1);
  const v = vals(B * kvH * Sq * D, 2);
  const pk = vals(B * kvH * past * D, 3);
  const pv = vals(B * kvH * past * D, 4);

  /** Softmax attention over the concatenated cache, query i seeing keys j <= i + past. */
  function reference(): number[] {
    const out: number[] = [];
    const key = (h: number, j: number) =>
      j < past ? pk.slice((h * past + j) * D, (h * past + j + 1) * D) : k.slice((h * Sq + j - past) * D, (h * Sq + j - past + 1) * D);
    const value = (h: number, j: number) =>
      j < past ? pv.slice((h * past + j) * D, (h * past + j + 1) * D) : v.slice((h * Sq + j - past) * D, (h * Sq + j - past + 1) * D);
    for (let h = 0; h < qH; h++) {
      const kvh = Math.floor(h / (qH / kvH));
      for (let i = 0; i < Sq; i++) {
        const qi = q.slice((h * Sq + i) * D, (h * Sq + i + 1) * D);
        const s = Array.from({ length: total }, (_, j) =>
          j <= i + past ? (qi[0] * key(kvh, j)[0] + qi[1] * key(kvh, j)[1]) / Math.sqrt(D) : -Infinity,
        );
        const m = Math.max(...s);
        const e = s.map((x) => Math.exp(x - m));
        const sum = e.reduce((a, b) => a + b, 0);
        for (let d = 0; d < D; d++) out.push(e.reduce((acc, p, j) => acc + (p / sum) * value(kvh, j)[d], 0));
      }
    }
    return out;
  }

  it('handles GQA, the KV cache and causal masking on 4-D inputs', () => {
    const outs = runOp(
      'Attention',
      [
        f32([B, qH, Sq, D], q),
        f32([B, kvH, Sq, D], k),
        f32([B, kvH, Sq, D], v),
        undefined,
        f32([B, kvH, past, D], pk),
        f32([B, kvH, past, D], pv),
      ],
      {
        attrs: { is_causal: int(1) },
        outputs: 3,
      },
    ) as Tensor[];
    expect(outs[0].dims).toEqual([B, qH, Sq, D]);
    expectClose(nums(outs[0]), reference(), 1e-5);
    expect(outs[1].dims).toEqual([B, kvH, total, D]);
    expect(nums(outs[1]).slice(0, D)).toEqual(pk.slice(0, D).map(Math.fround));
  });

  it('treats a boolean mask as keep/drop and pads a short mask with drop', () => {
    const q1 = f32([1, 1, 1, 2], [1, 0]);
    const k1 = f32([1, 1, 3, 2], [1, 0, 0, 1, 5, 5]);
    const v1 = f32([1, 1, 3, 1], [10, 20, 30]);
    // Keys 0 and 1 kept by the mask, key 2 beyond the mask's width is dropped.
    const y = run1('Attention', [q1, k1, v1, t('bool', [1, 2], [1, 1])]);
    const s0 = 1 / Math.sqrt(2);
    const p0 = Math.exp(s0) / (Math.exp(s0) + 1);
    expectClose(nums(y), [p0 * 10 + (1 - p0) * 20], 1e-5);
    const additive = run1('Attention', [q1, k1, v1, f32([3], [0, -Infinity, -Infinity])]);
    expectClose(nums(additive), [10], 1e-6);
  });

  it('needs head counts for 3-D inputs and checks the GQA ratio', () => {
    const x = f32([1, 2, 4], vals(8, 0));
    expect(() => runOp('Attention', [x, x, x])).toThrow(/q_num_heads and kv_num_heads/);
    const wide = f32([1, 2, 8], vals(16, 1));
    expect(() =>
      runOp('Attention', [f32([1, 2, 6], vals(12, 0)), wide, wide], { attrs: { q_num_heads: int(3), kv_num_heads: int(4) } }),
    ).toThrow(/not a multiple/);
    const y = run1('Attention', [x, x, x], { attrs: { q_num_heads: int(2), kv_num_heads: int(2) } });
    expect(y.dims).toEqual([1, 2, 4]);
  });
});

describe('RotaryEmbedding', () => {
  it('rotates halves, or interleaved pairs, by the cached angle of each position', () => {
    const x = f32([1, 1, 2, 4], [1, 2, 3, 4, 1, 2, 3, 4]);
    const angle = [0.3, 1.1];
    const cos = f32([2, 2], [1, 1, Math.cos(angle[0]), Math.cos(angle[1])]);
    const sin = f32([2, 2], [0, 0, Math.sin(angle[0]), Math.sin(angle[1])]);
    const pos = i64([1, 2], [0, 1]);
    const halves = nums(run1('RotaryEmbedding', [x, cos, sin, pos]));
    expectClose(halves.slice(0, 4), [1, 2, 3, 4]);
    // Pairs (x0, x2) and (x1, x3) rotate by angle[0] and angle[1].
    const rot = (a: number, b: number, th: number) => [a * Math.cos(th) - b * Math.sin(th), a * Math.sin(th) + b * Math.cos(th)];
    const [r0, i0] = rot(1, 3, angle[0]);
    const [r1, i1] = rot(2, 4, angle[1]);
    expectClose(halves.slice(4), [r0, r1, i0, i1], 1e-6);
    const inter = nums(run1('RotaryEmbedding', [x, cos, sin, pos], { attrs: { interleaved: int(1) } }));
    expectClose(inter.slice(4), [...rot(1, 2, angle[0]), ...rot(3, 4, angle[1])], 1e-6);
    expect(() => runOp('RotaryEmbedding', [x, cos, sin, i64([1, 2], [0, 5])])).toThrow(/outside the cache/);
  });

  it('com.microsoft RotaryEmbedding takes a scalar start position', () => {
    const x = f32([1, 2, 2], [1, 0, 1, 0]);
    const cos = f32([3, 1], [1, 0, -1]);
    const sin = f32([3, 1], [0, 1, 0]);
    const y = run1('RotaryEmbedding', [x, i64([1], [1]), cos, sin], { domain: 'com.microsoft', opset: 1, attrs: { num_heads: int(1) } });
    expectClose(nums(y), [0, 1, -1, 0], 1e-7);
  });
});

describe('normalization and GELU variants', () => {
  it('RMSNormalization divides by the root mean square over the trailing axes', () => {
    const x = f32([2, 2], [3, 4, 1, 1]);
    const y = run1('RMSNormalization', [x, f32([2], [1, 2])], { attrs: { epsilon: float(0) } });
    const r = Math.sqrt(12.5);
    expectClose(nums(y), [3 / r, 8 / r, 1, 2], 1e-6);
    const all = run1('RMSNormalization', [x, f32([1], [1])], { attrs: { axis: int(0), epsilon: float(0) } });
    expectClose(
      nums(all),
      [3, 4, 1, 1].map((v) => v / Math.sqrt(27 / 4)),
      1e-6,
    );
  });

  it('SkipSimplifiedLayerNormalization and SkipLayerNormalization normalize input + skip + bias', () => {
    const x = f32([1, 2], [1, 2]);
    const skip = f32([1, 2], [1, 0]);
    const outs = runOp('SkipSimplifiedLayerNormalization', [x, skip, f32([2], [1, 1]), f32([2], [0, 2])], {
      domain: 'com.microsoft',
      opset: 1,
      outputs: 4,
    }) as Tensor[];
    expectClose(nums(outs[3]), [2, 4]);
    const r = Math.sqrt(10);
    expectClose(nums(outs[0]), [2 / r, 4 / r], 1e-5);
    const ln = runOp('SkipLayerNormalization', [x, f32([1, 2], [1, 3]), f32([2], [1, 1]), f32([2], [10, 10])], {
      domain: 'com.microsoft',
      opset: 1,
    })[0];
    expectClose(nums(ln), [9, 11], 1e-5);
  });

  it('com.microsoft GELUs follow their formulas', () => {
    const x = f32([2], [1, -0.5]);
    const erfGelu = [0.8413447460685429, -0.15426876219];
    expectClose(nums(run1('Gelu', [x], { domain: 'com.microsoft', opset: 1 })), erfGelu, 1e-6);
    expectClose(nums(run1('BiasGelu', [f32([2], [0.5, -1]), f32([2], [0.5, 0.5])], { domain: 'com.microsoft', opset: 1 })), erfGelu, 1e-6);
    expectClose(nums(run1('FastGelu', [x], { domain: 'com.microsoft', opset: 1 })), [0.8411919906082768, -0.1542859], 1e-5);
    expectClose(
      nums(run1('QuickGelu', [x], { domain: 'com.microsoft', opset: 1 })),
      [1 / (1 + Math.exp(-1.702)), -0.5 / (1 + Math.exp(0.851))],
      1e-6,
    );
  });
});
