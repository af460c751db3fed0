/**
 * Byte rings over SharedArrayBuffers, carrying variable-length records.
 *
 * `TaskQueue` is single-producer (the pool's thread) and multi-consumer
 * (workers claim records with a CAS on the head); `ResultRing` is one per
 * worker, single-producer single-consumer, so a worker that dies mid-write
 * can never corrupt what others publish.
 *
 * Cursors are byte positions that only grow (mod 2^32); a record never
 * wraps: where one would not fit before the end, a pad record fills the gap.
 *
 * @module
 */

import type { Encoded } from "./_codec.ts";

const TAIL = 0;
const HEAD = 1;
const RECLAIM = 2;
const CONTROL_BYTES = 64;
/**
 * Header: 8 int32 fields (size, state or status, id, kind, length, source,
 * worker, redelivered), then num, time and seq as float64.
 */
const HEADER = 56;

/** Record states in the task queue. */
const State = { Free: 0, Queued: 1, Taken: 2, Cancelled: 3 } as const;
const PAD_KIND = -1;

/** A record as read from a ring (payload bytes copied out of shared memory). */
export interface RingRecord {
  /** Task id, or -1 for a source unit. */
  id: number;
  /** Result status (ok/error) for results; unused in the queue. */
  status: number;
  kind: number;
  num: number;
  bytes: Uint8Array;
  /** Source index, or -1. */
  source: number;
  /** The worker slot that took a source unit (-1 in the queue). */
  worker: number;
  /** Whether the source unit is a redelivery. */
  redelivered: boolean;
  /** Enqueue time (queue) or take time (results), epoch ms. */
  time: number;
  /** Sequence number within the source. */
  seq: number;
}

/** The fields a writer supplies. */
export type RecordFields = Omit<RingRecord, "kind" | "num" | "bytes">;

// 16-byte records leave any gap before the end at least 16 bytes: room
// for the pad record's size, state and kind words.
function align(n: number): number {
  return (n + 15) & ~15;
}

class Ring {
  readonly sab: SharedArrayBuffer;
  protected readonly ctl: Int32Array;
  protected readonly i32: Int32Array;
  protected readonly f64: Float64Array;
  protected readonly u8: Uint8Array;
  readonly capacity: number;

  constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.capacity = sab.byteLength - CONTROL_BYTES;
    this.ctl = new Int32Array(sab, 0, CONTROL_BYTES / 4);
    this.i32 = new Int32Array(sab, CONTROL_BYTES);
    this.f64 = new Float64Array(sab, CONTROL_BYTES);
    this.u8 = new Uint8Array(sab, CONTROL_BYTES);
  }

  protected static allocate(bytes: number): SharedArrayBuffer {
    let cap = 4096;
    while (cap < bytes) cap *= 2;
    return new SharedArrayBuffer(CONTROL_BYTES + cap);
  }

  /** The largest payload one record can hold. */
  get maxPayload(): number {
    return this.capacity / 4 - HEADER;
  }

  protected off(pos: number): number {
    return (pos >>> 0) & (this.capacity - 1);
  }

  /**
   * Writes a record at `tail` if there is room before `limit` (the oldest
   * byte still in use); returns the new tail, or -1 when full.
   */
  protected put(
    tail: number,
    limit: number,
    f: RecordFields,
    e: Encoded,
    state: number,
  ): number {
    const len = e.bytes?.length ?? 0;
    const size = align(HEADER + len);
    let off = this.off(tail);
    const used = (tail - limit) >>> 0;
    const toEnd = this.capacity - off;
    const need = size <= toEnd ? size : toEnd + size;
    if (used + need > this.capacity) return -1;
    if (size > toEnd) {
      const p = off >> 2;
      this.i32[p] = toEnd;
      this.i32[p + 1] = State.Free;
      this.i32[p + 3] = PAD_KIND;
      tail = (tail + toEnd) | 0;
      off = 0;
    }
    const p = off >> 2;
    const d = off >> 3;
    this.i32[p] = size;
    this.i32[p + 1] = state;
    this.i32[p + 2] = f.id;
    this.i32[p + 3] = e.kind;
    this.i32[p + 4] = len;
    this.i32[p + 5] = f.source;
    this.i32[p + 6] = f.worker;
    this.i32[p + 7] = f.redelivered ? 1 : 0;
    this.f64[d + 4] = e.num;
    this.f64[d + 5] = f.time;
    this.f64[d + 6] = f.seq;
    if (len) this.u8.set(e.bytes!, off + HEADER);
    return (tail + size) | 0;
  }

  /**
   * The record at `off`. Its bytes are a copy, or with `view` the ring's
   * own memory, valid only until the record's space is given back.
   */
  protected read(off: number, view = false): RingRecord {
    const p = off >> 2;
    const d = off >> 3;
    const len = this.i32[p + 4];
    const from = off + HEADER;
    return {
      id: this.i32[p + 2],
      status: this.i32[p + 1],
      kind: this.i32[p + 3],
      num: this.f64[d + 4],
      bytes: !len
        ? EMPTY
        : view
        ? this.u8.subarray(from, from + len)
        : this.u8.slice(from, from + len),
      source: this.i32[p + 5],
      worker: this.i32[p + 6],
      redelivered: this.i32[p + 7] === 1,
      time: this.f64[d + 5],
      seq: this.f64[d + 6],
    };
  }
}

const EMPTY = new Uint8Array(0);

/** What a worker's claim found. */
export type Claim = RingRecord | "cancelled" | null;

/** The shared task queue: the pool pushes, workers claim. */
export class TaskQueue extends Ring {
  /** Makes a queue with room for at least `bytes` of records. */
  static create(bytes: number): TaskQueue {
    return new TaskQueue(Ring.allocate(bytes));
  }

  /** Pool side: appends a queued record; returns its position, or -1 when full. */
  push(f: RecordFields, e: Encoded): number {
    const tail = this.ctl[TAIL];
    const next = this.put(tail, this.ctl[RECLAIM], f, e, State.Queued);
    if (next < 0) return -1;
    const pos = (next - align(HEADER + (e.bytes?.length ?? 0))) | 0;
    Atomics.store(this.ctl, TAIL, next);
    return pos;
  }

  /** Pool side: cancels the queued record of task `id` at `pos`; false if a worker took it. */
  cancel(pos: number, id: number): boolean {
    const p = this.off(pos) >> 2;
    if (this.i32[p + 2] !== id) return false;
    return Atomics.compareExchange(
      this.i32,
      p + 1,
      State.Queued,
      State.Cancelled,
    ) === State.Queued;
  }

  /** Pool side: frees space behind records workers are done with. */
  reclaim(): void {
    let r = this.ctl[RECLAIM];
    const head = Atomics.load(this.ctl, HEAD);
    while (r !== head) {
      const p = this.off(r) >> 2;
      if (Atomics.load(this.i32, p + 1) !== State.Free) break;
      r = (r + this.i32[p]) | 0;
    }
    this.ctl[RECLAIM] = r;
  }

  /**
   * Worker side: claims the oldest record. Call only after taking a unit
   * from the queue's eventfd, which guarantees a record is published.
   */
  claim(): Claim {
    for (;;) {
      const head = Atomics.load(this.ctl, HEAD);
      if (head === Atomics.load(this.ctl, TAIL)) return null;
      const off = this.off(head);
      const p = off >> 2;
      const size = this.i32[p];
      if (
        Atomics.compareExchange(this.ctl, HEAD, head, (head + size) | 0) !==
          head
      ) continue;
      if (this.i32[p + 3] === PAD_KIND) continue;
      if (
        Atomics.compareExchange(this.i32, p + 1, State.Queued, State.Taken) !==
          State.Queued
      ) {
        Atomics.store(this.i32, p + 1, State.Free);
        return "cancelled";
      }
      const rec = this.read(off);
      Atomics.store(this.i32, p + 1, State.Free);
      return rec;
    }
  }
}

/** One worker's results: the worker appends, the pool takes. */
export class ResultRing extends Ring {
  /** Makes a ring with room for at least `bytes` of records. */
  static create(bytes: number): ResultRing {
    return new ResultRing(Ring.allocate(bytes));
  }

  /** Worker side: appends a record, waiting while the ring is full; false if it can never fit. */
  append(f: RecordFields, e: Encoded, stillOpen: () => boolean): boolean {
    if ((e.bytes?.length ?? 0) > this.maxPayload) return false;
    for (;;) {
      const head = Atomics.load(this.ctl, HEAD);
      const next = this.put(this.ctl[TAIL], head, f, e, f.status);
      if (next >= 0) {
        Atomics.store(this.ctl, TAIL, next);
        return true;
      }
      if (!stillOpen()) return true;
      // Full: the pool drains and notifies HEAD; the timeout bounds a missed wake.
      Atomics.wait(this.ctl, HEAD, head, 5);
    }
  }

  /**
   * Pool side: hands every published record to `fn`; returns how many. A
   * record's bytes view the ring (decode copies what it keeps) and are
   * valid only while `fn` runs: the worker may reuse them after.
   */
  drain(fn: (r: RingRecord) => void): number {
    let head = this.ctl[HEAD];
    const tail = Atomics.load(this.ctl, TAIL);
    let n = 0;
    while (head !== tail) {
      const off = this.off(head);
      const p = off >> 2;
      if (this.i32[p + 3] !== PAD_KIND) {
        fn(this.read(off, true));
        n++;
      }
      head = (head + this.i32[p]) | 0;
    }
    if (n || head !== this.ctl[HEAD]) {
      Atomics.store(this.ctl, HEAD, head);
      Atomics.notify(this.ctl, HEAD);
    }
    return n;
  }
}

/** Rebuilds a ring view from its buffer in another thread. */
export function attachQueue(sab: SharedArrayBuffer): TaskQueue {
  return new TaskQueue(sab);
}

/** Rebuilds a result ring view from its buffer in another thread. */
export function attachResults(sab: SharedArrayBuffer): ResultRing {
  return new ResultRing(sab);
}
