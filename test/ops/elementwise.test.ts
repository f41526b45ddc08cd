import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tensor, roundToFloat16 } from '../../engine/tensor.js';
import { broadcastOffsets, broadcastShapes } from '../../engine/ops/util.js';
import { broadcastRows } from '../../engine/ops/elementwise/common.js';
import { erf, roundHalfEven } from '../../engine/ops/elementwise/unary.js';
import { castTensor } from '../../engine/ops/elementwise/cast.js';
import { SHARED } from '../support/paths.js';
import { loadNative } from '../../engine/native.js';
import { scopedConformance } from '../support/conformance.js';
import { big, float, int, opRunner, str, strTensor, t, values } from '../support/op-context.js';

const { runOp, run1 } = opRunner({ opset: 17, native: loadNative() });

function random(dims: number[], seed: number): Tensor {
  let s = seed;
  const n = dims.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
  return t('float32', dims, v);
}

/** Reference broadcast through the shared index-map helper. */
function naive(a: Tensor, b: Tensor, f: (x: number, y: number) => number): number[] {
  const dims = broadcastShapes(a.dims, b.dims);
  const n = dims.reduce((x, y) => x * y, 1);
  const ao = broadcastOffsets(a.dims, dims);
  const bo = broadcastOffsets(b.dims, dims);
  return Array.from({ length: n }, (_, i) => Math.fround(f(a.num(ao ? ao[i] : i), b.num(bo ? bo[i] : i))));
}

describe('broadcast row plan', () => {
  it('turns same-shape, per-channel, last-dim and scalar operands into few long rows', () => {
    expect(
      broadcastRows(
        [
          [2, 3, 4],
          [2, 3, 4],
        ],
        [2, 3, 4],
      ),
    ).toMatchObject({ n: 24, rows: 1, steps: [1, 1] });
    expect(
      broadcastRows(
        [
          [2, 3, 4, 5],
          [1, 3, 1, 1],
        ],
        [2, 3, 4, 5],
      ),
    ).toMatchObject({ n: 20, rows: 6, steps: [1, 0] });
    expect(
      Array.from(
        broadcastRows(
          [
            [2, 3, 4, 5],
            [1, 3, 1, 1],
          ],
          [2, 3, 4, 5],
        ).starts[1],
      ),
    ).toEqual([0, 1, 2, 0, 1, 2]);
    expect(broadcastRows([[8, 16], [16]], [8, 16])).toMatchObject({ n: 16, rows: 8, steps: [1, 1] });
    expect(broadcastRows([[], [5, 6]], [5, 6])).toMatchObject({ n: 30, rows: 1, steps: [0, 1] });
    expect(broadcastRows([[3, 0], [1]], [3, 0])).toMatchObject({ rows: 0 });
  });

  it('matches the index-map reference on awkward shapes', () => {
    const shapes: [number[], number[]][] = [
      [
        [2, 1, 3],
        [4, 1],
      ],
      [
        [1, 5, 1, 2],
        [3, 1, 4, 1],
      ],
      [[6], [2, 1, 6]],
      [
        [2, 3, 1],
        [1, 1, 7],
      ],
      [[], []],
      [
        [3, 1],
        [1, 1],
      ],
    ];
    for (const [sa, sb] of shapes) {
      const a = random(sa, 1);
      const b = random(sb, 2);
      expect(values(run1('Add', [a, b])), `${sa} + ${sb}`).toEqual(naive(a, b, (x, y) => x + y));
      expect(values(run1('Sub', [b, a])), `${sb} - ${sa}`).toEqual(naive(b, a, (x, y) => x - y));
      expect(values(run1('Div', [a, b])), `${sa} / ${sb}`).toEqual(naive(a, b, (x, y) => x / y));
      expect(values(run1('Max', [a, b])), `max ${sa} ${sb}`).toEqual(naive(a, b, Math.max));
    }
  });

  it('names both shapes when they cannot broadcast', () => {
    expect(() => runOp('Add', [random([2, 3], 1), random([4], 2)])).toThrow(/\[2,3\] and \[4\] cannot be broadcast/);
  });
});

describe('arithmetic', () => {
  it('uses the scalar-left paths of Sub and Div correctly', () => {
    expect(values(run1('Sub', [t('float32', [], [10]), t('float32', [3], [1, 2, 3])]))).toEqual([9, 8, 7]);
    expect(values(run1('Div', [t('float32', [], [12]), t('float32', [3], [1, 2, 3])]))).toEqual([12, 6, 4]);
    expect(values(run1('Sub', [t('float32', [3], [1, 2, 3]), t('float32', [1], [1])]))).toEqual([0, 1, 2]);
  });

  it('keeps int64 arithmetic exact past 2^53', () => {
    const a = big('int64', [2], [2n ** 60n + 1n, -7n]);
    const b = big('int64', [2], [1n, 2n]);
    expect(values(run1('Add', [a, b]))).toEqual([2n ** 60n + 2n, -5n]);
    expect(values(run1('Mul', [a, b]))).toEqual([2n ** 60n + 1n, -14n]);
  });

  it('divides integers toward zero, and by zero to 0 instead of crashing', () => {
    expect(values(run1('Div', [big('int64', [3], [-7n, 7n, 5n]), big('int64', [3], [2n, -2n, 0n])]))).toEqual([-3n, -3n, 0n]);
    expect(values(run1('Div', [t('int32', [3], [-7, 7, 5]), t('int32', [3], [2, -2, 0])]))).toEqual([-3, -3, 0]);
    expect(values(run1('Mul', [t('int32', [1], [65536 * 3]), t('int32', [1], [65536 * 5])]))).toEqual([0]);
  });

  it('rounds float16 results back to float16', () => {
    const out = run1('Add', [t('float16', [1], [1]), t('float16', [1], [0.0003])]);
    expect(out.dtype).toBe('float16');
    expect(out.data[0]).toBe(roundToFloat16(1.0003));
    expect(out.data[0]).toBe(1);
  });

  it('computes Mod with python semantics by default and C fmod with fmod=1', () => {
    const a = t('int32', [4], [-7, 7, -7, 7]);
    const b = t('int32', [4], [3, -3, -3, 3]);
    expect(values(run1('Mod', [a, b]))).toEqual([2, -2, -1, 1]);
    expect(values(run1('Mod', [a, b], { attrs: { fmod: int(1) } }))).toEqual([-1, 1, -1, 1]);
    expect(values(run1('Mod', [big('int64', [2], [-7n, 5n]), big('int64', [2], [3n, 0n])]))).toEqual([2n, 0n]);
    expect(values(run1('Mod', [t('float32', [2], [-7.5, 7.5]), t('float32', [2], [2, 2])], { attrs: { fmod: int(1) } }))).toEqual([-1.5, 1.5]);
    expect(() => runOp('Mod', [t('float32', [1], [1]), t('float32', [1], [2])])).toThrow(/needs fmod=1/);
  });

  it('raises to powers across base and exponent types', () => {
    expect(values(run1('Pow', [t('float32', [3], [1, 2, 3]), t('float32', [], [2])]))).toEqual([1, 4, 9]);
    expect(values(run1('Pow', [t('float32', [2], [2, 4]), big('int64', [2], [3n, -1n])]))).toEqual([8, 0.25]);
    expect(values(run1('Pow', [t('int32', [2], [2, 3]), t('float32', [2], [0.5, 2])]))).toEqual([1, 9]);
    expect(values(run1('Pow', [big('int64', [3], [3n, 2n, -1n]), big('int64', [3], [4n, 64n, 3n])]))).toEqual([81n, 0n, -1n]);
  });

  it('folds variadic Min/Max/Sum/Mean with broadcasting and propagates NaN', () => {
    const a = t('float32', [2, 1], [1, 5]);
    const b = t('float32', [3], [2, NaN, 4]);
    const c = t('float32', [], [3]);
    expect(values(run1('Max', [a, b, c]))).toEqual([3, NaN, 4, 5, NaN, 5]);
    expect(values(run1('Min', [a, b, c]))).toEqual([1, NaN, 1, 2, NaN, 3]);
    expect(values(run1('Sum', [a, c]))).toEqual([4, 8]);
    expect(values(run1('Mean', [t('float32', [2], [1, 2]), t('float32', [2], [3, 5]), t('float32', [2], [2, 2])]))).toEqual([2, 3]);
    expect(values(run1('Max', [big('int64', [2], [1n, -9n]), big('int64', [1], [0n])]))).toEqual([1n, 0n]);
  });

  it('supports opset < 7 broadcasting only when asked, aligned at axis', () => {
    const a = t(
      'float32',
      [2, 3, 2],
      Array.from({ length: 12 }, (_, i) => i),
    );
    const b = t('float32', [3], [100, 200, 300]);
    const out = run1('Add', [a, b], { attrs: { broadcast: int(1), axis: int(1) }, opset: 6 });
    expect(values(out).slice(0, 6)).toEqual([100, 101, 202, 203, 304, 305]);
    expect(() => runOp('Add', [a, b], { opset: 6 })).toThrow(/broadcast is not set/);
  });

  it('rejects mixed element types and types the op does not define', () => {
    expect(() => runOp('Add', [t('float32', [1], [1]), t('float64', [1], [1])])).toThrow(/one element type/);
    expect(() => runOp('Sqrt', [t('int32', [1], [4])])).toThrow(/Sqrt does not support input of type int32/);
    expect(() => runOp('Add', [t('bool', [1], [1]), t('bool', [1], [1])])).toThrow(/Add does not support/);
  });
});

describe('unary math', () => {
  it('computes erf to float32 precision on both sides of the series/erfc switch', () => {
    const ref: [number, number][] = [
      [0.1, 0.1124629160182849],
      [0.4999, 0.5204119951613866],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [-3, -0.9999779095030014],
    ];
    for (const [x, e] of ref) expect(Math.abs(erf(x) - e), `erf(${x})`).toBeLessThan(1e-7);
    expect(erf(1e-6)).toBeCloseTo(1.1283791670955126e-6, 18);
  });

  it('rounds half to even', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2, -3]);
    expect(values(run1('Round', [t('float32', [3], [0.5, 1.5, 2.5])]))).toEqual([0, 2, 2]);
  });

  it('handles integer Neg/Abs/Sign including int64', () => {
    expect(values(run1('Abs', [t('int8', [2], [-128, -5])]))).toEqual([-128, 5]);
    expect(values(run1('Neg', [big('int64', [1], [-(2n ** 62n)])]))).toEqual([2n ** 62n]);
    expect(values(run1('Sign', [big('int64', [3], [-5n, 0n, 9n])]))).toEqual([-1n, 0n, 1n]);
  });

  it('clips with attributes before opset 11 and inputs after, min > max giving max', () => {
    const x = t('float32', [4], [-Infinity, -2, 0.5, 9]);
    expect(values(run1('Clip', [x], { attrs: { min: float(-1), max: float(1) }, opset: 6 }))).toEqual([-1, -1, 0.5, 1]);
    expect(values(run1('Clip', [x], { opset: 6 }))[0]).toBeCloseTo(-3.4028234663852886e38);
    expect(values(run1('Clip', [x, t('float32', [], [0]), undefined], { opset: 13 }))).toEqual([0, 0, 0.5, 9]);
    expect(values(run1('Clip', [x, t('float32', [], [2]), t('float32', [], [1])], { opset: 13 }))).toEqual([1, 1, 1, 1]);
    expect(values(run1('Clip', [big('int64', [3], [-5n, 3n, 99n]), big('int64', [], [0n]), big('int64', [], [10n])], { opset: 13 }))).toEqual([
      0n,
      3n,
      10n,
    ]);
    expect(() => runOp('Clip', [x, t('float32', [2], [0, 1])], { opset: 13 })).toThrow(/min must be a scalar/);
  });
});

describe('logic and comparison', () => {
  it('compares numbers, int64 and strings into bool', () => {
    const eq = run1('Equal', [strTensor([3], ['a', 'b', 'c']), strTensor([1], ['b'])], { opset: 19 });
    expect(eq.dtype).toBe('bool');
    expect(values(eq)).toEqual([0, 1, 0]);
    expect(values(run1('Less', [big('int64', [2], [2n ** 62n, 1n]), big('int64', [1], [2n ** 62n + 1n])]))).toEqual([1, 1]);
    expect(values(run1('GreaterOrEqual', [t('float32', [3], [1, NaN, 3]), t('float32', [], [2])]))).toEqual([0, 0, 1]);
  });

  it('selects with Where over three broadcast operands, for any element type', () => {
    const c = t('bool', [2, 1], [1, 0]);
    const out = run1('Where', [c, strTensor([3], ['a', 'b', 'c']), strTensor([], ['z'])]);
    expect(out.dims).toEqual([2, 3]);
    expect(values(out)).toEqual(['a', 'b', 'c', 'z', 'z', 'z']);
    expect(values(run1('Where', [t('bool', [2], [1, 0]), t('float32', [2], [1, 2]), t('float32', [2], [3, 4])]))).toEqual([1, 4]);
  });

  it('shifts past the element width to zero instead of wrapping the count', () => {
    expect(values(run1('BitShift', [t('uint8', [2], [1, 255]), t('uint8', [2], [9, 1])], { attrs: { direction: str('LEFT') } }))).toEqual([0, 254]);
    expect(
      values(run1('BitShift', [t('uint32', [2], [2 ** 32 - 1, 8]), t('uint32', [2], [32, 2])], { attrs: { direction: str('RIGHT') } })),
    ).toEqual([0, 2]);
    expect(values(run1('BitShift', [big('uint64', [1], [1n]), big('uint64', [1], [63n])], { attrs: { direction: str('LEFT') } }))).toEqual([
      2n ** 63n,
    ]);
    expect(() => runOp('BitShift', [t('uint8', [1], [1]), t('uint8', [1], [1])], { attrs: { direction: str('UP') } })).toThrow(/LEFT or RIGHT/);
  });

  it('does bitwise and boolean logic per type', () => {
    expect(values(run1('BitwiseNot', [t('uint8', [2], [0, 5])], { opset: 18 }))).toEqual([255, 250]);
    expect(values(run1('BitwiseNot', [big('uint64', [1], [0n])], { opset: 18 }))).toEqual([2n ** 64n - 1n]);
    expect(values(run1('BitwiseAnd', [t('uint32', [1], [2 ** 32 - 1]), t('uint32', [1], [2 ** 31])], { opset: 18 }))).toEqual([2 ** 31]);
    expect(values(run1('Xor', [t('bool', [4], [0, 0, 1, 1]), t('bool', [4], [0, 1, 0, 1])]))).toEqual([0, 1, 1, 0]);
    expect(values(run1('Not', [t('bool', [2], [0, 1])]))).toEqual([1, 0]);
    expect(() => runOp('And', [t('int32', [1], [1]), t('int32', [1], [1])])).toThrow(/And does not support/);
  });

  it('detects NaN and the requested infinities', () => {
    const x = t('float32', [4], [NaN, Infinity, -Infinity, 1]);
    expect(values(run1('IsNaN', [x]))).toEqual([1, 0, 0, 0]);
    expect(values(run1('IsInf', [x], { attrs: { detect_negative: int(0) } }))).toEqual([0, 1, 0, 0]);
  });
});

describe('Cast', () => {
  it('truncates floats into integers, saturating and mapping NaN to 0', () => {
    const x = t('float32', [5], [-1.7, 2.9, 300, NaN, -Infinity]);
    expect(values(castTensor(x, 'int32'))).toEqual([-1, 2, 300, 0, -2147483648]);
    expect(values(castTensor(x, 'uint8'))).toEqual([0, 2, 255, 0, 0]);
    expect(values(castTensor(x, 'int64'))).toEqual([-1n, 2n, 300n, 0n, -(2n ** 63n)]);
  });

  it('wraps integers and keeps int64 bits', () => {
    expect(values(castTensor(t('int32', [2], [257, -1]), 'uint8'))).toEqual([1, 255]);
    expect(values(castTensor(big('int64', [2], [-1n, 2n ** 40n + 3n]), 'uint64'))).toEqual([2n ** 64n - 1n, 2n ** 40n + 3n]);
    expect(values(castTensor(big('int64', [1], [2n ** 32n + 7n]), 'int32'))).toEqual([7]);
  });

  it('rounds to float16 and bfloat16', () => {
    expect(values(castTensor(t('float32', [2], [1.0003, 65519]), 'float16'))).toEqual([1, 65504]);
    expect(values(castTensor(t('float32', [1], [1.00390625]), 'bfloat16'))).toEqual([1]);
  });

  it('converts strings to numbers and numbers to shortest strings', () => {
    expect(values(castTensor(strTensor([5], ['3.5', '-INF', 'inf', 'NaN', ' 7 ']), 'float32'))).toEqual([3.5, -Infinity, Infinity, NaN, 7]);
    expect(values(castTensor(strTensor([2], ['9007199254740993', '-2']), 'int64'))).toEqual([9007199254740993n, -2n]);
    expect(values(castTensor(t('float32', [4], [0.1, -Infinity, NaN, 3]), 'string'))).toEqual(['0.1', '-INF', 'NaN', '3']);
    expect(values(castTensor(big('int64', [1], [-(2n ** 62n)]), 'string'))).toEqual([String(-(2n ** 62n))]);
  });

  it('reads the target from the attribute (a type name before opset 6) or from CastLike', () => {
    expect(run1('Cast', [t('float32', [1], [2.5])], { attrs: { to: int(7) } }).dtype).toBe('int64');
    expect(run1('Cast', [t('float32', [1], [2.5])], { attrs: { to: str('INT32') }, opset: 1 }).dtype).toBe('int32');
    expect(run1('CastLike', [t('int32', [1], [1]), t('float64', [0], [])]).dtype).toBe('float64');
    expect(() => runOp('Cast', [t('float32', [1], [1])], { attrs: { to: int(17) }, opset: 21 })).toThrow(/float8e4m3fn is not supported/);
  });

  it('reinterprets bits with BitCast (opset 26), float16 through its stored encoding', () => {
    expect(values(run1('BitCast', [t('float32', [2], [1, -2])], { attrs: { to: int(6) }, opset: 26 }))).toEqual([0x3f800000, -0x40000000]);
    expect(values(run1('BitCast', [t('float16', [1], [1])], { attrs: { to: int(4) }, opset: 26 }))).toEqual([0x3c00]);
    expect(values(run1('BitCast', [t('uint16', [1], [0x3c00])], { attrs: { to: int(10) }, opset: 26 }))).toEqual([1]);
    expect(() => runOp('BitCast', [t('float32', [1], [1])], { attrs: { to: int(7) }, opset: 26 })).toThrow(/one width: float32 has 32 bits, int64 64/);
  });

  it('passes any value through Identity, sequences included', () => {
    const seq = { kind: 'sequence' as const, items: [t('float32', [1], [1])] };
    expect(runOp('Identity', [seq])[0]).toBe(seq);
  });
});

describe('ONNX backend conformance (elementwise ops)', () => {
  // prettier-ignore
  const OPS = [
    'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Mod', 'Sqrt', 'Exp', 'Log', 'Neg', 'Abs', 'Reciprocal', 'Floor', 'Ceil', 'Round', 'Sign',
    'Sin', 'Cos', 'Tan', 'Asin', 'Acos', 'Atan', 'Sinh', 'Cosh', 'Asinh', 'Acosh', 'Atanh', 'Erf', 'IsNaN', 'IsInf', 'Min', 'Max',
    'Sum', 'Mean', 'Where', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'BitShift',
    'BitwiseAnd', 'BitwiseOr', 'BitwiseXor', 'BitwiseNot', 'Cast', 'CastLike', 'Clip', 'Identity', 'BitCast',
  ];

  it('passes at least 95% of the supported onnx-node cases', () => {
    const { pass, fail, outOfScope } = scopedConformance(path.join(SHARED, 'onnx-node'), OPS);
    for (const f of fail) console.log(`FAIL ${f.name} [${f.op}]: ${f.reason}`);
    console.log(`elementwise: ${pass.length} pass, ${fail.length} fail, ${outOfScope.length} use element types the engine does not hold`);
    expect(pass.length).toBeGreaterThan(250);
    expect(pass.length / (pass.length + fail.length)).toBeGreaterThanOrEqual(0.95);
  });
});
