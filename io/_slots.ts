/**
 * The slot table shared by a source and the workers that reap it: one slot
 * per operation in flight, holding its id, tag and read buffer, all in one
 * SharedArrayBuffer so every thread sees the bytes the kernel wrote.
 *
 * Only the submitting thread takes slots; any worker gives them back.
 *
 * @module
 */

/**
 * Where an operation's fields live in its slot's float64 record; `reaper`
 * and `res` are written by the worker that reaped its completion.
 */
const M = {
  id: 0,
  tag: 1,
  op: 2,
  fd: 3,
  offset: 4,
  length: 5,
  reaper: 6,
  res: 7,
} as const;
const META = 8;
/** Slot state bits; 0 is free. */
const S = {
  /** Submitted: the kernel owns the operation. */
  InFlight: 1,
  /** A cancellation was requested. */
  Cancel: 2,
  /** A worker reaped the completion and runs its handler. */
  Reaped: 4,
  /** Its reaper died: the completion waits for the unit given back. */
  Orphan: 8,
} as const;
/** Int32 header words. */
const H = {
  /** Operations whose handler has finished, mod 2^32 (futex word). */
  handled: 0,
  /** Units that found no completion to reap (io_uring relays, see uring_worker.ts). */
  empty: 1,
  /** Units written by workers to recruit a peer. */
  relays: 2,
} as const;
const HEADER = 16;
const ALIGN = 4096;

/** An operation a source can submit. */
export type OpName = "read" | "poll" | "timeout" | "nop";
/** Operation codes stored in a slot. */
const Op: Record<OpName, number> = { read: 1, poll: 2, timeout: 3, nop: 4 };
const NAMES = Object.fromEntries(
  Object.entries(Op).map(([k, v]) => [v, k]),
) as Record<number, OpName>;

/** Everything a thread needs to attach to a slot table; posted to workers. */
export interface SlotsInit {
  /** The shared memory. */
  sab: SharedArrayBuffer;
  /** Number of slots. */
  count: number;
  /** Bytes of read buffer per slot. */
  blockSize: number;
  /** Byte offset of slot 0's buffer in `sab`, 4096-aligned in memory. */
  bufferStart: number;
  /** Distance between two slots' buffers. */
  stride: number;
}

/** What a slot says about the operation it holds. */
export interface SlotOp {
  /** The id given at submit. */
  id: number;
  /** The caller's tag. */
  tag: number;
  /** The operation. */
  op: OpName;
  /** The file descriptor. */
  fd: number;
  /** File offset (reads). */
  offset: number;
  /** Requested length (reads) or poll events. */
  length: number;
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** A thread's views on a slot table. */
export class Slots {
  readonly init: SlotsInit;
  readonly #header: Int32Array;
  readonly #state: Int32Array;
  readonly #meta: Float64Array;
  readonly #base: bigint;
  #cursor = 0;

  private constructor(init: SlotsInit) {
    this.init = init;
    const { sab, count } = init;
    this.#header = new Int32Array(sab, 0, HEADER);
    this.#state = new Int32Array(sab, HEADER * 4, count);
    this.#meta = new Float64Array(
      sab,
      alignUp((HEADER + count) * 4, 8),
      count * META,
    );
    this.#base = BigInt(
      Deno.UnsafePointer.value(Deno.UnsafePointer.of(new Uint8Array(sab))),
    );
  }

  /**
   * Allocates a table of `count` slots with `blockSize`-byte buffers, each
   * 4096-aligned in memory (as O_DIRECT needs).
   */
  static create(count: number, blockSize: number): Slots {
    const stride = alignUp(blockSize, ALIGN);
    const metaEnd = alignUp((HEADER + count) * 4, 8) + count * META * 8;
    // Over-allocate by one page so the buffers can start on a page boundary.
    const sab = new SharedArrayBuffer(metaEnd + ALIGN + stride * count);
    const base = Deno.UnsafePointer.value(
      Deno.UnsafePointer.of(new Uint8Array(sab)),
    );
    const addr = BigInt(base) + BigInt(metaEnd);
    const pad = Number((BigInt(ALIGN) - addr % BigInt(ALIGN)) % BigInt(ALIGN));
    return new Slots({
      sab,
      count,
      blockSize,
      bufferStart: metaEnd + pad,
      stride,
    });
  }

  /** Attaches to a table made by {@linkcode Slots.create} in another thread. */
  static attach(init: SlotsInit): Slots {
    return new Slots(init);
  }

  /** Number of slots. */
  get count(): number {
    return this.init.count;
  }

  /** Handler completions so far, mod 2^32. */
  get handled(): number {
    return Atomics.load(this.#header, H.handled) >>> 0;
  }

  /** Units that found nothing to reap, and units written to recruit a peer. */
  get relayStats(): { empty: number; relays: number } {
    return {
      empty: Atomics.load(this.#header, H.empty),
      relays: Atomics.load(this.#header, H.relays),
    };
  }

  /** Takes a free slot and records `op` in it; -1 when none is free. */
  acquire(op: SlotOp): number {
    const n = this.init.count;
    for (let i = 0; i < n; i++) {
      const s = (this.#cursor + i) % n;
      if (Atomics.compareExchange(this.#state, s, 0, S.InFlight) !== 0) {
        continue;
      }
      this.#cursor = (s + 1) % n;
      const m = s * META;
      this.#meta[m + M.id] = op.id;
      this.#meta[m + M.tag] = op.tag;
      this.#meta[m + M.op] = Op[op.op];
      this.#meta[m + M.fd] = op.fd;
      this.#meta[m + M.offset] = op.offset;
      this.#meta[m + M.length] = op.length;
      return s;
    }
    return -1;
  }

  /** Gives back a slot whose operation never reached the kernel. */
  abandon(slot: number): void {
    Atomics.store(this.#state, slot, 0);
  }

  /**
   * Gives back a slot after its completion was handled and counts it; wakes
   * whoever waits in {@linkcode Slots.waitHandled}.
   */
  release(slot: number): void {
    Atomics.store(this.#state, slot, 0);
    Atomics.add(this.#header, H.handled, 1);
    Atomics.notify(this.#header, H.handled);
  }

  /** Counts a unit that found no completion. */
  countEmpty(): void {
    Atomics.add(this.#header, H.empty, 1);
  }

  /** Counts a unit written to recruit a peer. */
  countRelay(): void {
    Atomics.add(this.#header, H.relays, 1);
  }

  /** Whether `slot` holds an operation. */
  busy(slot: number): boolean {
    return Atomics.load(this.#state, slot) !== 0;
  }

  /** Notes that a cancellation of `slot`'s operation was requested. */
  markCancelled(slot: number): void {
    for (;;) {
      const v = Atomics.load(this.#state, slot);
      if (v !== S.InFlight) return; // Free, cancelled or completed already.
      if (Atomics.compareExchange(this.#state, slot, v, v | S.Cancel) === v) {
        return;
      }
    }
  }

  /** Whether a cancellation of `slot`'s operation was requested. */
  cancelled(slot: number): boolean {
    return (Atomics.load(this.#state, slot) & S.Cancel) !== 0;
  }

  /**
   * Worker side: records that worker `worker` reaped `slot`'s completion
   * with result `res`, so that if it dies before releasing the slot the
   * completion can be handed to the unit given back for it.
   */
  markReaped(slot: number, worker: number, res: number): void {
    const m = slot * META;
    this.#meta[m + M.reaper] = worker;
    this.#meta[m + M.res] = res;
    Atomics.or(this.#state, slot, S.Reaped);
  }

  /**
   * Pool side, on a death: marks the completions worker `worker` had
   * reaped and not released as orphans; returns how many.
   */
  orphanReapedBy(worker: number): number {
    let n = 0;
    for (let s = 0; s < this.init.count; s++) {
      const v = Atomics.load(this.#state, s);
      if ((v & (S.Reaped | S.Orphan)) !== S.Reaped) continue;
      if (this.#meta[s * META + M.reaper] !== worker) continue;
      Atomics.or(this.#state, s, S.Orphan);
      n++;
    }
    return n;
  }

  /**
   * Worker side, for a unit given back after a death: takes an orphaned
   * completion if there is one (instead of reaping another unit's).
   */
  takeOrphan(worker: number): { slot: number; res: number } | null {
    for (let s = 0; s < this.init.count; s++) {
      const v = Atomics.load(this.#state, s);
      if (!(v & S.Orphan)) continue;
      if (
        Atomics.compareExchange(this.#state, s, v, v & ~S.Orphan) !== v
      ) continue;
      const m = s * META;
      this.#meta[m + M.reaper] = worker;
      return { slot: s, res: this.#meta[m + M.res] };
    }
    return null;
  }

  /** The operation recorded in `slot`. */
  op(slot: number): SlotOp {
    const m = slot * META;
    return {
      id: this.#meta[m + M.id],
      tag: this.#meta[m + M.tag],
      op: NAMES[this.#meta[m + M.op]],
      fd: this.#meta[m + M.fd],
      offset: this.#meta[m + M.offset],
      length: this.#meta[m + M.length],
    };
  }

  /** The first `length` bytes of `slot`'s buffer. */
  bytes(slot: number, length: number): Uint8Array {
    const { sab, bufferStart, stride } = this.init;
    return new Uint8Array(sab, bufferStart + slot * stride, length);
  }

  /** The memory address of `slot`'s buffer, for the kernel. */
  address(slot: number): bigint {
    return this.#base + BigInt(this.init.bufferStart + slot * this.init.stride);
  }

  /**
   * Resolves once the handled count moves away from `seen` (mod 2^32), or
   * `timeoutMs` passes.
   */
  async waitHandled(seen: number, timeoutMs = Infinity): Promise<void> {
    const r = Atomics.waitAsync(this.#header, H.handled, seen | 0, timeoutMs);
    if (r.async) await r.value;
  }
}
