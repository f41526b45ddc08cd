// Pooling in eager mode runs the native pool2d_f32 kernel along the TypeScript baseline's own tap
// tables: every geometry must give the baseline's numbers exactly.
import { describe, expect, it } from 'vitest';
import type { AttrValue } from '../engine/graph.js';
import { loadNative } from '../engine/native.js';
import { Tensor } from '../engine/tensor.js';
import { opRunner } from './support/op-context.js';
import { random } from './support/random.js';

const native = loadNative();
const { runOpReport } = opRunner({ threads: 2, native });

const ints = (v: number[]): AttrValue => ({ type: 'ints', value: v });
const int = (v: number): AttrValue => ({ type: 'int', value: v });
const str = (v: string): AttrValue => ({ type: 'string', value: v });
const f32 = (dims: number[], seed: number) => new Tensor('float32', dims, random(dims.reduce((a, b) => a * b, 1), seed, 4));

function both(op: string, x: Tensor, attrs: Record<string, AttrValue>, outputs = 1) {
  const run = (mode: 'baseline' | 'eager') => runOpReport(op, [x], { mode, attrs, opset: 19, outputs });
  return { eager: run('eager'), base: run('baseline') };
}

const x2 = f32([2, 5, 17, 23], 1);

describe('native pooling matches the TypeScript baseline exactly', () => {

  const cases: [string, Record<string, AttrValue>][] = [
    ['2x2 stride 2', { kernel_shape: ints([2, 2]), strides: ints([2, 2]) }],
    ['3x3 stride 1 pads 1', { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]) }],
    ['3x3 stride 2 ceil_mode, uneven pads', { kernel_shape: ints([3, 3]), strides: ints([2, 2]), pads: ints([0, 1, 2, 0]), ceil_mode: int(1) }],
    ['dilated 3x2', { kernel_shape: ints([3, 2]), dilations: ints([2, 3]), pads: ints([2, 1, 2, 1]) }],
    ['SAME_UPPER 4x4 stride 3', { kernel_shape: ints([4, 4]), strides: ints([3, 3]), auto_pad: str('SAME_UPPER') }],
  ];
  for (const op of ['MaxPool', 'AveragePool']) {
    for (const [name, attrs] of cases) {
      for (const includePad of op === 'AveragePool' ? [0, 1] : [0]) {
        it(`${op} ${name}${includePad ? ', count_include_pad' : ''}`, () => {
          const a = op === 'AveragePool' ? { ...attrs, count_include_pad: int(includePad) } : attrs;
          const { eager, base } = both(op, x2, a);
          expect(eager.report?.kernel).toMatch(/^pool2d_f32_/);
          expect(base.report?.kernel).toMatch(/^ts_(max|avg)pool2d_float32$/);
          const [e, b] = [eager.outputs[0] as Tensor, base.outputs[0] as Tensor];
          expect(e.dims).toEqual(b.dims);
          expect(Array.from(e.data as Float32Array)).toEqual(Array.from(b.data as Float32Array));
        });
      }
    }
  }

  it('MaxPool passes NaNs through as the baseline does, wherever they fall in a window', () => {
    const x = f32([1, 3, 13, 15], 5);
    const d = x.data as Float32Array;
    for (let i = 0; i < d.length; i += 7) d[i] = NaN;
    for (const [, attrs] of cases) {
      const { eager, base } = both('MaxPool', x, attrs);
      const [e, b] = [eager.outputs[0] as Tensor, base.outputs[0] as Tensor];
      expect(Array.from(e.data as Float32Array).some(Number.isNaN)).toBe(Array.from(b.data as Float32Array).some(Number.isNaN));
      expect(Array.from(e.data as Float32Array)).toEqual(Array.from(b.data as Float32Array));
    }
  });

  it('1D pooling and the global forms', () => {
    const x1 = f32([3, 4, 31], 2);
    for (const [op, x, attrs] of [
      ['MaxPool', x1, { kernel_shape: ints([3]), strides: ints([2]), pads: ints([1, 1]) }],
      ['AveragePool', x1, { kernel_shape: ints([4]), strides: ints([3]) }],
      ['GlobalMaxPool', x2, {}],
      ['GlobalAveragePool', x2, {}],
      ['GlobalAveragePool', x1, {}],
    ] as [string, Tensor, Record<string, AttrValue>][]) {
      const { eager, base } = both(op, x, attrs);
      expect(eager.report?.kernel, op).toMatch(/^pool2d_f32_/);
      expect(Array.from((eager.outputs[0] as Tensor).data as Float32Array), op).toEqual(Array.from((base.outputs[0] as Tensor).data as Float32Array));
    }
  });

  it('keeps indices, LpPool, 3D and non-float32 pooling on the TypeScript loop', () => {
    const k = { kernel_shape: ints([2, 2]) };
    expect(both('MaxPool', x2, k, 2).eager.report?.kernel).toBe('ts_maxpool2d_float32');
    expect(both('LpPool', x2, k).eager.report?.kernel).toBe('ts_lppool2d_float32');
    expect(both('MaxPool', f32([1, 2, 4, 5, 6], 3), { kernel_shape: ints([2, 2, 2]) }).eager.report?.kernel).toBe('ts_maxpool3d_float32');
    const d = new Tensor('float64', [1, 2, 6, 6], Float64Array.from(random(72, 4)));
    expect(both('AveragePool', d, k).eager.report?.kernel).toBe('ts_avgpool2d_float64');
  });

  it('rejects tap tables that would read outside the plane', () => {
    const x = new Float32Array(16);
    const y = new Float32Array(4);
    const taps = (start: number[]) => ({ start: Int32Array.from(start), lo: new Int32Array(2), hi: Int32Array.of(2, 2), padded: Int32Array.of(2, 2) });
    const params = { planes: 1, H: 4, W: 4, OH: 2, OW: 2, dilH: 1, dilW: 1, max: true, includePad: false };
    expect(() => native.pool2d(x, y, params, taps([0, 2]), taps([0, 2]))).not.toThrow();
    expect(() => native.pool2d(x, y, params, taps([0, 3]), taps([0, 2]))).toThrow(/tapsH: a tap falls outside the input/);
    expect(() => native.pool2d(x, new Float32Array(3), params, taps([0, 2]), taps([0, 2]))).toThrow(/y has 3 elements/);
  });
});
