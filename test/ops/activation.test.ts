import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { roundToFloat16 } from '../../engine/tensor.js';
import { SHARED } from '../support/paths.js';
import { loadNative } from '../../engine/native.js';
import { scopedConformance } from '../support/conformance.js';
import { big, float, int, opRunner, str, t, values } from '../support/op-context.js';

const { runOp, run1 } = opRunner({ opset: 17, native: loadNative() });

const close = (got: unknown[], want: number[], digits = 6) => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(g as number, `element ${i}`).toBeCloseTo(want[i], digits));
};

describe('pointwise activations', () => {
  it('Relu serves floats and signed integers including int64', () => {
    expect(values(run1('Relu', [t('float32', [3], [-1, 0, 2])]))).toEqual([0, 0, 2]);
    expect(values(run1('Relu', [t('int8', [2], [-128, 127])], { opset: 14 }))).toEqual([0, 127]);
    expect(values(run1('Relu', [big('int64', [2], [-(2n ** 62n), 2n ** 62n])], { opset: 14 }))).toEqual([0n, 2n ** 62n]);
    expect(() => runOp('Relu', [t('uint8', [1], [1])], { opset: 14 })).toThrow(/Relu does not support input of type uint8/);
  });

  it('PRelu broadcasts the slope to X only', () => {
    const x = t('float32', [1, 2, 2], [-1, 2, -3, 4]);
    expect(values(run1('PRelu', [x, t('float32', [2, 1], [0.5, 0.25])]))).toEqual([-0.5, 2, -0.75, 4]);
    expect(() => runOp('PRelu', [t('float32', [2], [1, 1]), t('float32', [2, 2], [1, 1, 1, 1])])).toThrow(/does not broadcast to X/);
  });

  it('PRelu before opset 7 applies a 1-D slope per channel', () => {
    const x = t('float32', [1, 2, 2], [-1, -1, -1, -1]);
    expect(values(run1('PRelu', [x, t('float32', [2], [0.5, 0.25])], { opset: 6 }))).toEqual([-0.5, -0.5, -0.25, -0.25]);
  });

  it('computes the GELU variants (erf and tanh approximation, opset 20)', () => {
    const x = t('float32', [3], [1, -2, 0]);
    close(values(run1('Gelu', [x], { opset: 20 })), [0.8413447460685429, -0.04550026389635842, 0]);
    close(values(run1('Gelu', [x], { attrs: { approximate: str('tanh') }, opset: 20 })), [0.8411919906082768, -0.04540230591222, 0]);
    expect(() => runOp('Gelu', [x], { attrs: { approximate: str('fast') }, opset: 20 })).toThrow(/'none' or 'tanh'/);
    expect(() => runOp('Gelu', [x], { opset: 19 })).toThrow(/not registered/);
  });

  it('stays finite where naive formulas overflow', () => {
    const x = t('float32', [3], [1000, -1000, 0]);
    expect(values(run1('Softplus', [x]))).toEqual([1000, 0, Math.fround(Math.LN2)]);
    expect(values(run1('Sigmoid', [x]))).toEqual([1, 0, 0.5]);
    expect(values(run1('Mish', [x], { opset: 18 }))).toEqual([1000, -0, 0]);
  });

  it('matches the formulas of the ELU family and the hard variants', () => {
    const x = t('float64', [3], [-1, 0.5, 3]);
    close(values(run1('Elu', [x], { attrs: { alpha: float(2) } })), [2 * (Math.exp(-1) - 1), 0.5, 3]);
    close(values(run1('Selu', [x])), [
      1.0507009873554805 * 1.6732632423543772 * (Math.exp(-1) - 1),
      1.0507009873554805 * 0.5,
      1.0507009873554805 * 3,
    ]);
    close(values(run1('Celu', [x], { attrs: { alpha: float(2) }, opset: 12 })), [2 * (Math.exp(-0.5) - 1), 0.5, 3]);
    close(values(run1('HardSigmoid', [x])), [0.3, 0.6, 1]);
    close(values(run1('HardSwish', [x], { opset: 14 })), [-1 / 3, 0.5 * (0.5 / 6 + 0.5), 3]);
    close(values(run1('LeakyRelu', [x])), [-0.01, 0.5, 3]);
    close(values(run1('ThresholdedRelu', [x], { attrs: { alpha: float(0.5) }, opset: 10 })), [0, 0, 3]);
    close(values(run1('Softsign', [x])), [-0.5, 0.5 / 1.5, 0.75]);
    close(values(run1('Swish', [x], { attrs: { alpha: float(2) }, opset: 24 })), [-1 / (1 + Math.exp(2)), 0.5 / (1 + Math.exp(-1)), 3 / (1 + Math.exp(-6))]);
    close(values(run1('Shrink', [x], { attrs: { lambd: float(0.6), bias: float(0.1) } })), [-0.9, 0, 2.9]);
  });

  it('rounds float16 activations to float16', () => {
    const out = run1('Sigmoid', [t('float16', [1], [0.3])]);
    expect(out.dtype).toBe('float16');
    expect(out.data[0]).toBe(roundToFloat16(1 / (1 + Math.exp(-roundToFloat16(0.3)))));
  });

  it('rejects integer input to float-only activations', () => {
    expect(() => runOp('Sigmoid', [t('int32', [1], [1])])).toThrow(/Sigmoid does not support input of type int32/);
  });
});

describe('softmax family', () => {
  const x = t('float32', [2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);

  it('opset 13 normalizes along one axis (default -1)', () => {
    const last = values(run1('Softmax', [x], { opset: 13 })) as number[];
    expect(last[0] + last[1]).toBeCloseTo(1, 6);
    expect(last[0]).toBeCloseTo(1 / (1 + Math.E), 6);
    const mid = values(run1('Softmax', [x], { attrs: { axis: int(1) }, opset: 13 })) as number[];
    expect(mid[0] + mid[2]).toBeCloseTo(1, 6);
    expect(mid[0]).toBeCloseTo(1 / (1 + Math.exp(2)), 6);
  });

  it('before opset 13 coerces to 2-D at axis (default 1)', () => {
    const legacy = values(run1('Softmax', [x], { opset: 11 })) as number[];
    expect(legacy.slice(0, 4).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(legacy[0]).toBeCloseTo(Math.exp(-3) / (1 + Math.exp(-1) + Math.exp(-2) + Math.exp(-3)), 6);
    const whole = values(run1('Softmax', [x], { attrs: { axis: int(0) }, opset: 11 })) as number[];
    expect(whole.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it('is stable for large inputs and LogSoftmax is its log', () => {
    const big = t('float32', [3], [1000, 1001, 1002]);
    const p = values(run1('Softmax', [big], { opset: 13 })) as number[];
    const lp = values(run1('LogSoftmax', [big], { opset: 13 })) as number[];
    p.forEach((v, i) => expect(Math.log(v)).toBeCloseTo(lp[i], 5));
    expect(lp[2]).toBeCloseTo(-Math.log(1 + Math.exp(-1) + Math.exp(-2)), 5);
  });

  it('Hardmax marks the first maximum along the axis', () => {
    const h = t('float32', [2, 3], [1, 3, 3, 5, 2, 5]);
    expect(values(run1('Hardmax', [h], { opset: 13 }))).toEqual([0, 1, 0, 1, 0, 0]);
    expect(values(run1('Hardmax', [h], { attrs: { axis: int(0) }, opset: 13 }))).toEqual([0, 1, 0, 1, 0, 1]);
  });

  it('names a bad axis', () => {
    expect(() => runOp('Softmax', [x], { attrs: { axis: int(3) }, opset: 13 })).toThrow(/axis 3 is out of range for rank 3/);
  });
});

describe('ONNX backend conformance (activation ops)', () => {
  // prettier-ignore
  const OPS = [
    'Relu', 'LeakyRelu', 'PRelu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Gelu', 'Elu', 'Selu', 'Celu', 'Softplus',
    'Softsign', 'Mish', 'ThresholdedRelu', 'Shrink', 'Softmax', 'LogSoftmax', 'Hardmax', 'Swish',
  ];

  it('passes at least 95% of the supported cases in onnx-node and onnx-pytorch-converted', () => {
    for (const folder of ['onnx-node', 'onnx-pytorch-converted']) {
      const { pass, fail } = scopedConformance(path.join(SHARED, folder), OPS);
      for (const f of fail) console.log(`FAIL ${f.name} [${f.op}]: ${f.reason}`);
      console.log(`activation ${folder}: ${pass.length} pass, ${fail.length} fail`);
      expect(pass.length).toBeGreaterThan(folder === 'onnx-node' ? 50 : 5);
      expect(pass.length / (pass.length + fail.length)).toBeGreaterThanOrEqual(0.95);
    }
  });
});
