import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../engine/tensor.js';
import { expectClose, f32, float, floats, int, nums, runOp, str, strs, t } from '../support/op-context.js';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const seqValues = (n: number, scale: number, shift = 0) => Array.from({ length: n }, (_, i) => Math.sin(i * 1.3 + shift) * scale);
const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
const rows = (flat: number[], r: number, c: number, off = 0) =>
  Array.from({ length: r }, (_, i) => flat.slice(off + i * c, off + (i + 1) * c));

/** One-direction LSTM, written from the ONNX equations (gate order i, o, f, c; peepholes i, o, f). */
function lstmReference(
  x: number[][],
  W: number[][],
  R: number[][],
  B: number[],
  P: number[],
  hidden: number,
): { ys: number[][]; h: number[]; c: number[] } {
  let h = new Array<number>(hidden).fill(0);
  let c = new Array<number>(hidden).fill(0);
  const ys: number[][] = [];
  for (const xt of x) {
    const pre = (gate: number, j: number) =>
      dot(W[gate * hidden + j], xt) + dot(R[gate * hidden + j], h) + B[gate * hidden + j] + B[4 * hidden + gate * hidden + j];
    const nc = c.map((cj, j) => {
      const i = sigmoid(pre(0, j) + P[j] * cj);
      const f = sigmoid(pre(2, j) + P[2 * hidden + j] * cj);
      return f * cj + i * Math.tanh(pre(3, j));
    });
    h = nc.map((cj, j) => sigmoid(pre(1, j) + P[hidden + j] * cj) * Math.tanh(cj));
    c = nc;
    ys.push(h);
  }
  return { ys, h, c };
}

describe('LSTM', () => {
  const inputSize = 3;
  const hidden = 2;
  const steps = 4;
  const Wv = seqValues(4 * hidden * inputSize, 0.5);
  const Rv = seqValues(4 * hidden * hidden, 0.4, 1);
  const Bv = seqValues(8 * hidden, 0.2, 2);
  const Pv = seqValues(3 * hidden, 0.3, 3);
  const Xv = seqValues(steps * inputSize, 1, 4);

  it('matches the ONNX equations with bias and peepholes', () => {
    const outs = runOp(
      'LSTM',
      [
        f32([steps, 1, inputSize], Xv),
        f32([1, 4 * hidden, inputSize], Wv),
        f32([1, 4 * hidden, hidden], Rv),
        f32([1, 8 * hidden], Bv),
        undefined,
        undefined,
        undefined,
        f32([1, 3 * hidden], Pv),
      ],
      {
        opset: 14,
        attrs: { hidden_size: int(hidden) },
        outputs: 3,
      },
    ) as Tensor[];
    const ref = lstmReference(rows(Xv, steps, inputSize), rows(Wv, 4 * hidden, inputSize), rows(Rv, 4 * hidden, hidden), Bv, Pv, hidden);
    expect(outs[0].dims).toEqual([steps, 1, 1, hidden]);
    expectClose(nums(outs[0]), ref.ys.flat(), 1e-5);
    expectClose(nums(outs[1]), ref.h, 1e-5);
    expectClose(nums(outs[2]), ref.c, 1e-5);
  });

  it('runs the reverse direction of a bidirectional LSTM from each sequence end and zero-fills padding', () => {
    const W2 = [...Wv, ...Wv];
    const R2 = [...Rv, ...Rv];
    const x = f32(
      [steps, 2, inputSize],
      Array.from(
        { length: steps * 2 * inputSize },
        (_, i) => Xv[(Math.floor(i / (2 * inputSize)) * inputSize + (i % inputSize)) % Xv.length],
      ),
    );
    const outs = runOp(
      'LSTM',
      [x, f32([2, 4 * hidden, inputSize], W2), f32([2, 4 * hidden, hidden], R2), undefined, t('int32', [2], [4, 2])],
      {
        opset: 14,
        attrs: { hidden_size: int(hidden), direction: str('bidirectional') },
        outputs: 3,
      },
    ) as Tensor[];
    const y = nums(outs[0]);
    const at = (tt: number, d: number, b: number) => y.slice(((tt * 2 + d) * 2 + b) * hidden, ((tt * 2 + d) * 2 + b + 1) * hidden);
    const zeroB = new Array<number>(8 * hidden).fill(0);
    const zeroP = new Array<number>(3 * hidden).fill(0);
    const xs = rows(Xv, steps, inputSize);
    // Batch 1 has length 2: its reverse pass sees steps 1 then 0.
    const rev = lstmReference([xs[1], xs[0]], rows(Wv, 4 * hidden, inputSize), rows(Rv, 4 * hidden, hidden), zeroB, zeroP, hidden);
    expectClose(at(1, 1, 1), rev.ys[0], 1e-5);
    expectClose(at(0, 1, 1), rev.ys[1], 1e-5);
    expect(at(2, 0, 1)).toEqual([0, 0]);
    expect(at(3, 1, 1)).toEqual([0, 0]);
    // Y_h of the reverse direction is the state after step 0.
    const yh = nums(outs[1]);
    expectClose(yh.slice((1 * 2 + 1) * hidden, (1 * 2 + 2) * hidden), rev.h, 1e-5);
  });

  it('gives the same numbers in layout 1 (batch first)', () => {
    const X0 = seqValues(steps * 2 * inputSize, 1, 5);
    const common = [f32([1, 4 * hidden, inputSize], Wv), f32([1, 4 * hidden, hidden], Rv), f32([1, 8 * hidden], Bv)];
    const a = runOp('LSTM', [f32([steps, 2, inputSize], X0), ...common], {
      opset: 14,
      attrs: { hidden_size: int(hidden) },
      outputs: 2,
    }) as Tensor[];
    const X1 = new Array<number>(X0.length);
    for (let s = 0; s < steps; s++)
      for (let b = 0; b < 2; b++) for (let k = 0; k < inputSize; k++) X1[(b * steps + s) * inputSize + k] = X0[(s * 2 + b) * inputSize + k];
    const b1 = runOp('LSTM', [f32([2, steps, inputSize], X1), ...common], {
      opset: 14,
      attrs: { hidden_size: int(hidden), layout: int(1) },
      outputs: 2,
    }) as Tensor[];
    expect(b1[0].dims).toEqual([2, steps, 1, hidden]);
    const y0 = nums(a[0]);
    const y1 = nums(b1[0]);
    for (let s = 0; s < steps; s++)
      for (let b = 0; b < 2; b++)
        expectClose(
          y1.slice((b * steps + s) * hidden, (b * steps + s + 1) * hidden),
          y0.slice((s * 2 + b) * hidden, (s * 2 + b + 1) * hidden),
        );
    expectClose(nums(b1[1]), nums(a[1]));
  });

  it('rejects unknown activations and mismatched weights', () => {
    const args = [f32([1, 1, inputSize], [1, 2, 3]), f32([1, 4 * hidden, inputSize], Wv), f32([1, 4 * hidden, hidden], Rv)];
    expect(() => runOp('LSTM', args, { opset: 14, attrs: { activations: strs(['Sigmoid', 'Tanh', 'Swish']) } })).toThrow(
      /activation 'Swish' is not supported/,
    );
    expect(() => runOp('LSTM', [args[0], f32([1, 4 * hidden, 2], new Array(8 * hidden).fill(0)), args[2]], { opset: 14 })).toThrow(
      /W has shape/,
    );
  });
});

describe('GRU and RNN', () => {
  const W = [0.5, -0.3, 0.8];
  const R = [0.2, -0.6, 0.4];
  const B = [0.1, 0.2, 0.3, -0.1, 0.05, 0.25];
  const xs = [1, -2];

  /** Hidden size 1, input size 1: the two reset placements of the candidate gate. */
  function gruReference(linearBeforeReset: boolean): number[] {
    let h = 0;
    const out: number[] = [];
    for (const x of xs) {
      const z = sigmoid(W[0] * x + R[0] * h + B[0] + B[3]);
      const r = sigmoid(W[1] * x + R[1] * h + B[1] + B[4]);
      const cand = linearBeforeReset
        ? Math.tanh(W[2] * x + r * (R[2] * h + B[5]) + B[2])
        : Math.tanh(W[2] * x + R[2] * (r * h) + B[5] + B[2]);
      h = (1 - z) * cand + z * h;
      out.push(h);
    }
    return out;
  }

  it('GRU places the reset gate per linear_before_reset', () => {
    const inputs = [f32([2, 1, 1], xs), f32([1, 3, 1], W), f32([1, 3, 1], R), f32([1, 6], B)];
    for (const lbr of [0, 1]) {
      const y = runOp('GRU', inputs, { opset: 14, attrs: { hidden_size: int(1), linear_before_reset: int(lbr) } })[0] as Tensor;
      expectClose(nums(y), gruReference(lbr === 1), 1e-6);
    }
    expect(gruReference(true)[1]).not.toBeCloseTo(gruReference(false)[1], 6);
  });

  it('RNN applies named activations with alpha/beta and clip', () => {
    const inputs = [f32([2, 1, 1], [1, 3]), f32([1, 1, 1], [2]), f32([1, 1, 1], [0.5])];
    const y = runOp('RNN', inputs, {
      opset: 14,
      attrs: {
        hidden_size: int(1),
        activations: strs(['Affine']),
        activation_alpha: floats([3]),
        activation_beta: floats([1]),
        clip: float(2.5),
      },
    })[0];
    // h1 = 3 * clip(2) + 1 = 7; h2 = 3 * clip(6 + 3.5) + 1 = 8.5.
    expect(nums(y)).toEqual([7, 8.5]);
  });
});
