// Rotary position embedding: ONNX RotaryEmbedding (opset 23) and the com.microsoft contrib op.
import { Tensor } from '../../tensor.js';
import { OpError, optionalTensor, tensorInput, type OpContext, type OpEntry, type Value } from '../types.js';
import { roundNarrow } from '../util.js';

interface RotaryArgs {
  x: Tensor;
  cos: Tensor;
  sin: Tensor;
  /** Cache row for (batch, position), or undefined when the caches are already [B, S, dim/2]. */
  cacheRow: ((b: number, s: number) => number) | undefined;
  interleaved: boolean;
  rotaryDim: number;
  numHeads: number;
}

function floatData(t: Tensor, what: string): Float32Array {
  if (t.dtype === 'float32' || t.dtype === 'float16' || t.dtype === 'bfloat16') return t.data as Float32Array;
  throw new OpError(`RotaryEmbedding: ${what} must be float32/float16/bfloat16, got ${t.dtype}`);
}

/** Rotates the first rotaryDim values of every head; input 3-D [B, S, H*D] or 4-D [B, H, S, D]. */
function rotate(op: string, a: RotaryArgs): Tensor {
  const { x, interleaved } = a;
  const xd = floatData(x, 'input');
  let batch: number, seq: number, heads: number, headSize: number, strideB: number, strideH: number, strideS: number;
  if (x.rank === 4) {
    [batch, heads, seq, headSize] = x.dims;
    strideB = heads * seq * headSize;
    strideH = seq * headSize;
    strideS = headSize;
  } else if (x.rank === 3) {
    [batch, seq] = x.dims;
    const hidden = x.dims[2];
    heads = a.numHeads;
    if (!heads) {
      // Without num_heads, the cache width tells the head size when the rotation covers it.
      headSize = a.rotaryDim || a.cos.dims[a.cos.rank - 1] * 2;
      heads = hidden / headSize;
    } else {
      headSize = hidden / heads;
    }
    if (!Number.isInteger(heads) || !Number.isInteger(headSize))
      throw new OpError(`${op}: hidden size ${hidden} does not split into heads`);
    strideB = seq * hidden;
    strideH = headSize;
    strideS = hidden;
  } else {
    throw new OpError(`${op}: input must be 3-D or 4-D, got [${x.dims.join(',')}]`);
  }
  const rotaryDim = a.rotaryDim || headSize;
  if (rotaryDim > headSize || rotaryDim % 2 !== 0)
    throw new OpError(`${op}: rotary_embedding_dim ${rotaryDim} must be even and at most the head size ${headSize}`);
  const half = rotaryDim / 2;
  const cd = floatData(a.cos, 'cos_cache');
  const sd = floatData(a.sin, 'sin_cache');
  if (a.cos.dims[a.cos.rank - 1] !== half || a.sin.dims[a.sin.rank - 1] !== half) {
    throw new OpError(`${op}: cos/sin caches have last dim ${a.cos.dims[a.cos.rank - 1]}, expected rotary_dim/2 = ${half}`);
  }
  const rows = a.cos.size / half;
  if (!a.cacheRow && (a.cos.rank !== 3 || a.cos.dims[0] !== batch || a.cos.dims[1] !== seq)) {
    throw new OpError(`${op}: without position_ids the caches must be [${batch},${seq},${half}], got [${a.cos.dims.join(',')}]`);
  }
  const out = new Tensor(x.dtype, x.dims, Float32Array.from(xd));
  const od = out.data as Float32Array;
  for (let b = 0; b < batch; b++) {
    for (let s = 0; s < seq; s++) {
      const row = a.cacheRow ? a.cacheRow(b, s) : b * seq + s;
      if (!(row >= 0 && row < rows)) throw new OpError(`${op}: position ${row} is outside the cache of ${rows} rows`);
      const co = row * half;
      for (let h = 0; h < heads; h++) {
        const base = b * strideB + h * strideH + s * strideS;
        for (let j = 0; j < half; j++) {
          const i1 = interleaved ? base + 2 * j : base + j;
          const i2 = interleaved ? i1 + 1 : base + j + half;
          const x1 = xd[i1];
          const x2 = xd[i2];
          const c = cd[co + j];
          const sn = sd[co + j];
          od[i1] = c * x1 - sn * x2;
          od[i2] = sn * x1 + c * x2;
        }
      }
    }
  }
  // x is float32, float16 or bfloat16 (floatData); the narrow types are rounded back.
  return roundNarrow(out);
}

/** Both flavours: the shared attributes (interleaved, rotary_embedding_dim, num_heads), the rotation, the report. */
function rotateWithAttrs(ctx: OpContext, x: Tensor, cos: Tensor, sin: Tensor, cacheRow: RotaryArgs['cacheRow']): Value[] {
  const out = rotate('RotaryEmbedding', {
    x,
    cos,
    sin,
    cacheRow,
    interleaved: ctx.attrs.int('interleaved', 0) !== 0,
    rotaryDim: ctx.attrs.int('rotary_embedding_dim', 0),
    numHeads: ctx.attrs.int('num_heads', 0),
  });
  ctx.report({ kernel: `ts_rotary_${x.dtype}`, isa: 'scalar', flops: 3 * x.size });
  return [out];
}

function rotaryOnnx(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'X');
  const cos = tensorInput(inputs, 1, 'cos_cache');
  const sin = tensorInput(inputs, 2, 'sin_cache');
  const pos = optionalTensor(inputs, 3);
  const seq = x.rank === 4 ? x.dims[2] : x.dims[1];
  let cacheRow: RotaryArgs['cacheRow'];
  if (pos) {
    const p = pos.toNumbers();
    if (pos.size !== x.dims[0] * seq)
      throw new OpError(`RotaryEmbedding: position_ids has shape [${pos.dims.join(',')}], expected [${x.dims[0]},${seq}]`);
    cacheRow = (b, s) => p[b * seq + s];
  }
  return rotateWithAttrs(ctx, x, cos, sin, cacheRow);
}

/** com.microsoft RotaryEmbedding: inputs (input, position_ids, cos_cache, sin_cache); position_ids [B, S] or a scalar start offset. */
function rotaryContrib(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = tensorInput(inputs, 0, 'input');
  const pos = tensorInput(inputs, 1, 'position_ids');
  const cos = tensorInput(inputs, 2, 'cos_cache');
  const sin = tensorInput(inputs, 3, 'sin_cache');
  const seq = x.rank === 4 ? x.dims[2] : x.dims[1];
  const p = pos.toNumbers();
  const cacheRow = pos.size === 1 ? (_b: number, s: number) => p[0] + s : (b: number, s: number) => p[b * seq + s];
  if (pos.size !== 1 && pos.size !== x.dims[0] * seq)
    throw new OpError(`RotaryEmbedding: position_ids has shape [${pos.dims.join(',')}], expected [${x.dims[0]},${seq}] or [1]`);
  return rotateWithAttrs(ctx, x, cos, sin, cacheRow);
}

export const ops: OpEntry[] = [
  { op: 'RotaryEmbedding', domain: '', since: 23, impl: rotaryOnnx },
  { op: 'RotaryEmbedding', domain: 'com.microsoft', since: 1, impl: rotaryContrib },
];
