// The data-movement engine behind most shape ops: every output element is read from an input
// offset that is a sum of per-axis contributions (an affine stride, or a lookup table for Pad
// and Gather-like maps). Transpose, Slice, Expand, Tile, Concat, Split, Pad and Depth/SpaceToDepth
// all reduce to one call, so the tight loops live here only once.
import { Tensor, stridesOf, type TensorData } from '../../tensor.js';
import { OpError } from '../types.js';

/** Element storage reinterpreted as 8/16/32-bit lanes, so one loop moves every element type (bits unchanged). */
export type LaneArray = Int32Array | Uint16Array | Uint8Array | string[];

export interface Lanes {
  view: LaneArray;
  /** Lanes per element: 2 for 8-byte types (float64, int64, uint64), else 1. */
  lanes: number;
}

export function laneView(data: TensorData): Lanes {
  if (Array.isArray(data)) return { view: data, lanes: 1 };
  const bytes = data.BYTES_PER_ELEMENT;
  if (bytes === 1) return { view: data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.length), lanes: 1 };
  if (bytes === 2) return { view: data instanceof Uint16Array ? data : new Uint16Array(data.buffer, data.byteOffset, data.length), lanes: 1 };
  const lanes = bytes / 4;
  return { view: data instanceof Int32Array ? data : new Int32Array(data.buffer, data.byteOffset, data.length * lanes), lanes };
}

/** One output axis: its length, the source offset step per index (or a table of source offsets), and the destination stride. */
export interface MoveAxis {
  n: number;
  src: number;
  table?: Int32Array;
  dst: number;
}

/** Below this many elements a plain loop beats subarray()+set(), which allocates a view. */
const BLOCK_COPY_MIN = 128;
/** Tile edge for the cache-blocked 2-D transpose path. */
const TILE = 32;

/**
 * Moves elements of `src` into `dst`: for every index tuple over `axes`,
 * dst[dstBase + sum(i_k * axes[k].dst)] = src[srcBase + sum(contribution_k(i_k))].
 * Offsets are in elements of the tensors (lanes are handled here).
 */
export function moveElements(src: TensorData, srcBase: number, dst: TensorData, dstBase: number, axes: readonly MoveAxis[]): void {
  if (axes.some((a) => a.n === 0)) return;
  const s = laneView(src);
  const d = laneView(dst);
  const L = s.lanes;
  // Length-1 axes only contribute their first offset.
  for (const a of axes) if (a.n === 1 && a.table) srcBase += a.table[0];
  let list: MoveAxis[] = axes.filter((a) => a.n !== 1).map((a) => ({ ...a }));
  if (L > 1) {
    list = list.map((a) => ({ n: a.n, src: a.src * L, table: a.table?.map((v) => v * L), dst: a.dst * L }));
    list.push({ n: L, src: 1, dst: 1 });
  }
  list = mergeAxes(list);
  const sv = s.view;
  const dv = d.view;
  if (list.length === 0) {
    dv[dstBase * L] = sv[srcBase * L];
    return;
  }
  if (!Array.isArray(sv) && !Array.isArray(dv) && list.length >= 2) {
    const last = list[list.length - 1];
    const k = list.findIndex((a, i) => i < list.length - 1 && !a.table && a.src === 1);
    if (k >= 0 && !last.table && last.dst === 1 && last.src !== 1 && last.n >= 4) {
      const tiled = list.filter((_, i) => i !== k);
      tiled.splice(tiled.length - 1, 0, list[k]);
      runTiled(sv, srcBase * L, dv, dstBase * L, tiled);
      return;
    }
  }
  runAxes(sv, srcBase * L, dv, dstBase * L, list);
}

/** Merges adjacent affine axes that step through both source and destination as one longer axis. */
function mergeAxes(axes: MoveAxis[]): MoveAxis[] {
  const out: MoveAxis[] = [];
  for (const a of axes) {
    const prev = out[out.length - 1];
    if (prev && !prev.table && !a.table && prev.src === a.src * a.n && prev.dst === a.dst * a.n) {
      out[out.length - 1] = { n: prev.n * a.n, src: a.src, dst: a.dst };
    } else out.push(a);
  }
  return out;
}

function contribution(a: MoveAxis, i: number): number {
  return a.table ? a.table[i] : a.src * i;
}

/** Odometer over all axes but the last, with the last axis as a tight inner loop. */
function runAxes(sv: LaneArray, srcBase: number, dv: LaneArray, dstBase: number, axes: MoveAxis[]): void {
  const outer = axes.slice(0, -1);
  const inner = axes[axes.length - 1];
  const n = inner.n;
  const ds = inner.dst;
  const ss = inner.src;
  const tab = inner.table;
  const blockCopy = !tab && ss === 1 && ds === 1 && n >= BLOCK_COPY_MIN && !Array.isArray(sv);
  const idx = new Array<number>(outer.length).fill(0);
  let so = srcBase + outer.reduce((acc, a) => acc + contribution(a, 0), 0);
  let dO = dstBase;
  const rows = outer.reduce((acc, a) => acc * a.n, 1);
  // A row read from the same source offset as the row before (nearest upsampling, Expand and
  // Tile repeats) equals it: copy it within the output at memcpy speed instead of gathering again.
  const reuse = ds === 1 && n >= 16 && !Array.isArray(dv);
  let prevSo = -1;
  let prevDO = 0;
  for (let r = 0; r < rows; r++) {
    if (reuse && so === prevSo) {
      (dv as Int32Array).copyWithin(dO, prevDO, prevDO + n);
    } else if (blockCopy) {
      (dv as Int32Array).set((sv as Int32Array).subarray(so, so + n), dO);
    } else if (tab) {
      for (let j = 0; j < n; j++) dv[dO + j * ds] = sv[so + tab[j]];
    } else if (ds === 1 && ss === 1) {
      for (let j = 0; j < n; j++) dv[dO + j] = sv[so + j];
    } else {
      for (let j = 0; j < n; j++) dv[dO + j * ds] = sv[so + j * ss];
    }
    prevSo = so;
    prevDO = dO;
    for (let k = outer.length - 1; k >= 0; k--) {
      const a = outer[k];
      const i = ++idx[k];
      if (i < a.n) {
        so += a.table ? a.table[i] - a.table[i - 1] : a.src;
        dO += a.dst;
        break;
      }
      so -= a.table ? a.table[i - 1] - a.table[0] : a.src * (i - 1);
      dO -= a.dst * (i - 1);
      idx[k] = 0;
    }
  }
}

/**
 * Transposes where the output's inner axis strides through the source: walks the last two axes
 * (source-contiguous, then destination-contiguous) in square tiles so both sides stay in cache.
 */
function runTiled(sv: Int32Array | Uint16Array | Uint8Array, srcBase: number, dv: Int32Array | Uint16Array | Uint8Array, dstBase: number, axes: MoveAxis[]): void {
  const rows = axes[axes.length - 2];
  const cols = axes[axes.length - 1];
  const outer = axes.slice(0, -2);
  const idx = new Array<number>(outer.length).fill(0);
  const count = outer.reduce((acc, a) => acc * a.n, 1);
  let so = srcBase + outer.reduce((acc, a) => acc + contribution(a, 0), 0);
  let dO = dstBase;
  const rs = rows.src;
  const rd = rows.dst;
  const cs = cols.src;
  for (let r = 0; r < count; r++) {
    for (let i0 = 0; i0 < rows.n; i0 += TILE) {
      const i1 = Math.min(rows.n, i0 + TILE);
      for (let j0 = 0; j0 < cols.n; j0 += TILE) {
        const j1 = Math.min(cols.n, j0 + TILE);
        for (let j = j0; j < j1; j++) {
          const sj = so + j * cs;
          const dj = dO + j;
          for (let i = i0; i < i1; i++) dv[dj + i * rd] = sv[sj + i * rs];
        }
      }
    }
    for (let k = outer.length - 1; k >= 0; k--) {
      const a = outer[k];
      const i = ++idx[k];
      if (i < a.n) {
        so += a.table ? a.table[i] - a.table[i - 1] : a.src;
        dO += a.dst;
        break;
      }
      so -= a.table ? a.table[i - 1] - a.table[0] : a.src * (i - 1);
      dO -= a.dst * (i - 1);
      idx[k] = 0;
    }
  }
}

/** A new tensor of `outDims` whose element at index (i_0..) is read through the per-axis source maps. */
export function gatherView(src: Tensor, outDims: readonly number[], srcAxes: readonly { src: number; table?: Int32Array }[], srcBase = 0): Tensor {
  const out = new Tensor(src.dtype, outDims);
  const ds = stridesOf(outDims);
  moveElements(
    src.data,
    srcBase,
    out.data,
    0,
    outDims.map((n, k) => ({ n, src: srcAxes[k].src, table: srcAxes[k].table, dst: ds[k] })),
  );
  return out;
}

/** Transposes a tensor by `perm` (output axis k is input axis perm[k]). */
export function transposeTensor(t: Tensor, perm: readonly number[]): Tensor {
  const ss = stridesOf(t.dims);
  return gatherView(
    t,
    perm.map((p) => t.dims[p]),
    perm.map((p) => ({ src: ss[p] })),
  );
}

/** Reads an integer-valued tensor (scalar or 1-D) as numbers, naming the input in errors. */
export function intValues(t: Tensor, what: string): number[] {
  if (t.dtype !== 'int64' && t.dtype !== 'int32' && t.dtype !== 'int16' && t.dtype !== 'int8' && t.dtype !== 'uint8' && t.dtype !== 'uint16' && t.dtype !== 'uint32' && t.dtype !== 'uint64') {
    throw new OpError(`${what} must be an integer tensor, got ${t.dtype}`);
  }
  if (t.rank > 1) throw new OpError(`${what} must be a scalar or 1-D tensor, got shape [${t.dims.join(',')}]`);
  return t.toNumbers();
}

/** One element of `t` in its own representation (number, bigint or string), for fills. */
export function elementOf(t: Tensor, i = 0): number | bigint | string {
  return (t.data as unknown as { [k: number]: number | bigint | string })[i];
}

/** Fills a tensor's storage with one element value. */
export function fillWith(t: Tensor, v: number | bigint | string): void {
  (t.data as unknown as { fill(x: unknown): void }).fill(v);
}

/** The fill value for `dtype` from a JS number (bigint for 64-bit integers, rounding handled by writeNumbers semantics). */
export function scalarFor(dtype: Tensor['dtype'], v: number): number | bigint | string {
  const t = Tensor.fromNumbers(dtype, [1], [v]);
  return elementOf(t);
}
