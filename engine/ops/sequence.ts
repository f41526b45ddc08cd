// Sequence and optional values: construction, indexing, splitting/concatenation, and SequenceMap.
import { Tensor, dtypeFromOnnx, type DType, type TensorData } from '../tensor.js';
import { normalizeAxis, product } from './util.js';
import { OpError, tensorInput, optionalTensor, type OpContext, type OpEntry, type TensorSequence, type Value } from './types.js';

function sequenceInput(inputs: (Value | undefined)[], i: number, what: string): TensorSequence {
  const v = inputs[i];
  if (v === undefined || v === null) throw new OpError(`${what} is required`);
  if (!('kind' in v)) throw new OpError(`${what} must be a sequence, got a tensor`);
  return v;
}

function makeSequence(items: Tensor[], elemType?: DType): TensorSequence {
  return { kind: 'sequence', items, elemType: elemType ?? items[0]?.dtype };
}

/** Reads a scalar (or 1-element) integer position tensor. */
function readPosition(t: Tensor, what: string): number {
  if (t.size !== 1) throw new OpError(`${what} must be a scalar, got shape [${t.dims.join(',')}]`);
  if (t.dtype !== 'int32' && t.dtype !== 'int64') throw new OpError(`${what} must be int32 or int64, got ${t.dtype}`);
  return t.num(0);
}

/** Resolves a possibly negative position against `[-n, limit]`. */
function resolvePosition(pos: number, n: number, limit: number, what: string): number {
  if (pos < -n || pos > limit) throw new OpError(`${what} ${pos} is out of range for a sequence of length ${n}`);
  return pos < 0 ? pos + n : pos;
}

function requireElemType(seq: TensorSequence, t: Tensor, op: string): void {
  const expected = seq.items[0]?.dtype ?? seq.elemType;
  if (expected !== undefined && expected !== t.dtype)
    throw new OpError(`${op}: tensor of type ${t.dtype} does not match the sequence element type ${expected}`);
}

/** Copies `n` elements between tensor buffers of one element type (typed arrays or string arrays). */
export function copyElements(src: TensorData, srcOff: number, dst: TensorData, dstOff: number, n: number): void {
  if (Array.isArray(src) || Array.isArray(dst)) {
    const s = src as unknown as ArrayLike<unknown>;
    const d = dst as unknown as unknown[];
    for (let i = 0; i < n; i++) d[dstOff + i] = s[srcOff + i];
    return;
  }
  (dst as Float32Array).set((src as Float32Array).subarray(srcOff, srcOff + n), dstOff);
}

/** Concatenates (or, with `newAxis`, stacks) tensors along `axis`. */
export function concatTensors(items: Tensor[], axis: number, newAxis: boolean, op: string): Tensor {
  if (items.length === 0) throw new OpError(`${op}: cannot concatenate an empty sequence`);
  const first = items[0];
  const rank = first.rank;
  const outRank = newAxis ? rank + 1 : rank;
  const a = normalizeAxis(axis, outRank, `${op} axis`);
  const parts = newAxis ? items.map((t) => t.reshape([...t.dims.slice(0, a), 1, ...t.dims.slice(a)])) : items;
  const base = parts[0].dims;
  let total = 0;
  for (const p of parts) {
    if (p.dtype !== first.dtype) throw new OpError(`${op}: tensors of types ${first.dtype} and ${p.dtype} cannot be concatenated`);
    if (p.rank !== base.length || p.dims.some((d, i) => i !== a && d !== base[i])) {
      throw new OpError(`${op}: shapes [${base.join(',')}] and [${p.dims.join(',')}] differ outside axis ${a}`);
    }
    total += p.dims[a];
  }
  const outDims = base.slice();
  outDims[a] = total;
  const out = new Tensor(first.dtype, outDims);
  const outer = product(base, 0, a);
  const inner = product(base, a + 1);
  const outRow = total * inner;
  let offset = 0;
  for (const p of parts) {
    const chunk = p.dims[a] * inner;
    for (let o = 0; o < outer; o++) copyElements(p.data, o * chunk, out.data, o * outRow + offset, chunk);
    offset += chunk;
  }
  return out;
}

/** The part of `t` between `start` and `start + len` along `axis`. */
export function sliceAxis(t: Tensor, axis: number, start: number, len: number): Tensor {
  const dims = t.dims.slice();
  const outer = product(dims, 0, axis);
  const inner = product(dims, axis + 1);
  const rowIn = dims[axis] * inner;
  dims[axis] = len;
  const out = new Tensor(t.dtype, dims);
  const chunk = len * inner;
  for (let o = 0; o < outer; o++) copyElements(t.data, o * rowIn + start * inner, out.data, o * chunk, chunk);
  return out;
}

function sequenceEmpty(ctx: OpContext): Value[] {
  const code = ctx.attrs.int('dtype', 1);
  return [makeSequence([], dtypeFromOnnx(code))];
}

function sequenceConstruct(_ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const items = inputs.map((_, i) => tensorInput(inputs, i, `SequenceConstruct input ${i}`));
  if (items.length === 0) throw new OpError('SequenceConstruct needs at least one input');
  for (const t of items) {
    if (t.dtype !== items[0].dtype)
      throw new OpError(`SequenceConstruct inputs must share one element type, got ${items[0].dtype} and ${t.dtype}`);
  }
  return [makeSequence(items)];
}

function sequenceAt(_ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const seq = sequenceInput(inputs, 0, 'input_sequence');
  const n = seq.items.length;
  const pos = resolvePosition(readPosition(tensorInput(inputs, 1, 'position'), 'position'), n, n - 1, 'SequenceAt position');
  return [seq.items[pos]];
}

function sequenceInsert(_ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const seq = sequenceInput(inputs, 0, 'input_sequence');
  const t = tensorInput(inputs, 1, 'tensor');
  requireElemType(seq, t, 'SequenceInsert');
  const n = seq.items.length;
  const p = optionalTensor(inputs, 2);
  const pos = p ? resolvePosition(readPosition(p, 'position'), n, n, 'SequenceInsert position') : n;
  const items = seq.items.slice();
  items.splice(pos, 0, t);
  return [makeSequence(items, seq.elemType ?? t.dtype)];
}

function sequenceErase(_ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const seq = sequenceInput(inputs, 0, 'input_sequence');
  const n = seq.items.length;
  if (n === 0) throw new OpError('SequenceErase: the sequence is empty');
  const p = optionalTensor(inputs, 1);
  const pos = p ? resolvePosition(readPosition(p, 'position'), n, n - 1, 'SequenceErase position') : n - 1;
  const items = seq.items.slice();
  items.splice(pos, 1);
  return [makeSequence(items, seq.elemType)];
}

function sequenceLength(_ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const seq = sequenceInput(inputs, 0, 'input_sequence');
  return [new Tensor('int64', [], BigInt64Array.of(BigInt(seq.items.length)))];
}

function concatFromSequence(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const seq = sequenceInput(inputs, 0, 'input_sequence');
  const axis = ctx.attrs.int('axis');
  if (axis === undefined) throw new OpError('ConcatFromSequence needs the axis attribute');
  return [concatTensors(seq.items, axis, ctx.attrs.int('new_axis', 0) === 1, 'ConcatFromSequence')];
}

function splitToSequence(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'input');
  const split = optionalTensor(inputs, 1);
  if (x.rank === 0) throw new OpError('SplitToSequence needs an input of rank >= 1');
  const axis = normalizeAxis(ctx.attrs.int('axis', 0), x.rank, 'SplitToSequence axis');
  const len = x.dims[axis];
  const items: Tensor[] = [];
  if (!split) {
    const keep = ctx.attrs.int('keepdims', 1) !== 0;
    const squeezed = x.dims.filter((_, i) => i !== axis);
    for (let s = 0; s < len; s++) {
      const part = sliceAxis(x, axis, s, 1);
      items.push(keep ? part : part.reshape(squeezed));
    }
    return [makeSequence(items, x.dtype)];
  }
  const sizes = split.toNumbers();
  if (split.rank === 0) {
    const chunk = sizes[0];
    if (!Number.isInteger(chunk) || chunk <= 0) throw new OpError(`SplitToSequence split ${chunk} must be a positive integer`);
    for (let s = 0; s < len; s += chunk) items.push(sliceAxis(x, axis, s, Math.min(chunk, len - s)));
    return [makeSequence(items, x.dtype)];
  }
  if (split.rank !== 1) throw new OpError('SplitToSequence split must be a scalar or 1-D');
  const total = sizes.reduce((a, b) => a + b, 0);
  if (sizes.some((v) => !Number.isInteger(v) || v < 0) || total !== len) {
    throw new OpError(`SplitToSequence split sizes [${sizes.join(',')}] do not add up to the axis length ${len}`);
  }
  let start = 0;
  for (const s of sizes) {
    items.push(sliceAxis(x, axis, start, s));
    start += s;
  }
  return [makeSequence(items, x.dtype)];
}

function sequenceMap(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const body = ctx.attrs.graph('body');
  if (!body) throw new OpError('SequenceMap needs the body attribute');
  const first = sequenceInput(inputs, 0, 'input_sequence');
  const n = first.items.length;
  for (let i = 1; i < inputs.length; i++) {
    const v = inputs[i];
    if (v && 'kind' in v && v.items.length !== n)
      throw new OpError(`SequenceMap input ${i} has ${v.items.length} items, the first sequence ${n}`);
  }
  const outputs: Tensor[][] = body.outputs.map(() => []);
  for (let k = 0; k < n; k++) {
    const args = inputs.map((v) => (v && 'kind' in v ? v.items[k] : (v ?? null)));
    const res = ctx.runSubgraph(body, args);
    res.forEach((r, j) => {
      if (!r || 'kind' in r) throw new OpError(`SequenceMap body output ${j} must be a tensor`);
      outputs[j].push(r);
    });
  }
  return outputs.map((items, j) => {
    const t = body.outputs[j].type;
    const elem = t?.kind === 'sequence' && t.elem?.kind === 'tensor' ? t.elem.dtype : t?.kind === 'tensor' ? t.dtype : undefined;
    return makeSequence(items, items[0]?.dtype ?? elem);
  });
}

function optional(_ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const v = inputs[0];
  return [v === undefined ? null : v];
}

function optionalHasElement(_ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const v = inputs[0];
  return [new Tensor('bool', [], Uint8Array.of(v === undefined || v === null ? 0 : 1))];
}

function optionalGetElement(_ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const v = inputs[0];
  if (v === undefined || v === null) throw new OpError('OptionalGetElement: the optional input is empty');
  return [v];
}

export const ops: OpEntry[] = [
  { op: 'SequenceEmpty', domain: '', since: 11, impl: sequenceEmpty },
  { op: 'SequenceConstruct', domain: '', since: 11, impl: sequenceConstruct },
  { op: 'SequenceAt', domain: '', since: 11, impl: sequenceAt },
  { op: 'SequenceInsert', domain: '', since: 11, impl: sequenceInsert },
  { op: 'SequenceErase', domain: '', since: 11, impl: sequenceErase },
  { op: 'SequenceLength', domain: '', since: 11, impl: sequenceLength },
  { op: 'ConcatFromSequence', domain: '', since: 11, impl: concatFromSequence },
  { op: 'SplitToSequence', domain: '', since: 11, impl: splitToSequence },
  { op: 'SequenceMap', domain: '', since: 17, impl: sequenceMap },
  { op: 'Optional', domain: '', since: 15, impl: optional },
  { op: 'OptionalHasElement', domain: '', since: 15, impl: optionalHasElement },
  { op: 'OptionalGetElement', domain: '', since: 15, impl: optionalGetElement },
];
