// Ops that change only the dims (sharing the data: values are never mutated once produced),
// shape queries, and ops that create tensors from attributes or a shape.
import { Tensor, MAX_ELEMENTS, dtypeFromOnnx, type DType } from '../../tensor.js';
import { OpError, tensorInput, optionalTensor, type OpContext, type OpEntry, type Value } from '../types.js';
import { product } from '../util.js';
import { intValues, elementOf, fillWith } from './move.js';

function shapeText(dims: readonly number[]): string {
  return `[${dims.join(',')}]`;
}

function reshape(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'data');
  const requested = ctx.opset < 5 ? ctx.attrs.ints('shape') : intValues(tensorInput(inputs, 1, 'shape'), 'shape');
  if (!requested) throw new OpError('Reshape needs a shape attribute');
  const allowZero = ctx.opset >= 14 && ctx.attrs.int('allowzero', 0) !== 0;
  const dims = requested.slice();
  let inferAt = -1;
  for (let i = 0; i < dims.length; i++) {
    if (dims[i] === -1) {
      if (inferAt >= 0) throw new OpError(`shape ${shapeText(requested)} has more than one -1`);
      inferAt = i;
    } else if (dims[i] === 0 && !allowZero) {
      if (i >= x.rank) throw new OpError(`shape ${shapeText(requested)} copies dim ${i} but the input has rank ${x.rank}`);
      dims[i] = x.dims[i];
    } else if (dims[i] < 0 || !Number.isInteger(dims[i])) {
      throw new OpError(`shape ${shapeText(requested)} has invalid dimension ${dims[i]}`);
    }
  }
  if (inferAt >= 0) {
    if (allowZero && dims.includes(0)) throw new OpError(`shape ${shapeText(requested)} combines -1 with 0 while allowzero is set`);
    const known = product(dims.map((d, i) => (i === inferAt ? 1 : d)));
    if (known === 0 || x.size % known !== 0) throw new OpError(`cannot reshape input of shape ${shapeText(x.dims)} to ${shapeText(requested)}`);
    dims[inferAt] = x.size / known;
  }
  if (product(dims) !== x.size) throw new OpError(`cannot reshape input of shape ${shapeText(x.dims)} (${x.size} elements) to ${shapeText(dims)}`);
  ctx.report({ kernel: 'ts_reshape_view', isa: 'scalar' });
  return [x.reshape(dims)];
}

function flatten(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0);
  const raw = ctx.attrs.int('axis', 1);
  const axis = raw < 0 ? raw + x.rank : raw;
  if (axis < 0 || axis > x.rank || (raw < 0 && ctx.opset < 11)) throw new OpError(`axis ${raw} is out of range for rank ${x.rank}`);
  ctx.report({ kernel: 'ts_reshape_view', isa: 'scalar' });
  return [x.reshape([product(x.dims, 0, axis), product(x.dims, axis)])];
}

/** Axes from the attribute (opset < 13) or the optional second input (13+). */
function axesArg(ctx: OpContext, inputs: (Value | undefined)[]): number[] | undefined {
  if (ctx.opset < 13) return ctx.attrs.ints('axes');
  const t = optionalTensor(inputs, 1);
  return t ? intValues(t, 'axes') : undefined;
}

function normalizeAxes(axes: number[], rank: number): number[] {
  const out = axes.map((a) => {
    const n = a < 0 ? a + rank : a;
    if (!Number.isInteger(n) || n < 0 || n >= rank) throw new OpError(`axis ${a} is out of range for rank ${rank}`);
    return n;
  });
  if (new Set(out).size !== out.length) throw new OpError(`axes [${axes.join(',')}] repeat an axis`);
  return out;
}

function squeeze(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0);
  const axes = axesArg(ctx, inputs);
  let dims: number[];
  if (!axes || axes.length === 0) dims = x.dims.filter((d) => d !== 1);
  else {
    const drop = new Set(normalizeAxes(axes, x.rank));
    for (const a of drop) if (x.dims[a] !== 1) throw new OpError(`cannot squeeze axis ${a} of size ${x.dims[a]} (shape ${shapeText(x.dims)})`);
    dims = x.dims.filter((_, i) => !drop.has(i));
  }
  ctx.report({ kernel: 'ts_reshape_view', isa: 'scalar' });
  return [x.reshape(dims)];
}

function unsqueeze(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0);
  const axes = axesArg(ctx, inputs);
  if (!axes) throw new OpError('Unsqueeze needs axes');
  const rank = x.rank + axes.length;
  const insert = new Set(normalizeAxes(axes, rank));
  const dims: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) dims.push(insert.has(i) ? 1 : x.dims[k++]);
  ctx.report({ kernel: 'ts_reshape_view', isa: 'scalar' });
  return [x.reshape(dims)];
}

function shape(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0);
  const clampAxis = (a: number) => Math.min(Math.max(a < 0 ? a + x.rank : a, 0), x.rank);
  const start = ctx.opset >= 15 ? clampAxis(ctx.attrs.int('start', 0)) : 0;
  const end = ctx.opset >= 15 && ctx.attrs.has('end') ? clampAxis(ctx.attrs.int('end', x.rank)) : x.rank;
  const dims = x.dims.slice(start, Math.max(start, end));
  return [Tensor.fromNumbers('int64', [dims.length], dims)];
}

function size(_ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  return [Tensor.scalar('int64', tensorInput(inputs, 0).size)];
}

/** Inference-time Dropout is the identity; the mask, when asked for, keeps everything. Training mode drops with a seeded generator. */
function dropout(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0);
  const wantsMask = ctx.node.outputs.length > 1 && ctx.node.outputs[1] !== '';
  const maskType: DType = ctx.opset >= 10 ? 'bool' : x.dtype;
  // Before opset 12 there is no way to ask for training behaviour at inference; is_test is ignored.
  let training = false;
  let ratio = ctx.attrs.float('ratio', 0.5);
  if (ctx.opset >= 12) {
    const r = optionalTensor(inputs, 1);
    if (r) ratio = r.num(0);
    const t = optionalTensor(inputs, 2);
    training = t ? t.num(0) !== 0 : false;
  }
  if (!training || ratio === 0) {
    ctx.report({ kernel: 'ts_identity', isa: 'scalar' });
    if (!wantsMask) return [x];
    const mask = new Tensor(maskType, x.dims);
    fillWith(mask, elementOf(Tensor.fromNumbers(maskType, [1], [1])));
    return [x, mask];
  }
  if (!(ratio >= 0 && ratio < 1)) throw new OpError(`ratio ${ratio} must be in [0, 1)`);
  // Deterministic for a given seed: xorshift32, so repeated runs compare equal.
  let state = (ctx.attrs.int('seed', 0x9e3779b9) | 0) || 1;
  const out = new Tensor(x.dtype, x.dims);
  const mask = new Tensor('bool', x.dims);
  const scale = 1 / (1 - ratio);
  const xd = x.data as Float32Array;
  const od = out.data as Float32Array;
  const md = mask.data as Uint8Array;
  for (let i = 0; i < xd.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const keep = (state >>> 0) / 4294967296 >= ratio;
    md[i] = keep ? 1 : 0;
    od[i] = keep ? xd[i] * scale : 0;
  }
  return wantsMask ? [out, mask] : [out];
}

function constant(ctx: OpContext): Value[] {
  const a = ctx.attrs;
  if (a.has('sparse_value')) throw new OpError('Constant with sparse_value is not supported');
  const t = a.tensor('value');
  if (t) return [t];
  if (a.has('value_float')) return [Tensor.scalar('float32', a.float('value_float', 0))];
  if (a.has('value_floats')) {
    const v = a.floats('value_floats', []);
    return [Tensor.fromNumbers('float32', [v.length], v)];
  }
  if (a.has('value_int')) return [Tensor.scalar('int64', a.int('value_int', 0))];
  if (a.has('value_ints')) {
    const v = a.ints('value_ints', []);
    return [Tensor.fromNumbers('int64', [v.length], v)];
  }
  if (a.has('value_string')) return [new Tensor('string', [], [a.string('value_string', '')])];
  const strings = a.strings('value_strings');
  if (strings) return [new Tensor('string', [strings.length], strings.slice())];
  throw new OpError('Constant needs one of value, value_float(s), value_int(s), value_string(s)');
}

function checkedDims(values: number[], what: string): number[] {
  let n = 1;
  for (const d of values) {
    if (!Number.isInteger(d) || d < 0) throw new OpError(`${what} has invalid dimension ${d}`);
    n *= d;
  }
  if (n > MAX_ELEMENTS) throw new OpError(`${what} ${shapeText(values)} has ${n} elements, over the limit of ${MAX_ELEMENTS}`);
  return values;
}

function constantOfShape(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const dims = checkedDims(intValues(tensorInput(inputs, 0, 'shape'), 'shape'), 'shape');
  const value = ctx.attrs.tensor('value');
  if (value && value.size !== 1) throw new OpError(`value must hold one element, got ${value.size}`);
  const out = new Tensor(value?.dtype ?? 'float32', dims);
  if (value) fillWith(out, elementOf(value));
  ctx.report({ kernel: 'ts_fill', isa: 'scalar' });
  return [out];
}

function range(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const [start, limit, delta] = [0, 1, 2].map((i) => tensorInput(inputs, i, ['start', 'limit', 'delta'][i]));
  for (const t of [start, limit, delta]) {
    if (t.size !== 1) throw new OpError(`Range inputs must be scalars, got shape ${shapeText(t.dims)}`);
    if (t.dtype !== start.dtype) throw new OpError(`Range inputs must share one type, got ${start.dtype}, ${limit.dtype}, ${delta.dtype}`);
  }
  const s = start.num(0);
  const d = delta.num(0);
  if (d === 0) throw new OpError('Range delta must not be 0');
  const count = Math.max(Math.ceil((limit.num(0) - s) / d), 0);
  if (!Number.isFinite(count) || count > MAX_ELEMENTS) throw new OpError(`Range would produce ${count} elements, over the limit of ${MAX_ELEMENTS}`);
  if (start.dtype === 'int64' || start.dtype === 'uint64') {
    const out = new Tensor(start.dtype, [count]);
    const o = out.data as BigInt64Array;
    const bs = start.data[0] as bigint;
    const bd = delta.data[0] as bigint;
    for (let i = 0; i < count; i++) o[i] = bs + BigInt(i) * bd;
    return [out];
  }
  const values = new Float64Array(count);
  // start + i*delta rather than a running sum: no error accumulates over long ranges.
  for (let i = 0; i < count; i++) values[i] = s + i * d;
  return [Tensor.fromNumbers(start.dtype, [count], values)];
}

function eyeLike(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0);
  if (x.rank !== 2) throw new OpError(`EyeLike needs a 2-D input, got shape ${shapeText(x.dims)}`);
  const code = ctx.attrs.int('dtype');
  const dtype = code === undefined ? x.dtype : dtypeOf(code);
  const k = ctx.attrs.int('k', 0);
  const [rows, cols] = x.dims;
  const out = new Tensor(dtype, x.dims);
  const one = elementOf(Tensor.fromNumbers(dtype, [1], [1]));
  const od = out.data as unknown as { [i: number]: unknown };
  for (let r = 0; r < rows; r++) {
    const c = r + k;
    if (c >= 0 && c < cols) od[r * cols + c] = one;
  }
  return [out];
}

function dtypeOf(code: number): DType {
  try {
    return dtypeFromOnnx(code);
  } catch (e) {
    throw new OpError((e as Error).message);
  }
}

export const ops: OpEntry[] = [
  { op: 'Reshape', domain: '', since: 1, impl: reshape },
  { op: 'Flatten', domain: '', since: 1, impl: flatten },
  { op: 'Squeeze', domain: '', since: 1, impl: squeeze },
  { op: 'Unsqueeze', domain: '', since: 1, impl: unsqueeze },
  { op: 'Shape', domain: '', since: 1, impl: shape },
  { op: 'Size', domain: '', since: 1, impl: size },
  { op: 'Dropout', domain: '', since: 1, impl: dropout },
  { op: 'Constant', domain: '', since: 1, impl: constant },
  { op: 'ConstantOfShape', domain: '', since: 9, impl: constantOfShape },
  { op: 'Range', domain: '', since: 11, impl: range },
  { op: 'EyeLike', domain: '', since: 9, impl: eyeLike },
];
