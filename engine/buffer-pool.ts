// Recycles the float32 buffers of intermediate tensors from one run of a plan to the next.
// Allocating fresh typed arrays for every op costs page faults and garbage collection that
// can exceed the kernels' own time on small models. Buffers lent during a run are reclaimed
// only after the run, except those reachable from its outputs, so nothing a caller holds
// is ever reused, and a buffer is never shared by two live tensors within a run.

/** Bytes the pool may hold between runs; beyond this, buffers are left to the garbage collector. */
const MAX_POOLED_BYTES = 1 << 30;

export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private lent: Float32Array[] = [];
  private pooledBytes = 0;

  /**
   * A Float32Array of n elements, reused when one is free: zero-filled, unless the caller writes
   * every element itself (`zeroed` false saves a pass over memory).
   */
  take(n: number, zeroed = true): Float32Array {
    const list = this.free.get(n);
    const reused = list?.pop();
    let out: Float32Array;
    if (reused) {
      this.pooledBytes -= reused.byteLength;
      if (zeroed) reused.fill(0);
      out = reused;
    } else {
      out = new Float32Array(n);
    }
    this.lent.push(out);
    return out;
  }

  /** Makes the run's buffers available again, except those whose memory `keep` still uses. */
  reclaim(keep: ReadonlySet<ArrayBufferLike>): void {
    for (const buf of this.lent) {
      if (keep.has(buf.buffer) || this.pooledBytes + buf.byteLength > MAX_POOLED_BYTES) continue;
      const list = this.free.get(buf.length) ?? [];
      list.push(buf);
      this.free.set(buf.length, list);
      this.pooledBytes += buf.byteLength;
    }
    this.lent = [];
  }
}

let active: BufferPool | undefined;

/** The pool of the run in progress, if any (consulted by `allocate`). */
export function activePool(): BufferPool | undefined {
  return active;
}

/** Runs `body` with `pool` active; nested calls (subgraphs) keep the outer pool. */
export function withPool<T>(pool: BufferPool, body: () => T): T {
  if (active) return body();
  active = pool;
  try {
    return body();
  } finally {
    active = undefined;
  }
}
