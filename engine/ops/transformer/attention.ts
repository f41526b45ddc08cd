// ONNX Attention (opset 23, and 24 with nonpad_kv_seqlen): scaled dot-product attention with
// grouped KV heads, KV cache, boolean/additive masks, causal masking and softcap.
import { Tensor, roundToFloat16, roundToBfloat16, type DType } from '../../tensor.js';
import { OpError, optionalTensor, tensorInput, type OpContext, type OpEntry, type Value } from '../types.js';

/** Where element (b, h, s, 0) of a Q/K/V tensor starts, for 3-D [B, S, H*D] and 4-D [B, H, S, D] inputs. */
interface HeadView {
  data: Float32Array;
  heads: number;
  seq: number;
  headSize: number;
  strideB: number;
  strideH: number;
  strideS: number;
}

function floatData(t: Tensor, what: string): Float32Array {
  if (t.dtype === 'float32' || t.dtype === 'float16' || t.dtype === 'bfloat16') return t.data as Float32Array;
  if (t.dtype === 'float64') return Float32Array.from(t.data as Float64Array);
  throw new OpError(`Attention: ${what} must be a float tensor, got ${t.dtype}`);
}

function headView(t: Tensor, heads: number | undefined, what: string): HeadView {
  const data = floatData(t, what);
  if (t.rank === 4) {
    const [, h, s, d] = t.dims;
    return { data, heads: h, seq: s, headSize: d, strideB: h * s * d, strideH: s * d, strideS: d };
  }
  if (t.rank !== 3) throw new OpError(`Attention: ${what} must be 3-D or 4-D, got [${t.dims.join(',')}]`);
  if (!heads) throw new OpError(`Attention: 3-D ${what} needs the q_num_heads and kv_num_heads attributes`);
  const [, s, hidden] = t.dims;
  if (hidden % heads !== 0) throw new OpError(`Attention: ${what} hidden size ${hidden} is not divisible by ${heads} heads`);
  const d = hidden / heads;
  return { data, heads, seq: s, headSize: d, strideB: s * hidden, strideH: d, strideS: hidden };
}

/** Concatenates a past cache [B, H, P, D] with the new K or V along the sequence axis into [B, H, P+S, D]. */
function present(past: Tensor | undefined, cur: HeadView, batch: number, what: string): Float32Array {
  const { heads, seq, headSize: d } = cur;
  const p = past ? past.dims[2] : 0;
  if (past && (past.rank !== 4 || past.dims[0] !== batch || past.dims[1] !== heads || past.dims[3] !== d)) {
    throw new OpError(`Attention: ${what} has shape [${past.dims.join(',')}], expected [${batch},${heads},*,${d}]`);
  }
  const pd = past ? floatData(past, what) : undefined;
  const total = p + seq;
  const out = new Float32Array(batch * heads * total * d);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const base = (b * heads + h) * total * d;
      if (pd) out.set(pd.subarray((b * heads + h) * p * d, (b * heads + h + 1) * p * d), base);
      for (let s = 0; s < seq; s++) {
        const src = b * cur.strideB + h * cur.strideH + s * cur.strideS;
        out.set(cur.data.subarray(src, src + d), base + (p + s) * d);
      }
    }
  }
  return out;
}

/** An attention mask broadcast to [B, H, Sq, *]: per (b, h, i) the offset of its row, last-dim length `cols`. */
interface MaskView {
  data: ArrayLike<number>;
  isBool: boolean;
  cols: number;
  strides: [number, number, number];
}

function maskView(mask: Tensor, batch: number, heads: number, sq: number): MaskView {
  if (mask.rank < 1 || mask.rank > 4) throw new OpError(`Attention: attn_mask must have rank 1..4, got [${mask.dims.join(',')}]`);
  const dims = [1, 1, 1, 1].slice(0, 4 - mask.rank).concat(mask.dims as number[]);
  const want = [batch, heads, sq];
  const strides: [number, number, number] = [0, 0, 0];
  let acc = dims[3];
  for (let a = 2; a >= 0; a--) {
    if (dims[a] !== 1 && dims[a] !== want[a])
      throw new OpError(`Attention: attn_mask [${mask.dims.join(',')}] cannot broadcast to [${batch},${heads},${sq},*]`);
    strides[a] = dims[a] === 1 ? 0 : acc;
    acc *= dims[a];
  }
  if (mask.dtype === 'bool') return { data: mask.data as Uint8Array, isBool: true, cols: dims[3], strides };
  return { data: floatData(mask, 'attn_mask'), isBool: false, cols: dims[3], strides };
}

function roundTo(dtype: DType, data: Float32Array): void {
  if (dtype === 'float16') for (let i = 0; i < data.length; i++) data[i] = roundToFloat16(data[i]);
  else if (dtype === 'bfloat16') for (let i = 0; i < data.length; i++) data[i] = roundToBfloat16(data[i]);
}

function attention(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const qT = tensorInput(inputs, 0, 'Q');
  const kT = tensorInput(inputs, 1, 'K');
  const vT = tensorInput(inputs, 2, 'V');
  const maskT = optionalTensor(inputs, 3);
  const pastK = optionalTensor(inputs, 4);
  const pastV = optionalTensor(inputs, 5);
  const nonpadT = ctx.opset >= 24 ? optionalTensor(inputs, 6) : undefined;
  if (qT.rank !== kT.rank || qT.rank !== vT.rank) throw new OpError('Attention: Q, K and V must have the same rank');
  if ((pastK === undefined) !== (pastV === undefined)) throw new OpError('Attention: past_key and past_value must be given together');
  const q = headView(qT, ctx.attrs.int('q_num_heads'), 'Q');
  const k = headView(kT, ctx.attrs.int('kv_num_heads'), 'K');
  const v = headView(vT, ctx.attrs.int('kv_num_heads'), 'V');
  const batch = qT.dims[0];
  if (kT.dims[0] !== batch || vT.dims[0] !== batch) throw new OpError('Attention: Q, K and V batch sizes differ');
  if (k.headSize !== q.headSize) throw new OpError(`Attention: Q head size ${q.headSize} differs from K head size ${k.headSize}`);
  if (k.heads !== v.heads || k.seq !== v.seq) throw new OpError('Attention: K and V must have the same heads and sequence length');
  if (q.heads % k.heads !== 0) throw new OpError(`Attention: ${q.heads} query heads are not a multiple of ${k.heads} KV heads`);
  const group = q.heads / k.heads;
  const D = q.headSize;
  const Dv = v.headSize;
  const Sq = q.seq;
  const presentK = present(pastK, k, batch, 'past_key');
  const presentV = present(pastV, v, batch, 'past_value');
  const past = pastK ? pastK.dims[2] : 0;
  const total = past + k.seq;
  const scale = ctx.attrs.float('scale') ?? 1 / Math.sqrt(D);
  const softcap = ctx.attrs.float('softcap', 0);
  const causal = ctx.attrs.int('is_causal', 0) !== 0;
  const qkMode = ctx.attrs.int('qk_matmul_output_mode', 0);
  const wantQk = ctx.node.outputs.length > 3 && ctx.node.outputs[3] !== '';
  const mask = maskT ? maskView(maskT, batch, q.heads, Sq) : undefined;
  const nonpad = nonpadT?.toNumbers();
  if (nonpad && nonpad.length !== batch)
    throw new OpError(`Attention: nonpad_kv_seqlen has ${nonpad.length} values, expected batch ${batch}`);

  const y = new Float32Array(batch * q.heads * Sq * Dv);
  const qk = wantQk ? new Float32Array(batch * q.heads * Sq * total) : undefined;
  const scores = new Float64Array(total);
  const acc = new Float64Array(Dv);
  for (let b = 0; b < batch; b++) {
    // Causal masking is aligned to the last query: a query at i sees keys j <= i + offset.
    const offset = pastK ? past : nonpad ? nonpad[b] - Sq : 0;
    const valid = nonpad ? Math.min(nonpad[b], total) : total;
    for (let h = 0; h < q.heads; h++) {
      const kvh = Math.floor(h / group);
      const kBase = (b * k.heads + kvh) * total * D;
      const vBase = (b * k.heads + kvh) * total * Dv;
      for (let i = 0; i < Sq; i++) {
        const qo = b * q.strideB + h * q.strideH + i * q.strideS;
        const mo = mask ? b * mask.strides[0] + h * mask.strides[1] + i * mask.strides[2] : 0;
        const qkRow = ((b * q.heads + h) * Sq + i) * total;
        let max = -Infinity;
        for (let j = 0; j < total; j++) {
          const ko = kBase + j * D;
          let s = 0;
          for (let d = 0; d < D; d++) s += q.data[qo + d] * presentK[ko + d];
          s *= scale;
          if (softcap > 0) s = softcap * Math.tanh(s / softcap);
          if (qk && qkMode <= 1) qk[qkRow + j] = s;
          let bias = 0;
          if (mask) {
            if (j >= mask.cols) bias = -Infinity;
            else if (mask.isBool) bias = mask.data[mo + j] ? 0 : -Infinity;
            else bias = mask.data[mo + j];
          }
          if (causal && j > i + offset) bias = -Infinity;
          if (j >= valid) bias = -Infinity;
          s += bias;
          if (qk && qkMode === 2) qk[qkRow + j] = s;
          scores[j] = s;
          if (s > max) max = s;
        }
        // A row with every key masked has no defined softmax; it attends to nothing.
        let sum = 0;
        if (max !== -Infinity && !Number.isNaN(max)) {
          for (let j = 0; j < total; j++) {
            const e = Math.exp(scores[j] - max);
            scores[j] = e;
            sum += e;
          }
        } else {
          scores.fill(0);
        }
        const inv = sum > 0 ? 1 / sum : 0;
        acc.fill(0);
        for (let j = 0; j < total; j++) {
          const p = scores[j] * inv;
          if (qk && qkMode === 3) qk[qkRow + j] = p;
          if (p === 0) continue;
          const vo = vBase + j * Dv;
          for (let d = 0; d < Dv; d++) acc[d] += p * presentV[vo + d];
        }
        // Y is [B, H, Sq, Dv] for 4-D inputs and [B, Sq, H*Dv] for 3-D inputs.
        const yo = qT.rank === 4 ? ((b * q.heads + h) * Sq + i) * Dv : (b * Sq + i) * q.heads * Dv + h * Dv;
        for (let d = 0; d < Dv; d++) y[yo + d] = acc[d];
      }
    }
  }
  const dtype = qT.dtype;
  const yDims = qT.rank === 4 ? [batch, q.heads, Sq, Dv] : [batch, Sq, q.heads * Dv];
  const wrap = (dims: number[], data: Float32Array): Tensor => {
    const out = new Tensor(dtype, dims, dtype === 'float64' ? Float64Array.from(data) : data);
    if (dtype !== 'float64') roundTo(dtype, data);
    return out;
  };
  ctx.report({ kernel: `ts_attention_${dtype}`, isa: 'scalar', flops: 2 * batch * q.heads * Sq * total * (D + Dv) });
  const outs: Value[] = [wrap(yDims, y), wrap([batch, k.heads, total, D], presentK), wrap([batch, k.heads, total, Dv], presentV)];
  if (qk) outs.push(wrap([batch, q.heads, Sq, total], qk));
  return outs;
}

export const ops: OpEntry[] = [{ op: 'Attention', domain: '', since: 23, impl: attention }];
