// Einsum: general contraction with ellipsis broadcasting, repeated labels (diagonals) and implicit
// output. Two-operand contractions that are batched matrix products (the common case: attention,
// bilinear layers) are permuted into one batched native GEMM; everything else runs a label loop.
import { Tensor, isBigIntType, type TypedArray } from '../../tensor.js';
import { OpError, tensorInput, type OpContext, type OpEntry } from '../types.js';
import { product } from '../util.js';
import { nativeFloat, nativeOptions, roundReduced } from './common.js';

/** Labels are letter char codes; ellipsis dims get ids -1, -2, ... (leftmost = most negative). */
interface Parsed {
  terms: number[][];
  output: number[];
  sizes: Map<number, number>;
}

function parseTerm(term: string, rank: number, what: string): number[] {
  const dots = term.indexOf('...');
  if (dots !== term.lastIndexOf('...')) throw new OpError(`Einsum: ${what} has more than one ellipsis`);
  const letters = term.replace('...', '');
  for (const ch of letters) {
    if (!/[a-zA-Z]/.test(ch)) throw new OpError(`Einsum: invalid label '${ch}' in ${what}`);
  }
  if (dots < 0) {
    if (letters.length !== rank) throw new OpError(`Einsum: ${what} '${term}' has ${letters.length} labels but the input has rank ${rank}`);
    return [...letters].map((c) => c.charCodeAt(0));
  }
  const ell = rank - letters.length;
  if (ell < 0) throw new OpError(`Einsum: ${what} '${term}' has more labels than the input's rank ${rank}`);
  const before = [...term.slice(0, dots)].map((c) => c.charCodeAt(0));
  const after = [...term.slice(dots + 3)].map((c) => c.charCodeAt(0));
  const ellIds = Array.from({ length: ell }, (_, i) => -(ell - i));
  return [...before, ...ellIds, ...after];
}

function parse(equation: string, inputs: Tensor[]): Parsed {
  const eq = equation.replace(/\s+/g, '');
  const [lhs, rhs] = eq.split('->');
  if (eq.split('->').length > 2) throw new OpError(`Einsum: equation '${equation}' has more than one '->'`);
  const termStrs = lhs.split(',');
  if (termStrs.length !== inputs.length) throw new OpError(`Einsum: equation has ${termStrs.length} operands, ${inputs.length} inputs given`);
  const terms = termStrs.map((t, i) => parseTerm(t, inputs[i].rank, `operand ${i}`));
  const sizes = new Map<number, number>();
  terms.forEach((labels, ti) => {
    labels.forEach((l, d) => {
      const size = inputs[ti].dims[d];
      const prev = sizes.get(l);
      if (prev === undefined || prev === 1) sizes.set(l, size);
      else if (size !== prev && !(l < 0 && size === 1)) {
        throw new OpError(`Einsum: label '${l < 0 ? '...' : String.fromCharCode(l)}' has sizes ${prev} and ${size}`);
      }
    });
  });
  let output: number[];
  if (rhs !== undefined) {
    const maxEll = Math.max(0, ...terms.map((t) => t.filter((l) => l < 0).length));
    output = parseTerm(rhs, rhs.replace('...', '').length + (rhs.includes('...') ? maxEll : 0), 'output');
    if (new Set(output).size !== output.length) throw new OpError(`Einsum: output '${rhs}' repeats a label`);
    for (const l of output) if (!sizes.has(l)) throw new OpError(`Einsum: output label '${String.fromCharCode(l)}' does not appear in the inputs`);
  } else {
    const count = new Map<number, number>();
    for (const t of terms) for (const l of t) count.set(l, (count.get(l) ?? 0) + 1);
    const ell = [...sizes.keys()].filter((l) => l < 0).sort((a, b) => a - b);
    const once = [...count.entries()].filter(([l, c]) => l >= 0 && c === 1).map(([l]) => l).sort((a, b) => a - b);
    output = [...ell, ...once];
  }
  return { terms, output, sizes };
}

/** Strides of each label in one operand (summed for repeated labels = diagonal; 0 for broadcast dims). */
function labelStrides(labels: number[], dims: readonly number[], order: number[]): number[] {
  const strides = new Array<number>(order.length).fill(0);
  let acc = 1;
  for (let d = labels.length - 1; d >= 0; d--) {
    if (dims[d] !== 1) strides[order.indexOf(labels[d])] += acc;
    acc *= dims[d];
  }
  return strides;
}

function generic(p: Parsed, inputs: Tensor[], out: Tensor): void {
  const summed = [...p.sizes.keys()].filter((l) => !p.output.includes(l));
  const order = [...p.output, ...summed];
  const sizes = order.map((l) => p.sizes.get(l)!);
  const strides = inputs.map((t, i) => labelStrides(p.terms[i], t.dims, order));
  const data = inputs.map((t) => (isBigIntType(t.dtype) ? Array.from(t.data as BigInt64Array, Number) : (t.data as ArrayLike<number>)));
  const nOut = p.output.length;
  const outCount = product(sizes, 0, nOut);
  const sumCount = product(sizes, nOut);
  const result = new Float64Array(outCount);
  const idx = new Array<number>(order.length).fill(0);
  const offs = new Array<number>(inputs.length).fill(0);
  for (let o = 0; o < outCount; o++) {
    // Decode output position into label indices (summed labels restart at 0).
    let rem = o;
    for (let d = nOut - 1; d >= 0; d--) {
      idx[d] = rem % sizes[d];
      rem = (rem - idx[d]) / sizes[d];
    }
    for (let d = nOut; d < order.length; d++) idx[d] = 0;
    for (let t = 0; t < inputs.length; t++) {
      let off = 0;
      for (let d = 0; d < nOut; d++) off += idx[d] * strides[t][d];
      offs[t] = off;
    }
    let acc = 0;
    for (let s = 0; s < sumCount; s++) {
      let prod = 1;
      for (let t = 0; t < inputs.length; t++) prod *= data[t][offs[t]];
      acc += prod;
      for (let d = order.length - 1; d >= nOut; d--) {
        idx[d]++;
        for (let t = 0; t < inputs.length; t++) offs[t] += strides[t][d];
        if (idx[d] < sizes[d]) break;
        for (let t = 0; t < inputs.length; t++) offs[t] -= strides[t][d] * sizes[d];
        idx[d] = 0;
      }
    }
    result[o] = acc;
  }
  const y = out.data;
  if (y instanceof BigInt64Array || y instanceof BigUint64Array) {
    for (let i = 0; i < outCount; i++) y[i] = BigInt(Math.trunc(result[i]));
  } else {
    const yn = y as Exclude<TypedArray, BigInt64Array | BigUint64Array>;
    for (let i = 0; i < outCount; i++) yn[i] = result[i];
  }
}

/** Copies `src` (dims) into a new array with axes reordered by `perm`. */
function permute(src: Float32Array, dims: readonly number[], perm: number[]): Float32Array {
  const rank = dims.length;
  if (perm.every((p, i) => p === i)) return src;
  const outDims = perm.map((p) => dims[p]);
  const inStrides = new Array<number>(rank);
  let acc = 1;
  for (let d = rank - 1; d >= 0; d--) {
    inStrides[d] = acc;
    acc *= dims[d];
  }
  const st = perm.map((p) => inStrides[p]);
  const out = new Float32Array(src.length);
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = src[off];
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      off += st[d];
      if (idx[d] < outDims[d]) break;
      off -= st[d] * outDims[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** Two float32 operands forming a batched matrix product: one native GEMM. Returns false if not applicable. */
function asBatchedGemm(ctx: OpContext, p: Parsed, a: Tensor, b: Tensor, out: Tensor): boolean {
  const [ta, tb] = p.terms;
  if (new Set(ta).size !== ta.length || new Set(tb).size !== tb.length) return false;
  const inA = (l: number) => ta.includes(l);
  const inB = (l: number) => tb.includes(l);
  const inOut = (l: number) => p.output.includes(l);
  const batch: number[] = [];
  const m: number[] = [];
  const n: number[] = [];
  const k: number[] = [];
  for (const l of p.sizes.keys()) {
    if (inA(l) && inB(l)) {
      if (a.dims[ta.indexOf(l)] !== b.dims[tb.indexOf(l)]) return false;
      (inOut(l) ? batch : k).push(l);
    } else if (inA(l) && inOut(l)) m.push(l);
    else if (inB(l) && inOut(l)) n.push(l);
    else return false; // summed over one operand only
  }
  const size = (ls: number[]) => product(ls.map((l) => p.sizes.get(l)!));
  const B = size(batch);
  const M = size(m);
  const N = size(n);
  const K = size(k);
  const ad = permute(a.data as Float32Array, a.dims, [...batch, ...m, ...k].map((l) => ta.indexOf(l)));
  const bd = permute(b.data as Float32Array, b.dims, [...batch, ...k, ...n].map((l) => tb.indexOf(l)));
  const tmpLabels = [...batch, ...m, ...n];
  const direct = tmpLabels.every((l, i) => p.output[i] === l);
  const c = direct ? (out.data as Float32Array) : new Float32Array(B * M * N);
  const run = ctx.native.gemm(ad, bd, c, { M, N, K, batch: B, strideA: M * K, strideB: K * N, strideC: M * N }, nativeOptions(ctx));
  if (!direct) {
    const res = permute(
      c,
      tmpLabels.map((l) => p.sizes.get(l)!),
      p.output.map((l) => tmpLabels.indexOf(l)),
    );
    (out.data as Float32Array).set(res);
  }
  ctx.report({ kernel: `einsum+${run.kernel}`, isa: run.isa, flops: 2 * B * M * N * K, nativeNs: run.ns });
  return true;
}

function einsum(ctx: OpContext, inputs: Parameters<OpEntry['impl']>[1]): Tensor {
  const equation = ctx.attrs.string('equation');
  if (equation === undefined) throw new OpError('Einsum: the equation attribute is required');
  const ts = inputs.map((_, i) => tensorInput(inputs, i));
  if (ts.length === 0) throw new OpError('Einsum: at least one input is required');
  for (const t of ts) {
    if (t.dtype !== ts[0].dtype) throw new OpError('Einsum: all inputs must have the same element type');
    if (t.dtype === 'string' || t.dtype === 'bool') throw new OpError(`Einsum: element type ${t.dtype} is not supported`);
  }
  const p = parse(equation, ts);
  const out = new Tensor(
    ts[0].dtype,
    p.output.map((l) => p.sizes.get(l)!),
  );
  if (ts.length === 2 && nativeFloat(ts[0]) && asBatchedGemm(ctx, p, ts[0], ts[1], out)) {
    roundReduced(out);
    return out;
  }
  generic(p, ts, out);
  roundReduced(out);
  ctx.report({ kernel: `ts_einsum_${ts[0].dtype}`, isa: 'scalar' });
  return out;
}

export const ops: OpEntry[] = [{ op: 'Einsum', domain: '', since: 12, impl: (ctx, inputs) => [einsum(ctx, inputs)] }];
