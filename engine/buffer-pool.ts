// Recycles the float32 buffers of intermediate tensors, within a run and from one run of a plan
// to the next. Allocating fresh typed arrays for every op costs page faults and garbage collection
// that can exceed the kernels' own time on small models, and handing every op a buffer no other op
// touched this run streams the whole model's activations through the caches.
//
// The executor counts the graph values that use each lent buffer (retain) and gives a value up
// after its last consumer ran (release); a buffer no value uses any more is lent again at once.
// Buffers never counted (an op's own scratch) come back only after the run, like every buffer
// still lent then, except those reachable from the run's outputs: nothing a caller holds is ever
// reused, and a buffer is never shared by two live values.

/** Bytes the pool may hold between runs; beyond this, buffers are left to the garbage collector. */
const MAX_POOLED_BYTES = 1 << 30;

interface Lent {
  array: Float32Array;
  /** Graph values using the buffer now. */
  users: number;
}

export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  /** Buffers lent and not back yet, by their memory. */
  private readonly lent = new Map<ArrayBufferLike, Lent>();
  private pooledBytes = 0;

  /**
   * A Float32Array of n elements, reused when one is free: zero-filled, unless the caller writes
   * every element itself (`zeroed` false saves a pass over memory).
   */
  take(n: number, zeroed = true): Float32Array {
    const reused = this.free.get(n)?.pop();
    let out: Float32Array;
    if (reused) {
      this.pooledBytes -= 4 * n;
      if (zeroed) reused.fill(0);
      out = reused;
    } else {
      out = new Float32Array(n);
    }
    this.lent.set(out.buffer, { array: out, users: 0 });
    return out;
  }

  /** One more graph value uses `memory` (ignored unless the pool lent it). */
  retain(memory: ArrayBufferLike): void {
    const e = this.lent.get(memory);
    if (e) e.users++;
  }

  /** A graph value using `memory` is gone; when it was the last, the buffer is free to lend again. */
  release(memory: ArrayBufferLike): void {
    const e = this.lent.get(memory);
    if (e && --e.users <= 0) {
      this.lent.delete(memory);
      this.giveBack(e.array);
    }
  }

  /** Makes the run's buffers available again, except those whose memory `keep` still uses. */
  reclaim(keep: ReadonlySet<ArrayBufferLike>): void {
    for (const [memory, e] of this.lent) if (!keep.has(memory)) this.giveBack(e.array);
    this.lent.clear();
  }

  private giveBack(buf: Float32Array): void {
    const bytes = 4 * buf.length;
    if (this.pooledBytes + bytes > MAX_POOLED_BYTES) return;
    let list = this.free.get(buf.length);
    if (!list) {
      list = [];
      this.free.set(buf.length, list);
    }
    list.push(buf);
    this.pooledBytes += bytes;
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
