// Add, Sub, Mul, Div, Pow, Mod and the variadic Min, Max, Sum, Mean, with numpy broadcasting.
import { Tensor } from '../../tensor.js';
import { broadcastShapes, roundNarrow } from '../util.js';
import { OpError, tensorInput, type OpContext, type OpEntry, type Value } from '../types.js';
import {
  broadcastBigint,
  broadcastBinary,
  isBig,
  isFloat,
  legacyBroadcast,
  reportTs,
  requireSameType,
  requireTypes,
  type NumArray,
  type RowKernel,
} from './common.js';
import { FAST_ADD, FAST_DIV, FAST_MUL, FAST_SUB, type FastKernels } from './fast.js';
import { binaryMemo, runNativeBinary } from './native-dispatch.js';

// One loop per op so each arithmetic operator inlines; steps are 0 or 1 (see broadcastRows).
const addRow: RowKernel = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = a[ai] + b[bi];
};
const subRow: RowKernel = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = a[ai] - b[bi];
};
const mulRow: RowKernel = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = a[ai] * b[bi];
};
// Integer products can pass 2^53 where doubles lose the low bits; imul keeps the wrapped result exact.
const imulRow: RowKernel = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = Math.imul(a[ai], b[bi]);
};
const divRow: RowKernel = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = a[ai] / b[bi];
};
// Integer division truncates toward zero; x/0 gives ±Inf or NaN, which an integer array stores as 0.
const idivRow: RowKernel = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = Math.trunc(a[ai] / b[bi]);
};
const powRow: RowKernel = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = Math.pow(a[ai], b[bi]);
};
const ipowRow: RowKernel = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = Math.trunc(Math.pow(a[ai], b[bi]));
};
const squareRow: RowKernel = (a, ai, as, _b, _bi, _bs, o, oi, n) => {
  for (let k = 0; k < n; k++, ai += as) o[oi + k] = a[ai] * a[ai];
};
// C fmod: the remainder takes the dividend's sign (JS % is exactly that).
const fmodRow: RowKernel = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = a[ai] % b[bi];
};
// Python/numpy mod: the remainder takes the divisor's sign.
const pymodRow: RowKernel = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++, ai += as, bi += bs) {
    const y = b[bi];
    let r = a[ai] % y;
    if (r !== 0 && r < 0 !== y < 0) r += y;
    o[oi + k] = r;
  }
};
// Math.min/max propagate NaN, as the ONNX ops require.
const minRow: RowKernel = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = Math.min(a[ai], b[bi]);
};
const maxRow: RowKernel = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = Math.max(a[ai], b[bi]);
};

const bigDiv = (x: bigint, y: bigint): bigint => (y === 0n ? 0n : x / y);
const bigFmod = (x: bigint, y: bigint): bigint => (y === 0n ? 0n : x % y);
const bigPymod = (x: bigint, y: bigint): bigint => {
  if (y === 0n) return 0n;
  const r = x % y;
  return r !== 0n && r < 0n !== y < 0n ? r + y : r;
};

/** x**y wrapped to 64 bits by square-and-multiply, so huge exponents cannot blow up BigInt sizes. */
function bigPow(x: bigint, y: bigint, bits = 64, unsigned = false): bigint {
  const wrap = unsigned ? (v: bigint) => BigInt.asUintN(bits, v) : (v: bigint) => BigInt.asIntN(bits, v);
  if (y < 0n) return x === 1n ? 1n : x === -1n ? (y % 2n === 0n ? 1n : -1n) : 0n;
  let result = 1n;
  let base = wrap(x);
  let e = y;
  while (e > 0n) {
    if (e & 1n) result = wrap(result * base);
    base = wrap(base * base);
    e >>= 1n;
  }
  return result;
}

interface ArithmeticOp {
  op: 'Add' | 'Sub' | 'Mul' | 'Div';
  float: RowKernel;
  fast: FastKernels;
  int: RowKernel;
  big: (x: bigint, y: bigint) => bigint;
}

const ARITHMETIC: ArithmeticOp[] = [
  { op: 'Add', float: addRow, fast: FAST_ADD, int: addRow, big: (x, y) => x + y },
  { op: 'Sub', float: subRow, fast: FAST_SUB, int: subRow, big: (x, y) => x - y },
  { op: 'Mul', float: mulRow, fast: FAST_MUL, int: imulRow, big: (x, y) => x * y },
  { op: 'Div', float: divRow, fast: FAST_DIV, int: idivRow, big: bigDiv },
];

function arithmetic(def: ArithmeticOp): OpEntry {
  return {
    op: def.op,
    domain: '',
    since: 1,
    impl: (ctx, inputs) => {
      const a = tensorInput(inputs, 0, 'A');
      const b = legacyBroadcast(ctx, a, tensorInput(inputs, 1, 'B'));
      // Checked when the node's broadcast is planned: a memo hit means the same types passed before.
      const m = binaryMemo(ctx, def.op, a, b, def.op, () => {
        requireSameType(def.op, [a, b]);
        requireTypes(def.op, a, ['float', 'int', 'uint']);
      });
      if (m.call) return [runNativeBinary(ctx, m, a, b)];
      const out = isBig(a.dtype)
        ? broadcastBigint(a, b, a.dtype, def.big)
        : isFloat(a.dtype)
          ? broadcastBinary(a, b, a.dtype, def.float, m.dims, def.fast, m.plan)
          : broadcastBinary(a, b, a.dtype, def.int, m.dims, undefined, m.plan);
      reportTs(ctx, def.op.toLowerCase(), a.dtype, out.size);
      return [out];
    },
  };
}

/** Exponents of any numeric type, as a number array (an int64 exponent fits easily). */
function asNumbers(t: Tensor): Tensor {
  if (!isBig(t.dtype)) return t;
  return new Tensor('float64', t.dims, Float64Array.from(t.data as BigInt64Array, Number));
}

function pow(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'X');
  const y = legacyBroadcast(ctx, x, tensorInput(inputs, 1, 'Y'));
  requireTypes('Pow', x, ['float', 'int', 'uint'], 'base');
  requireTypes('Pow', y, ['float', 'int', 'uint'], 'exponent');
  let out: Tensor;
  if (isBig(x.dtype)) {
    const unsigned = x.dtype === 'uint64';
    if (isBig(y.dtype)) {
      out = broadcastBigint(x, y, x.dtype, (b, e) => bigPow(b, e, 64, unsigned));
    } else {
      // A float exponent on an int64 base: compute in doubles, truncate back.
      const base = new Tensor('float64', x.dims, Float64Array.from(x.data as BigInt64Array, Number));
      const r = broadcastBinary(base, y, 'float64', powRow).data as Float64Array;
      out = new Tensor(x.dtype, broadcastShapes(x.dims, y.dims));
      const od = out.data as BigInt64Array;
      for (let i = 0; i < od.length; i++) od[i] = Number.isFinite(r[i]) ? BigInt(Math.trunc(r[i])) : 0n;
    }
  } else {
    const e = asNumbers(y);
    const squares = isFloat(x.dtype) && e.size === 1 && (e.data as NumArray)[0] === 2 && e.dims.length <= x.dims.length;
    out = broadcastBinary(x, e, x.dtype, squares ? squareRow : isFloat(x.dtype) ? powRow : ipowRow);
  }
  reportTs(ctx, 'pow', x.dtype, out.size);
  return [out];
}

function mod(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const a = tensorInput(inputs, 0, 'A');
  const b = tensorInput(inputs, 1, 'B');
  requireSameType('Mod', [a, b]);
  requireTypes('Mod', a, ['float', 'int', 'uint']);
  const fmod = ctx.attrs.int('fmod', 0);
  if (fmod !== 0 && fmod !== 1) throw new OpError(`attribute fmod must be 0 or 1, got ${fmod}`);
  if (isFloat(a.dtype) && !fmod) throw new OpError(`Mod of ${a.dtype} needs fmod=1 (integer-style mod is defined only for integer types)`);
  const out = isBig(a.dtype)
    ? broadcastBigint(a, b, a.dtype, fmod ? bigFmod : bigPymod)
    : broadcastBinary(a, b, a.dtype, fmod ? fmodRow : pymodRow);
  reportTs(ctx, 'mod', a.dtype, out.size);
  return [out];
}

interface Variadic {
  op: string;
  row: RowKernel;
  fast?: FastKernels;
  big?: (x: bigint, y: bigint) => bigint;
  floatOnly?: boolean;
  mean?: boolean;
}

const VARIADIC: Variadic[] = [
  { op: 'Min', row: minRow, big: (x, y) => (x < y ? x : y) },
  { op: 'Max', row: maxRow, big: (x, y) => (x > y ? x : y) },
  { op: 'Sum', row: addRow, fast: FAST_ADD, big: (x, y) => x + y },
  { op: 'Mean', row: addRow, fast: FAST_ADD, floatOnly: true, mean: true },
];

function variadic(def: Variadic): OpEntry {
  return {
    op: def.op,
    domain: '',
    since: 1,
    impl: (ctx, inputs) => {
      if (inputs.length === 0) throw new OpError(`${def.op} needs at least one input`);
      const ts = inputs.map((_, i) => tensorInput(inputs, i, `input ${i}`));
      requireSameType(def.op, ts);
      requireTypes(def.op, ts[0], def.floatOnly ? ['float'] : ['float', 'int', 'uint']);
      let acc = ts[0];
      for (let i = 1; i < ts.length; i++) {
        acc = isBig(acc.dtype)
          ? broadcastBigint(acc, ts[i], acc.dtype, def.big!)
          : broadcastBinary(acc, ts[i], acc.dtype, def.row, undefined, isFloat(acc.dtype) ? def.fast : undefined);
      }
      if (def.mean && ts.length > 1) {
        const d = acc.data as NumArray;
        for (let i = 0; i < d.length; i++) d[i] /= ts.length;
        roundNarrow(acc);
      }
      reportTs(ctx, def.op.toLowerCase(), acc.dtype, acc.size * Math.max(1, ts.length - 1));
      return [acc];
    },
  };
}

export const ops: OpEntry[] = [
  ...ARITHMETIC.map(arithmetic),
  { op: 'Pow', domain: '', since: 1, impl: pow },
  { op: 'Mod', domain: '', since: 10, impl: mod },
  ...VARIADIC.map(variadic),
];
