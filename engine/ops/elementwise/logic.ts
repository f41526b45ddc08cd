// Comparisons, boolean logic, bitwise ops, IsNaN/IsInf and Where.
import { Tensor } from '../../tensor.js';
import { broadcastShapes } from '../util.js';
import { OpError, tensorInput, type OpContext, type OpEntry, type Value } from '../types.js';
import {
  broadcastBigint,
  broadcastBinary,
  broadcastRows,
  isBig,
  legacyBroadcast,
  reportTs,
  requireSameType,
  requireTypes,
  type BigArray,
  type NumArray,
  type RowKernel,
  type TypeClass,
} from './common.js';

// Comparison loops also run on bigint and string arrays: the JS operators compare those alike.
const equalRow: RowKernel = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = a[ai] === b[bi] ? 1 : 0;
};
const lessRow: RowKernel = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = a[ai] < b[bi] ? 1 : 0;
};
const lessEqualRow: RowKernel = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = a[ai] <= b[bi] ? 1 : 0;
};
const greaterRow: RowKernel = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = a[ai] > b[bi] ? 1 : 0;
};
const greaterEqualRow: RowKernel = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = a[ai] >= b[bi] ? 1 : 0;
};
// Bitwise loops serve bool (0/1) and 8..32-bit integers; typed-array stores wrap to the width.
const andRow: RowKernel = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = a[ai] & b[bi];
};
const orRow: RowKernel = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = a[ai] | b[bi];
};
const xorRow: RowKernel = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = a[ai] ^ b[bi];
};
// JS shifts take the count mod 32, so counts past the width must give 0 explicitly.
const shiftLeftRow: RowKernel = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = b[bi] >= 32 ? 0 : a[ai] << b[bi];
};
const shiftRightRow: RowKernel = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++, ai += as, bi += bs) o[oi + k] = b[bi] >= 32 ? 0 : a[ai] >>> b[bi];
};

/** A broadcasting two-input op run by a row kernel (and, where given, a bigint loop for int64/uint64). */
interface LogicOp {
  op: string;
  since: number;
  row: RowKernel;
  types: TypeClass[];
  /** The int64/uint64 path; without it the row kernel runs on bigint arrays too (fine for comparisons). */
  big?: (x: bigint, y: bigint) => bigint;
}

const ORDERED: TypeClass[] = ['float', 'int', 'uint'];
const COMPARISONS: LogicOp[] = [
  { op: 'Equal', since: 1, row: equalRow, types: ['float', 'int', 'uint', 'bool', 'string'] },
  { op: 'Less', since: 1, row: lessRow, types: ORDERED },
  { op: 'LessOrEqual', since: 12, row: lessEqualRow, types: ORDERED },
  { op: 'Greater', since: 1, row: greaterRow, types: ORDERED },
  { op: 'GreaterOrEqual', since: 12, row: greaterEqualRow, types: ORDERED },
];

const BITWISE: LogicOp[] = [
  { op: 'And', since: 1, row: andRow, types: ['bool'] },
  { op: 'Or', since: 1, row: orRow, types: ['bool'] },
  { op: 'Xor', since: 1, row: xorRow, types: ['bool'] },
  { op: 'BitwiseAnd', since: 18, row: andRow, types: ['int', 'uint'], big: (x, y) => x & y },
  { op: 'BitwiseOr', since: 18, row: orRow, types: ['int', 'uint'], big: (x, y) => x | y },
  { op: 'BitwiseXor', since: 18, row: xorRow, types: ['int', 'uint'], big: (x, y) => x ^ y },
];

/** Comparisons yield bool; bitwise ops keep the input type. */
function logicOp(def: LogicOp, result: 'bool' | 'input'): OpEntry {
  const family = def.op.toLowerCase();
  return {
    op: def.op,
    domain: '',
    since: def.since,
    impl: (ctx, inputs) => {
      const a = tensorInput(inputs, 0, 'A');
      const b = legacyBroadcast(ctx, a, tensorInput(inputs, 1, 'B'));
      requireSameType(def.op, [a, b]);
      requireTypes(def.op, a, def.types);
      const outType = result === 'bool' ? 'bool' : a.dtype;
      const out = def.big && isBig(a.dtype) ? broadcastBigint(a, b, outType, def.big) : broadcastBinary(a, b, outType, def.row);
      reportTs(ctx, family, a.dtype, out.size);
      return [out];
    },
  };
}

function bitShift(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'X');
  const y = tensorInput(inputs, 1, 'Y');
  requireSameType('BitShift', [x, y]);
  requireTypes('BitShift', x, ['uint']);
  const direction = ctx.attrs.string('direction', '');
  if (direction !== 'LEFT' && direction !== 'RIGHT') throw new OpError(`attribute direction must be LEFT or RIGHT, got '${direction}'`);
  const left = direction === 'LEFT';
  const out = isBig(x.dtype)
    ? broadcastBigint(x, y, x.dtype, (v, s) => (s >= 64n ? 0n : left ? BigInt.asUintN(64, v << s) : v >> s))
    : broadcastBinary(x, y, x.dtype, left ? shiftLeftRow : shiftRightRow);
  reportTs(ctx, 'bitshift', x.dtype, out.size);
  return [out];
}

function not(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'X');
  requireTypes('Not', x, ['bool']);
  const xd = x.data as Uint8Array;
  const out = new Tensor('bool', x.dims);
  const od = out.data as Uint8Array;
  for (let i = 0; i < xd.length; i++) od[i] = xd[i] ^ 1;
  reportTs(ctx, 'not', 'bool', x.size);
  return [out];
}

function bitwiseNot(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'X');
  requireTypes('BitwiseNot', x, ['int', 'uint']);
  const out = new Tensor(x.dtype, x.dims);
  if (isBig(x.dtype)) {
    const xd = x.data as BigArray;
    const od = out.data as BigArray;
    // Storing into a BigUint64Array wraps ~v (a negative bigint) to its 64-bit pattern.
    for (let i = 0; i < xd.length; i++) od[i] = ~xd[i];
  } else {
    const xd = x.data as NumArray;
    const od = out.data as NumArray;
    for (let i = 0; i < xd.length; i++) od[i] = ~xd[i];
  }
  reportTs(ctx, 'bitwisenot', x.dtype, x.size);
  return [out];
}

function isNaN(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'X');
  requireTypes('IsNaN', x, ['float']);
  const xd = x.data as NumArray;
  const out = new Tensor('bool', x.dims);
  const od = out.data as Uint8Array;
  for (let i = 0; i < xd.length; i++) od[i] = xd[i] !== xd[i] ? 1 : 0;
  reportTs(ctx, 'isnan', x.dtype, x.size);
  return [out];
}

function isInf(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'X');
  requireTypes('IsInf', x, ['float']);
  const pos = ctx.attrs.int('detect_positive', 1) !== 0;
  const neg = ctx.attrs.int('detect_negative', 1) !== 0;
  const xd = x.data as NumArray;
  const out = new Tensor('bool', x.dims);
  const od = out.data as Uint8Array;
  for (let i = 0; i < xd.length; i++) {
    const v = xd[i];
    od[i] = (pos && v === Infinity) || (neg && v === -Infinity) ? 1 : 0;
  }
  reportTs(ctx, 'isinf', x.dtype, x.size);
  return [out];
}

function where(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const c = tensorInput(inputs, 0, 'condition');
  const x = tensorInput(inputs, 1, 'X');
  const y = tensorInput(inputs, 2, 'Y');
  requireTypes('Where', c, ['bool'], 'condition');
  requireSameType('Where', [x, y]);
  const dims = broadcastShapes(c.dims, x.dims, y.dims);
  const out = new Tensor(x.dtype, dims);
  const plan = broadcastRows([c.dims, x.dims, y.dims], dims);
  const [sc, sx, sy] = plan.starts;
  const [cs, xs, ys] = plan.steps;
  // Values are copied, never computed, so one loop serves every element type (strings too).
  const cd = c.data as Uint8Array;
  const xd = x.data as NumArray;
  const yd = y.data as NumArray;
  const od = out.data as NumArray;
  for (let r = 0; r < plan.rows; r++) {
    let ci = sc[r];
    let xi = sx[r];
    let yi = sy[r];
    const oi = r * plan.n;
    for (let k = 0; k < plan.n; k++, ci += cs, xi += xs, yi += ys) od[oi + k] = cd[ci] ? xd[xi] : yd[yi];
  }
  reportTs(ctx, 'where', x.dtype, out.size);
  return [out];
}

export const ops: OpEntry[] = [
  ...COMPARISONS.map((def) => logicOp(def, 'bool')),
  ...BITWISE.map((def) => logicOp(def, 'input')),
  { op: 'Not', domain: '', since: 1, impl: not },
  { op: 'BitShift', domain: '', since: 11, impl: bitShift },
  { op: 'BitwiseNot', domain: '', since: 18, impl: bitwiseNot },
  { op: 'IsNaN', domain: '', since: 9, impl: isNaN },
  { op: 'IsInf', domain: '', since: 10, impl: isInf },
  { op: 'Where', domain: '', since: 9, impl: where },
];
