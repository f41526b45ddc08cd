import { describe, it, expect } from 'vitest';
import { nodeConformance } from '../support/conformance.js';
import { expectClose, f32, float, i64, int, ints, opRunner, str, t } from '../support/op-context.js';

const { runTensors: runOp, run1 } = opRunner({ opset: 21 });

const ramp = (n: number, scale = 1) => Array.from({ length: n }, (_, i) => i * scale);

describe('MaxPool', () => {
  it('pools 2x2 windows and reports row-major and column-major indices', () => {
    const x = f32([1, 1, 3, 3], [1, 9, 2, 3, 4, 8, 7, 5, 6]);
    const attrs = { kernel_shape: ints([2, 2]) };
    const [y, idx] = runOp('MaxPool', [x], { opset: 12, attrs, outputs: 2 });
    expect(y.dims).toEqual([1, 1, 2, 2]);
    expect(y.toNumbers()).toEqual([9, 9, 7, 8]);
    expect(idx.toNumbers()).toEqual([1, 1, 6, 5]);
    const [, colMajor] = runOp('MaxPool', [x], { opset: 12, attrs: { ...attrs, storage_order: int(1) }, outputs: 2 });
    // (h, w) = (0,1) -> 1*3+0 = 3; (2,0) -> 0*3+2 = 2; (1,2) -> 2*3+1 = 7
    expect(colMajor.toNumbers()).toEqual([3, 3, 2, 7]);
  });

  it('adds the batch and channel offset to indices', () => {
    const x = f32([1, 2, 2, 2], [0, 1, 2, 3, 7, 6, 5, 4]);
    const [, idx] = runOp('MaxPool', [x], { opset: 12, attrs: { kernel_shape: ints([2, 2]) }, outputs: 2 });
    expect(idx.toNumbers()).toEqual([3, 4]);
  });

  it('ceil_mode keeps a partial last window but not one starting in the padding', () => {
    const x = f32([1, 1, 5], [1, 2, 3, 4, 5]);
    const floor = run1('MaxPool', [x], { opset: 12, attrs: { kernel_shape: ints([2]), strides: ints([2]) } });
    expect(floor.toNumbers()).toEqual([2, 4]);
    const ceil = run1('MaxPool', [x], { opset: 12, attrs: { kernel_shape: ints([2]), strides: ints([2]), ceil_mode: int(1) } });
    expect(ceil.toNumbers()).toEqual([2, 4, 5]);
    const padded = run1('MaxPool', [f32([1, 1, 3], [1, 2, 3])], {
      opset: 12,
      attrs: { kernel_shape: ints([2]), strides: ints([2]), pads: ints([1, 1]), ceil_mode: int(1) },
    });
    expect(padded.toNumbers()).toEqual([1, 3]);
  });

  it('pools int8 with dilation and SAME_UPPER padding', () => {
    const x = t('int8', [1, 1, 5], [-5, 3, -1, 7, 2]);
    const y = run1('MaxPool', [x], { opset: 12, attrs: { kernel_shape: ints([2]), dilations: ints([2]), auto_pad: str('SAME_UPPER') } });
    expect(y.dtype).toBe('int8');
    expect(y.toNumbers()).toEqual([3, -1, 7, 2, 7]);
  });

  it('pools 3-D volumes', () => {
    const x = f32([1, 1, 2, 2, 2], ramp(8));
    const y = run1('MaxPool', [x], { opset: 12, attrs: { kernel_shape: ints([2, 2, 2]) } });
    expect(y.dims).toEqual([1, 1, 1, 1, 1]);
    expect(y.toNumbers()).toEqual([7]);
  });

  it('rejects a kernel that does not fit and a bad auto_pad', () => {
    const x = f32([1, 1, 2, 2], [1, 2, 3, 4]);
    expect(() => run1('MaxPool', [x], { opset: 12, attrs: { kernel_shape: ints([3, 3]) } })).toThrow(/does not fit/);
    expect(() => run1('MaxPool', [x], { opset: 12, attrs: { kernel_shape: ints([1, 1]), auto_pad: str('FULL') } })).toThrow(/auto_pad 'FULL'/);
    expect(() => run1('MaxPool', [x], { opset: 12, attrs: { kernel_shape: ints([2]) } })).toThrow(/one per spatial axis/);
  });
});

describe('AveragePool / LpPool / global pools', () => {
  const x = f32([1, 1, 2, 2], [1, 2, 3, 4]);
  const padded = { kernel_shape: ints([2, 2]), pads: ints([1, 1, 0, 0]) };

  it('divides by the valid count unless count_include_pad', () => {
    const y = run1('AveragePool', [x], { opset: 19, attrs: padded });
    expect(y.toNumbers()).toEqual([1, 1.5, 2, 2.5]);
    const inc = run1('AveragePool', [x], { opset: 19, attrs: { ...padded, count_include_pad: int(1) } });
    expect(inc.toNumbers()).toEqual([0.25, 0.75, 1, 2.5]);
  });

  it('LpPool takes the p-norm of each window', () => {
    const y = run1('LpPool', [f32([1, 1, 2], [3, -4])], { opset: 18, attrs: { kernel_shape: ints([2]), p: int(2) } });
    expectClose(y.toNumbers(), [5]);
    const l1 = run1('LpPool', [f32([1, 1, 2], [3, -4])], { opset: 18, attrs: { kernel_shape: ints([2]), p: int(1) } });
    expectClose(l1.toNumbers(), [7]);
  });

  it('global pools reduce every spatial axis to 1', () => {
    const xs = f32([1, 2, 2, 2], [1, 2, 3, 4, -1, -2, -3, -4]);
    const avg = run1('GlobalAveragePool', [xs]);
    expect(avg.dims).toEqual([1, 2, 1, 1]);
    expect(avg.toNumbers()).toEqual([2.5, -2.5]);
    expect(run1('GlobalMaxPool', [xs]).toNumbers()).toEqual([4, -1]);
    expectClose(run1('GlobalLpPool', [xs]).toNumbers(), [Math.sqrt(30), Math.sqrt(30)]);
  });
});

describe('normalizations', () => {
  it('BatchNormalization applies per-channel statistics', () => {
    const x = f32([1, 2, 1, 2], [1, 2, 3, 4]);
    const y = run1('BatchNormalization', [x, f32([2], [1, 2]), f32([2], [0, 1]), f32([2], [1, 3]), f32([2], [4, 1])], {
      opset: 15,
      attrs: { epsilon: float(0) },
    });
    expectClose(y.toNumbers(), [0, 0.5, 1, 3]);
  });

  it('BatchNormalization training mode updates the running statistics', () => {
    const x = f32([2, 1, 1, 1], [1, 3]);
    const [y, mean, variance] = runOp('BatchNormalization', [x, f32([1], [1]), f32([1], [0]), f32([1], [0]), f32([1], [1])], {
      opset: 15,
      attrs: { epsilon: float(0), momentum: float(0.5), training_mode: int(1) },
      outputs: 3,
    });
    expectClose(y.toNumbers(), [-1, 1]);
    expectClose(mean.toNumbers(), [1]);
    expectClose(variance.toNumbers(), [1]);
  });

  it('BatchNormalization rejects a parameter of the wrong size', () => {
    const x = f32([1, 2, 1, 1], [1, 2]);
    expect(() => run1('BatchNormalization', [x, f32([3], [1, 1, 1]), f32([2], [0, 0]), f32([2], [0, 0]), f32([2], [1, 1])], { opset: 15 })).toThrow(
      /scale has shape \[3\], expected 2/,
    );
  });

  it('LayerNormalization normalizes the trailing axes and returns mean and inverse std', () => {
    const x = f32([2, 2], [1, 3, 2, 6]);
    const [y, mean, inv] = runOp('LayerNormalization', [x, f32([2], [1, 2]), f32([2], [0, 1])], { opset: 17, attrs: { epsilon: float(0) }, outputs: 3 });
    expectClose(y.toNumbers(), [-1, 3, -1, 3]);
    expect(mean.dims).toEqual([2, 1]);
    expect(mean.toNumbers()).toEqual([2, 4]);
    expect(inv.toNumbers()).toEqual([1, 0.5]);
    const bcast = run1('LayerNormalization', [f32([1, 2, 2], [0, 2, 4, 6]), f32([1], [3])], { opset: 17, attrs: { axis: int(1), epsilon: float(0) } });
    expectClose(bcast.toNumbers(), [-3 * 1.3416407864998738, -3 * 0.4472135954999579, 3 * 0.4472135954999579, 3 * 1.3416407864998738]);
  });

  it('InstanceNormalization normalizes each (n, c) plane', () => {
    const x = f32([1, 2, 2], [1, 3, 4, 8]);
    const y = run1('InstanceNormalization', [x, f32([2], [1, 1]), f32([2], [0, 5])], { opset: 6, attrs: { epsilon: float(0) } });
    expectClose(y.toNumbers(), [-1, 1, 4, 6]);
  });

  it('GroupNormalization scales per group at opset 18 and per channel at opset 21', () => {
    const x = f32([1, 4, 1], [1, 3, 5, 9]);
    const v18 = run1('GroupNormalization', [x, f32([2], [1, 2]), f32([2], [0, 0])], { opset: 18, attrs: { num_groups: int(2), epsilon: float(0) } });
    expectClose(v18.toNumbers(), [-1, 1, -2, 2]);
    const v21 = run1('GroupNormalization', [x, f32([4], [1, 2, 3, 4]), f32([4], [0, 0, 0, 1])], { opset: 21, attrs: { num_groups: int(2), epsilon: float(0) } });
    expectClose(v21.toNumbers(), [-1, 2, -3, 5]);
    expect(() => run1('GroupNormalization', [x, f32([4], [1, 1, 1, 1]), f32([4], [0, 0, 0, 0])], { opset: 21, attrs: { num_groups: int(3) } })).toThrow(
      /must be positive and divide/,
    );
  });

  it('LpNormalization divides by the norm and leaves zero vectors at zero', () => {
    const y = run1('LpNormalization', [f32([2, 2], [3, 4, 0, 0])], { opset: 1, attrs: { axis: int(1), p: int(2) } });
    expectClose(y.toNumbers(), [0.6, 0.8, 0, 0]);
  });

  it('LRN divides by the local channel energy', () => {
    const x = f32([1, 2, 1, 1], [1, 2]);
    const y = run1('LRN', [x], { opset: 13, attrs: { size: int(3), alpha: float(3), beta: float(1), bias: float(1) } });
    // both channels see 1 + 4 = 5 in their window: x / (1 + 3/3 * 5)
    expectClose(y.toNumbers(), [1 / 6, 2 / 6]);
  });

  it('MeanVarianceNormalization standardizes over the given axes', () => {
    const y = run1('MeanVarianceNormalization', [f32([1, 2, 1, 2], [1, 3, 5, 5])], { opset: 13 });
    expectClose(y.toNumbers(), [-1, 1, 0, 0], 1e-6);
  });
});

describe('MaxUnpool / RoiAlign', () => {
  it('MaxUnpool scatters values back to their indices', () => {
    const y = run1('MaxUnpool', [f32([1, 1, 1, 2], [5, 6]), i64([1, 1, 1, 2], [1, 6])], { opset: 11, attrs: { kernel_shape: ints([2, 2]), strides: ints([2, 2]) } });
    expect(y.dims).toEqual([1, 1, 2, 4]);
    expect(y.toNumbers()).toEqual([0, 5, 0, 0, 0, 0, 6, 0]);
    expect(() => run1('MaxUnpool', [f32([1, 1, 1, 1], [5]), i64([1, 1, 1, 1], [99])], { opset: 11, attrs: { kernel_shape: ints([2, 2]), strides: ints([2, 2]) } })).toThrow(
      /out of range/,
    );
  });

  it('RoiAlign averages bilinear samples of a linear ramp to the ramp at the bin centre', () => {
    const x = f32([1, 1, 4, 4], ramp(16));
    const y = run1('RoiAlign', [x, f32([1, 4], [0, 0, 2, 2]), i64([1], [0])], {
      opset: 16,
      attrs: { output_height: int(1), output_width: int(1), sampling_ratio: int(2), coordinate_transformation_mode: str('output_half_pixel') },
    });
    // samples at (0.5, 0.5), (0.5, 1.5), (1.5, 0.5), (1.5, 1.5): value = 4*y + x, mean 5
    expectClose(y.toNumbers(), [5]);
    expect(() => run1('RoiAlign', [x, f32([1, 4], [0, 0, 2, 2]), i64([1], [3])], { opset: 16 })).toThrow(/batch index 3/);
  });
});

describe('nn conformance (onnx-node)', () => {
  const ops = [
    'MaxPool',
    'AveragePool',
    'LpPool',
    'GlobalAveragePool',
    'GlobalMaxPool',
    'GlobalLpPool',
    'BatchNormalization',
    'LayerNormalization',
    'InstanceNormalization',
    'GroupNormalization',
    'LRN',
    'MeanVarianceNormalization',
    'LpNormalization',
    'MaxUnpool',
    'RoiAlign',
  ];
  it('passes at least 95% of the supported cases', () => {
    const { results, passRate, failures } = nodeConformance(ops);
    if (failures.length) console.log(`nn conformance failures:\n${failures.join('\n')}`);
    expect(results.length).toBeGreaterThan(120);
    expect(passRate, failures.join('\n')).toBeGreaterThanOrEqual(0.95);
  });
});

describe('hostile pooling attributes', () => {
  it('answers quickly for a huge kernel over a tiny input', () => {
    const x = f32([1, 1, 1], [4]);
    const t0 = performance.now();
    const y = run1('AveragePool', [x], { opset: 19, attrs: { kernel_shape: ints([2 ** 30]), pads: ints([2 ** 30 - 1, 0]), count_include_pad: int(1) } });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(y.toNumbers()).toEqual([4 / 2 ** 30]);
  });

  it('rejects RoiAlign boxes that would need billions of samples', () => {
    const x = f32([1, 1, 2, 2], [1, 2, 3, 4]);
    expect(() => run1('RoiAlign', [x, f32([1, 4], [0, 0, 1e9, 1e9]), i64([1], [0])], { opset: 16 })).toThrow(/sample points, over the limit/);
  });
});
