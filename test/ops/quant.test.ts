import { describe, expect, it } from 'vitest';
import { Tensor } from '../../engine/tensor.js';
import { expectClose, f32, int, nums, run1, runOp, t } from '../support/op-context.js';

describe('QuantizeLinear / DequantizeLinear', () => {
  it('rounds half to even and saturates to the zero point type', () => {
    const x = f32([6], [0.5, 1.5, 2.5, -0.5, 300, -300]);
    const y = run1('QuantizeLinear', [x, f32([], [1]), t('uint8', [], [0])], { opset: 13 });
    expect(y.dtype).toBe('uint8');
    expect(nums(y)).toEqual([0, 2, 2, 0, 255, 0]);
    const s = run1('QuantizeLinear', [x, f32([], [1]), t('int8', [], [1])], { opset: 13 });
    expect(nums(s)).toEqual([1, 3, 3, 1, 127, -128]);
    expect(run1('QuantizeLinear', [x, f32([], [1])], { opset: 13 }).dtype).toBe('uint8');
    expect(run1('QuantizeLinear', [x, f32([], [1])], { opset: 21, attrs: { output_dtype: int(5) } }).dtype).toBe('int16');
  });

  it('quantizes per axis and per block, and dequantizes back', () => {
    const x = f32([2, 4], [1, 2, 3, 4, 10, 20, 30, 40]);
    const perAxis = run1('QuantizeLinear', [x, f32([2], [1, 10]), t('uint8', [2], [0, 5])], { opset: 13, attrs: { axis: int(0) } });
    expect(nums(perAxis)).toEqual([1, 2, 3, 4, 6, 7, 8, 9]);
    // Blocks of 3 along axis 1: the last block is partial.
    const scale = f32([2, 2], [1, 2, 10, 20]);
    const blocked = run1('QuantizeLinear', [x, scale, t('int8', [2, 2], [0, 0, 0, 0])], {
      opset: 21,
      attrs: { axis: int(1), block_size: int(3) },
    });
    expect(nums(blocked)).toEqual([1, 2, 3, 2, 1, 2, 3, 2]);
    const back = run1('DequantizeLinear', [blocked, scale, t('int8', [2, 2], [0, 0, 0, 0])], {
      opset: 21,
      attrs: { axis: int(1), block_size: int(3) },
    });
    expect(nums(back)).toEqual([1, 2, 3, 4, 10, 20, 30, 40]);
    expect(() => runOp('QuantizeLinear', [x, f32([2, 1], [1, 1])], { opset: 21, attrs: { axis: int(1), block_size: int(3) } })).toThrow(
      /blocked scale must have shape \[2,2\]/,
    );
    expect(() => runOp('QuantizeLinear', [x, f32([3], [1, 1, 1])], { opset: 13, attrs: { axis: int(1) } })).toThrow(/per-axis scale/);
  });

  it('DequantizeLinear handles int32 and float16 scales', () => {
    expect(nums(run1('DequantizeLinear', [t('int32', [2], [-4, 6]), f32([], [0.5])], { opset: 13 }))).toEqual([-2, 3]);
    const h = run1('DequantizeLinear', [t('uint8', [1], [3]), t('float16', [], [0.1])], { opset: 19 });
    expect(h.dtype).toBe('float16');
    expect(nums(h)[0]).toBeCloseTo(0.2998, 4);
  });

  it('DynamicQuantizeLinear includes zero in the range', () => {
    const [y, scale, zp] = runOp('DynamicQuantizeLinear', [f32([3], [1, 2, 3])], { opset: 11 }) as Tensor[];
    expect(nums(scale)[0]).toBeCloseTo(3 / 255, 7);
    expect(nums(zp)).toEqual([0]);
    expect(nums(y)).toEqual([85, 170, 255]);
    const [yNeg, , zpNeg] = runOp('DynamicQuantizeLinear', [f32([2], [-1, 3])], { opset: 11 }) as Tensor[];
    // 1 / (4/255) = 63.75 rounds to 64; -1 maps back to 0 and 3 to 255.
    expect(nums(zpNeg)).toEqual([64]);
    expect(nums(yNeg)).toEqual([0, 255]);
  });
});

describe('integer matmul and conv', () => {
  it('MatMulInteger subtracts per-row and per-column zero points', () => {
    const a = t('uint8', [2, 2], [1, 2, 3, 4]);
    const b = t('int8', [2, 2], [5, 6, 7, 8]);
    const y = run1('MatMulInteger', [a, b, t('uint8', [2], [1, 0]), t('int8', [2], [0, 1])], { opset: 10 });
    expect(y.dtype).toBe('int32');
    // A - zp = [[0,1],[3,4]], B - zp = [[5,5],[7,7]].
    expect(nums(y)).toEqual([7, 7, 43, 43]);
    expect(() => runOp('MatMulInteger', [a, t('int8', [3, 1], [1, 1, 1])], { opset: 10 })).toThrow(/do not match/);
  });

  it('QLinearMatMul requantizes with round-half-even', () => {
    const a = t('uint8', [1, 2], [2, 3]);
    const b = t('uint8', [2, 1], [1, 1]);
    const y = run1(
      'QLinearMatMul',
      [a, f32([], [1]), t('uint8', [], [0]), b, f32([], [0.5]), t('uint8', [], [0]), f32([], [1]), t('uint8', [], [10])],
      { opset: 10 },
    );
    // (2 + 3) * 0.5 = 2.5 -> 2, + 10.
    expect(nums(y)).toEqual([12]);
  });

  it('ConvInteger and QLinearConv agree with a direct computation', () => {
    const x = t('uint8', [1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const w = t('uint8', [1, 1, 2, 2], [1, 1, 1, 1]);
    const y = run1('ConvInteger', [x, w, t('uint8', [], [1])], { opset: 10, attrs: { pads: { type: 'ints', value: [0, 0, 1, 1] } } });
    expect(y.dims).toEqual([1, 1, 3, 3]);
    // x - 1 = [[0,1,2],[3,4,5],[6,7,8]], 2x2 box sums with zero padding at the end.
    expect(nums(y)).toEqual([8, 12, 7, 20, 24, 13, 13, 15, 8]);
    const q = run1(
      'QLinearConv',
      [x, f32([], [1]), t('uint8', [], [1]), w, f32([], [1]), t('uint8', [], [0]), f32([], [4]), t('uint8', [], [0]), t('int32', [1], [2])],
      {
        opset: 10,
      },
    );
    // (sum + bias 2) / 4 over the valid 2x2 windows.
    expect(nums(q)).toEqual([2, 4, 6, 6]);
  });
});

/** Packs 4-bit codes low nibble first, as MatMulNBits expects. */
function pack4(codes: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < codes.length; i += 2) out.push((codes[i] & 15) | ((codes[i + 1] ?? 0) << 4));
  return out;
}

describe('com.microsoft MatMulNBits', () => {
  const K = 20; // not a multiple of the block size: the last block is partial
  const N = 3;
  const blockSize = 16;
  const blocks = Math.ceil(K / blockSize);
  const codes = Array.from({ length: N }, (_, n) =>
    Array.from({ length: blocks * blockSize }, (_, k) => (k < K ? (n * 7 + k * 3) % 16 : 0)),
  );
  const scales = Array.from({ length: N * blocks }, (_, i) => 0.05 * (i + 1));
  const zps = Array.from({ length: N * blocks }, (_, i) => (i * 5) % 16);
  const b = t(
    'uint8',
    [N, blocks, blockSize / 2],
    codes.flatMap((row) => pack4(row)),
  );
  const a = f32(
    [2, K],
    Array.from({ length: 2 * K }, (_, i) => Math.sin(i)),
  );

  /** Reference: dequantize B to [K, N] floats, then a plain matmul. */
  function reference(zp: (n: number, blk: number) => number): number[] {
    const out: number[] = [];
    for (let m = 0; m < 2; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const blk = Math.floor(k / blockSize);
          const w = (codes[n][k] - zp(n, blk)) * scales[n * blocks + blk];
          s += nums(a)[m * K + k] * w;
        }
        out.push(s);
      }
    }
    return out;
  }

  const attrs = { K: int(K), N: int(N), bits: int(4), block_size: int(blockSize) };

  it('matches dequantize-then-matmul with the default zero point 8', () => {
    const y = run1('MatMulNBits', [a, b, f32([N * blocks], scales)], { domain: 'com.microsoft', opset: 1, attrs });
    expect(y.dims).toEqual([2, N]);
    expectClose(
      nums(y),
      reference(() => 8),
      1e-5,
    );
  });

  it('reads packed 4-bit zero points and adds the bias', () => {
    const zpRow = Math.ceil(blocks / 2);
    const packed = Array.from({ length: N }, (_, n) => pack4(zps.slice(n * blocks, (n + 1) * blocks))).flat();
    expect(packed.length).toBe(N * zpRow);
    const bias = [1, -2, 3];
    const y = run1('MatMulNBits', [a, b, f32([N, blocks], scales), t('uint8', [N * zpRow], packed), undefined, f32([N], bias)], {
      domain: 'com.microsoft',
      opset: 1,
      attrs,
    });
    const want = reference((n, blk) => zps[n * blocks + blk]).map((v, i) => v + bias[i % N]);
    expectClose(nums(y), want, 1e-5);
  });

  it('rejects a B whose shape does not match K, N and block_size', () => {
    expect(() =>
      runOp('MatMulNBits', [a, t('uint8', [N, 1, 8], new Array(N * 8).fill(0)), f32([N], [1, 1, 1])], {
        domain: 'com.microsoft',
        opset: 1,
        attrs,
      }),
    ).toThrow(/expected \[3,2,8\]/);
  });
});
