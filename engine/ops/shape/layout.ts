// Layout ops: Transpose, Depth/SpaceToDepth, Concat, Split, Slice, Expand, Tile. Each maps its
// output onto per-axis source strides and lets moveElements do the copying.
import { Tensor, stridesOf } from '../../tensor.js';
import { OpError, tensorInput, optionalTensor, type OpContext, type OpEntry, type Value } from '../types.js';
import { broadcastShapes, normalizeAxis } from '../util.js';
import { gatherView, intValues, moveElements, transposeTensor } from './move.js';

function shapeText(dims: readonly number[]): string {
  return `[${dims.join(',')}]`;
}

function transpose(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0);
  const perm = ctx.attrs.ints('perm') ?? x.dims.map((_, i) => x.rank - 1 - i);
  if (perm.length !== x.rank || new Set(perm).size !== perm.length || perm.some((p) => !Number.isInteger(p) || p < 0 || p >= x.rank)) {
    throw new OpError(`perm [${perm.join(',')}] is not a permutation of the ${x.rank} axes`);
  }
  ctx.report({ kernel: `ts_transpose_${x.dtype}`, isa: 'scalar' });
  if (perm.every((p, i) => p === i)) return [x];
  return [transposeTensor(x, perm)];
}

function blocksize(ctx: OpContext): number {
  const b = ctx.attrs.int('blocksize');
  if (b === undefined || b < 1) throw new OpError(`blocksize must be a positive integer, got ${b}`);
  return b;
}

function depthToSpace(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0);
  if (x.rank !== 4) throw new OpError(`DepthToSpace needs a 4-D input, got shape ${shapeText(x.dims)}`);
  const b = blocksize(ctx);
  const [n, c, h, w] = x.dims;
  if (c % (b * b) !== 0) throw new OpError(`channels ${c} are not divisible by blocksize^2 = ${b * b}`);
  const oc = c / (b * b);
  const crd = ctx.opset >= 11 && ctx.attrs.string('mode', 'DCR') === 'CRD';
  // DCR: channels split as [b, b, oc]; CRD: as [oc, b, b]. Output [n, oc, h, b, w, b].
  const split = crd ? x.reshape([n, oc, b, b, h, w]) : x.reshape([n, b, b, oc, h, w]);
  const perm = crd ? [0, 1, 4, 2, 5, 3] : [0, 3, 4, 1, 5, 2];
  return [transposeTensor(split, perm).reshape([n, oc, h * b, w * b])];
}

function spaceToDepth(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0);
  if (x.rank !== 4) throw new OpError(`SpaceToDepth needs a 4-D input, got shape ${shapeText(x.dims)}`);
  const b = blocksize(ctx);
  const [n, c, h, w] = x.dims;
  if (h % b !== 0 || w % b !== 0) throw new OpError(`spatial size ${h}x${w} is not divisible by blocksize ${b}`);
  const split = x.reshape([n, c, h / b, b, w / b, b]);
  return [transposeTensor(split, [0, 3, 5, 1, 2, 4]).reshape([n, c * b * b, h / b, w / b])];
}

function concat(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const xs = inputs.map((_, i) => tensorInput(inputs, i));
  if (xs.length === 0) throw new OpError('Concat needs at least one input');
  const first = xs[0];
  const rawAxis = ctx.attrs.int('axis', ctx.opset < 4 ? 1 : NaN);
  if (Number.isNaN(rawAxis)) throw new OpError('Concat needs an axis attribute');
  const axis = normalizeAxis(rawAxis, first.rank);
  let total = 0;
  for (const t of xs) {
    if (t.dtype !== first.dtype) throw new OpError(`Concat inputs must share one element type, got ${first.dtype} and ${t.dtype}`);
    if (t.rank !== first.rank || t.dims.some((d, i) => i !== axis && d !== first.dims[i])) {
      throw new OpError(`Concat inputs ${shapeText(first.dims)} and ${shapeText(t.dims)} differ outside axis ${axis}`);
    }
    total += t.dims[axis];
  }
  ctx.report({ kernel: `ts_concat_${first.dtype}`, isa: 'scalar' });
  if (xs.length === 1) return [first];
  const dims = first.dims.slice();
  dims[axis] = total;
  const out = new Tensor(first.dtype, dims);
  const outStrides = stridesOf(dims);
  let offset = 0;
  for (const t of xs) {
    const s = stridesOf(t.dims);
    moveElements(
      t.data,
      0,
      out.data,
      offset * outStrides[axis],
      t.dims.map((n, k) => ({ n, src: s[k], dst: outStrides[k] })),
    );
    offset += t.dims[axis];
  }
  return [out];
}

/** A slab [from, from+len) of `x` along `axis`, as a new tensor. */
function slab(x: Tensor, axis: number, from: number, len: number): Tensor {
  const dims = x.dims.slice();
  dims[axis] = len;
  const s = stridesOf(x.dims);
  return gatherView(x, dims, s.map((src) => ({ src })), from * s[axis]);
}

function split(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0);
  const axis = normalizeAxis(ctx.attrs.int('axis', 0), x.rank);
  const dim = x.dims[axis];
  const outputs = ctx.node.outputs.length;
  let sizes: number[] | undefined;
  if (ctx.opset >= 13 || (ctx.opset < 2 && optionalTensor(inputs, 1))) {
    const t = optionalTensor(inputs, 1);
    // Some exporters pass an empty tensor for "no split sizes".
    sizes = t && t.size > 0 ? intValues(t, 'split') : undefined;
  } else sizes = ctx.attrs.ints('split');
  const numOutputs = ctx.opset >= 18 ? ctx.attrs.int('num_outputs') : undefined;
  if (sizes && numOutputs !== undefined) throw new OpError('Split takes either the split input or num_outputs, not both');
  if (!sizes) {
    const parts = numOutputs ?? outputs;
    if (parts < 1) throw new OpError(`cannot split into ${parts} parts`);
    if (numOutputs === undefined && dim % parts !== 0) throw new OpError(`axis ${axis} of size ${dim} does not split evenly into ${parts} outputs`);
    // num_outputs (opset 18) allows an uneven split: ceil-sized chunks, the last one smaller.
    const chunk = Math.ceil(dim / parts);
    sizes = Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
  }
  if (sizes.length !== outputs) throw new OpError(`split has ${sizes.length} parts but the node has ${outputs} outputs`);
  if (sizes.some((s) => s < 0) || sizes.reduce((a, b) => a + b, 0) !== dim) {
    throw new OpError(`split sizes [${sizes.join(',')}] do not add up to axis ${axis} of size ${dim}`);
  }
  ctx.report({ kernel: `ts_split_${x.dtype}`, isa: 'scalar' });
  let from = 0;
  return sizes.map((len) => {
    const t = slab(x, axis, from, len);
    from += len;
    return t;
  });
}

/** Clamped start and output length of one sliced axis (ONNX rules, also for INT64_MAX/MIN ends). */
export function sliceRange(start: number, end: number, step: number, dim: number): { start: number; count: number } {
  if (step === 0 || !Number.isFinite(step)) throw new OpError('slice step must be a non-zero integer');
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
  } else {
    s = Math.min(Math.max(s, 0), dim - 1);
    e = Math.min(Math.max(e, -1), dim - 1);
  }
  const count = Math.max(0, Math.ceil((e - s) / step));
  return { start: s, count };
}

function slice(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0);
  let starts: number[];
  let ends: number[];
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  if (ctx.opset < 10) {
    starts = ctx.attrs.ints('starts') ?? [];
    ends = ctx.attrs.ints('ends') ?? [];
    axes = ctx.attrs.ints('axes');
  } else {
    starts = intValues(tensorInput(inputs, 1, 'starts'), 'starts');
    ends = intValues(tensorInput(inputs, 2, 'ends'), 'ends');
    const a = optionalTensor(inputs, 3);
    const st = optionalTensor(inputs, 4);
    axes = a ? intValues(a, 'axes') : undefined;
    steps = st ? intValues(st, 'steps') : undefined;
  }
  axes ??= starts.map((_, i) => i);
  steps ??= starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    throw new OpError(`starts, ends, axes and steps must have equal lengths, got ${starts.length}, ${ends.length}, ${axes.length}, ${steps.length}`);
  }
  const strides = stridesOf(x.dims);
  const dims = x.dims.slice();
  const srcStrides = strides.slice();
  let base = 0;
  const seen = new Set<number>();
  axes.forEach((raw, i) => {
    const axis = normalizeAxis(raw, x.rank);
    if (seen.has(axis)) throw new OpError(`axis ${raw} is sliced twice`);
    seen.add(axis);
    const r = sliceRange(starts[i], ends[i], steps![i], x.dims[axis]);
    dims[axis] = r.count;
    srcStrides[axis] = strides[axis] * steps![i];
    if (r.count > 0) base += r.start * strides[axis];
  });
  ctx.report({ kernel: `ts_slice_${x.dtype}`, isa: 'scalar' });
  // Whole-tensor slices are views of the input, unless a negative step reverses an axis.
  if (dims.every((d, i) => d === x.dims[i] && (d <= 1 || srcStrides[i] === strides[i]))) return [x];
  return [gatherView(x, dims, srcStrides.map((src) => ({ src })), base)];
}

function expand(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0);
  const shape = intValues(tensorInput(inputs, 1, 'shape'), 'shape');
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new OpError(`shape ${shapeText(shape)} has invalid dimensions`);
  const dims = broadcastShapes(x.dims, shape);
  ctx.report({ kernel: `ts_expand_${x.dtype}`, isa: 'scalar' });
  if (dims.length === x.rank && dims.every((d, i) => d === x.dims[i])) return [x];
  const s = stridesOf(x.dims);
  const lead = dims.length - x.rank;
  return [gatherView(x, dims, dims.map((_, k) => ({ src: k < lead || x.dims[k - lead] === 1 ? 0 : s[k - lead] })))];
}

function tile(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0);
  const repeats = intValues(tensorInput(inputs, 1, 'repeats'), 'repeats');
  if (repeats.length !== x.rank) throw new OpError(`repeats has ${repeats.length} entries for an input of rank ${x.rank}`);
  if (repeats.some((r) => !Number.isInteger(r) || r < 0)) throw new OpError(`repeats [${repeats.join(',')}] must be non-negative`);
  // Tile = broadcast of the input viewed as [1, d0, 1, d1, ...] to [r0, d0, r1, d1, ...].
  const s = stridesOf(x.dims);
  const dims = x.dims.flatMap((d, i) => [repeats[i], d]);
  const srcAxes = x.dims.flatMap((_, i) => [{ src: 0 }, { src: s[i] }]);
  ctx.report({ kernel: `ts_tile_${x.dtype}`, isa: 'scalar' });
  return [gatherView(x, dims, srcAxes).reshape(x.dims.map((d, i) => d * repeats[i]))];
}

export const ops: OpEntry[] = [
  { op: 'Transpose', domain: '', since: 1, impl: transpose },
  { op: 'DepthToSpace', domain: '', since: 1, impl: depthToSpace },
  { op: 'SpaceToDepth', domain: '', since: 1, impl: spaceToDepth },
  { op: 'Concat', domain: '', since: 1, impl: concat },
  { op: 'Split', domain: '', since: 1, impl: split },
  { op: 'Slice', domain: '', since: 1, impl: slice },
  { op: 'Expand', domain: '', since: 8, impl: expand },
  { op: 'Tile', domain: '', since: 6, impl: tile },
];
