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
  pool: BufferPool;
  array: Float32Array;
  /** Graph values using the buffer now. */
  users: number;
  /** Lent and not back yet. */
  out: boolean;
}

/**
 * Where a pool's buffer keeps its bookkeeping: a property of its memory (the ArrayBuffer every
 * view shares), which costs far less to find per op than a Map lookup.
 */
const LENT = Symbol('armml.lent');
type Tagged = ArrayBufferLike & { [LENT]?: Lent };

export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  /** Buffers lent this run (some may be back already). */
  private readonly lent: Lent[] = [];
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
    const memory = out.buffer as Tagged;
    let e = memory[LENT];
    if (!e) {
      e = { pool: this, array: out, users: 0, out: true };
      memory[LENT] = e;
    }
    e.users = 0;
    e.out = true;
    this.lent.push(e);
    return out;
  }

  private entry(memory: ArrayBufferLike): Lent | undefined {
    const e = (memory as Tagged)[LENT];
    return e && e.out && e.pool === this ? e : undefined;
  }

  /** One more graph value uses `memory` (ignored unless the pool lent it). */
  retain(memory: ArrayBufferLike): void {
    const e = this.entry(memory);
    if (e) e.users++;
  }

  /** A graph value using `memory` is gone; when it was the last, the buffer is free to lend again. */
  release(memory: ArrayBufferLike): void {
    const e = this.entry(memory);
    if (e && --e.users <= 0) {
      e.out = false;
      this.giveBack(e.array);
    }
  }

  /** Makes the run's buffers available again, except those whose memory `keep` still uses. */
  reclaim(keep: ReadonlySet<ArrayBufferLike>): void {
    for (const e of this.lent) {
      if (!e.out) continue;
      e.out = false;
      if (keep.has(e.array.buffer)) {
        // The caller holds it now: it leaves the pool for good.
        delete (e.array.buffer as Tagged)[LENT];
      } else {
        this.giveBack(e.array);
      }
    }
    this.lent.length = 0;
  }

  private giveBack(buf: Float32Array): void {
    const bytes = 4 * buf.length;
    if (this.pooledBytes + bytes > MAX_POOLED_BYTES) {
      delete (buf.buffer as Tagged)[LENT];
      return;
    }
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
