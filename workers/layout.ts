/**
 * The pool's shared control block: state, per-worker ledger and counters,
 * per-source sequence numbers, latency histograms.
 *
 * Every counter has one writer (its worker), so workers never contend on
 * them; the pool thread only reads them for `stats()`.
 *
 * @module
 */

/** Most sources one pool serves at once. */
export const MAX_SOURCES = 32;
/** Latency histogram buckets: quarter powers of two of microseconds. */
export const BUCKETS = 100;

/** Int32 words of the control block. */
export const Ctl = {
  /** 0 running, 1 stopping: workers leave their loop at the next wake. */
  State: 0,
  /** Futex the pool waits on for results; workers add 1 and notify. */
  ResultSignal: 1,
  /** Whether the pool thread is asleep on ResultSignal (workers skip notify otherwise). */
  PoolWaiting: 2,
  /** Tasks claimed from the queue, including cancelled ones. */
  Claimed: 3,
  /**
   * Per source, 3 words: units done (handled or failed, mod 2^32); whether
   * the pool wants a wake when done reaches the next word, the target.
   */
  SourceBase: 16,
  /** Start of per-worker words. */
  WorkerBase: 16 + 3 * MAX_SOURCES,
} as const;

/** Index of source `index`'s done counter; +1 is its want flag, +2 its target. */
export function doneWord(index: number): number {
  return Ctl.SourceBase + 3 * index;
}

/** Per-worker int32 words, at `Ctl.WorkerBase + slot * WORKER_WORDS`. */
export const W = {
  /** What the worker holds: 0 nothing, 1 a task, 2 a source unit. */
  HeldKind: 0,
  /** Task id, or source index. */
  HeldId: 1,
  /** Generation of the newest message posted to the worker (its mailbox). */
  Mail: 2,
} as const;
// A cache line per worker: the ledger is written twice per unit, and shared
// lines would bounce between cores.
const WORKER_WORDS = 16;

/** Per-worker float64 fields. */
export const F = {
  Units: 0,
  Tasks: 1,
  BusyMs: 2,
  MaxWait: 3,
  MaxRun: 4,
  /** Per source: handled, failed (2 × MAX_SOURCES). */
  Source: 8,
  /** Wait-time histogram, then run-time histogram. */
  Hist: 8 + 2 * MAX_SOURCES,
} as const;
const WORKER_F64 = F.Hist + 2 * BUCKETS;

/** Typed views over the control block, the same in every thread. */
export class Layout {
  readonly sab: SharedArrayBuffer;
  readonly seqSab: SharedArrayBuffer;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  /** Per-source sequence counters (and redelivery counts after them). */
  readonly seq: BigInt64Array;
  readonly slots: number;

  constructor(
    slots: number,
    sab?: SharedArrayBuffer,
    seqSab?: SharedArrayBuffer,
  ) {
    this.slots = slots;
    const i32Bytes = (Ctl.WorkerBase + slots * WORKER_WORDS) * 4;
    const f64Offset = (i32Bytes + 7) & ~7;
    this.sab = sab ?? new SharedArrayBuffer(f64Offset + slots * WORKER_F64 * 8);
    this.seqSab = seqSab ?? new SharedArrayBuffer(MAX_SOURCES * 2 * 8);
    this.i32 = new Int32Array(this.sab, 0, i32Bytes / 4);
    this.f64 = new Float64Array(this.sab, f64Offset, slots * WORKER_F64);
    this.seq = new BigInt64Array(this.seqSab);
  }

  /** Index of worker `slot`'s int32 field. */
  w(slot: number, field: number): number {
    return Ctl.WorkerBase + slot * WORKER_WORDS + field;
  }

  /** Index of worker `slot`'s float64 field. */
  f(slot: number, field: number): number {
    return slot * WORKER_F64 + field;
  }

  /** Clears a slot's ledger and counters when a fresh worker takes it over. */
  resetLedger(slot: number): void {
    Atomics.store(this.i32, this.w(slot, W.HeldKind), 0);
    // A fresh worker has seen no mail: an old generation here would make it
    // wait forever for messages that were sent to its predecessor.
    Atomics.store(this.i32, this.w(slot, W.Mail), 0);
  }
}

/** Histogram bucket of a duration in milliseconds. */
export function bucketOf(ms: number): number {
  const us = ms * 1000;
  if (!(us > 1)) return 0;
  return Math.min(BUCKETS - 1, Math.floor(Math.log2(us) * 4));
}

/** Upper bound, in milliseconds, of a histogram bucket. */
export function bucketLimit(b: number): number {
  return 2 ** ((b + 1) / 4) / 1000;
}
