/**
 * The float64 part of the pool's shared memory: per-worker counters and
 * latency histograms. Each worker writes only its own; the pool reads them
 * for `stats()`.
 *
 * @module
 */

/** Most sources one pool serves at once. */
export const MAX_SOURCES = 32;
/** Latency histogram buckets: quarter powers of two of microseconds. */
export const BUCKETS = 100;

// Per-worker float64 fields.
const UNITS = 0;
const TASKS = 1;
const BUSY_MS = 2;
const MAX_WAIT = 3;
const MAX_RUN = 4;
const SOURCE_COUNTS = 8; // handled, failed per source
const HIST = SOURCE_COUNTS + 2 * MAX_SOURCES; // wait, then run
const WORKER_F64 = HIST + 2 * BUCKETS;

/** Per-worker counters, as `stats()` reads them. */
export interface WorkerCounters {
  units: number;
  tasks: number;
  busyMs: number;
  maxWait: number;
  maxRun: number;
}

/** Per-worker counters and histograms over shared memory. */
export class Counters {
  readonly #f64: Float64Array;
  readonly #slots: number;

  /** Bytes the counters of `slots` workers take. */
  static bytes(slots: number): number {
    return slots * WORKER_F64 * 8;
  }

  /** Views `slots` workers' counters at byte `offset` of `sab` (8-aligned). */
  constructor(sab: SharedArrayBuffer, offset: number, slots: number) {
    this.#f64 = new Float64Array(sab, offset, slots * WORKER_F64);
    this.#slots = slots;
  }

  #at(slot: number, field: number): number {
    return slot * WORKER_F64 + field;
  }

  /** Pool: zeroes a source index's counts for a new source. */
  resetSource(index: number): void {
    for (let w = 0; w < this.#slots; w++) {
      this.#f64[this.#at(w, SOURCE_COUNTS + 2 * index)] = 0;
      this.#f64[this.#at(w, SOURCE_COUNTS + 2 * index + 1)] = 0;
    }
  }

  /** Worker: records a wait before a task started. */
  recordWait(slot: number, ms: number): void {
    this.#record(slot, HIST, MAX_WAIT, ms > 0 ? ms : 0);
  }

  /** Worker: counts a finished unit or task and its run time. */
  countRun(slot: number, source: number, ok: boolean, ms: number): void {
    if (!(ms > 0)) ms = 0; // A stepped system clock (see _clock.ts).
    const f64 = this.#f64;
    this.#record(slot, HIST + BUCKETS, MAX_RUN, ms);
    f64[this.#at(slot, BUSY_MS)] += ms;
    f64[this.#at(slot, UNITS)]++;
    if (source < 0) f64[this.#at(slot, TASKS)]++;
    else f64[this.#at(slot, SOURCE_COUNTS + 2 * source + (ok ? 0 : 1))]++;
  }

  #record(slot: number, hist: number, maxField: number, ms: number): void {
    this.#f64[this.#at(slot, hist + bucketOf(ms))]++;
    const mi = this.#at(slot, maxField);
    if (ms > this.#f64[mi]) this.#f64[mi] = ms;
  }

  /** Pool: a worker's counters. */
  of(slot: number): WorkerCounters {
    const at = (k: number) => this.#f64[this.#at(slot, k)];
    return {
      units: at(UNITS),
      tasks: at(TASKS),
      busyMs: at(BUSY_MS),
      maxWait: at(MAX_WAIT),
      maxRun: at(MAX_RUN),
    };
  }

  /** Pool: adds a worker's wait and run histograms into `wait` and `run`. */
  addHistograms(slot: number, wait: Float64Array, run: Float64Array): void {
    for (let b = 0; b < BUCKETS; b++) {
      wait[b] += this.#f64[this.#at(slot, HIST + b)];
      run[b] += this.#f64[this.#at(slot, HIST + BUCKETS + b)];
    }
  }

  /** Pool: units of source `index` handled and failed, over all workers. */
  sourceCounts(index: number): { handled: number; failed: number } {
    let handled = 0;
    let failed = 0;
    for (let w = 0; w < this.#slots; w++) {
      handled += this.#f64[this.#at(w, SOURCE_COUNTS + 2 * index)];
      failed += this.#f64[this.#at(w, SOURCE_COUNTS + 2 * index + 1)];
    }
    return { handled, failed };
  }
}

// Bucket edges within an octave: 2^(1/4), 2^(2/4), 2^(3/4).
const Q1 = 2 ** 0.25;
const Q2 = 2 ** 0.5;
const Q3 = 2 ** 0.75;
const TOP_US = 2 ** (BUCKETS / 4);

/** 2^-k: a table load instead of a call into libm's pow() per unit. */
const INV_POW2 = Float64Array.from({ length: 32 }, (_, k) => 2 ** -k);

/**
 * Histogram bucket of a duration in milliseconds: floor(4 · log2(µs)),
 * from the octave (clz32) and three compares, as it runs twice per unit
 * and Math.log2 costs more than the rest of the counting.
 */
export function bucketOf(ms: number): number {
  const us = ms * 1000;
  if (!(us > 1)) return 0;
  if (us >= TOP_US) return BUCKETS - 1;
  const octave = 31 - Math.clz32(us);
  const m = us * INV_POW2[octave];
  return 4 * octave + (m < Q2 ? (m < Q1 ? 0 : 1) : (m < Q3 ? 2 : 3));
}

/** Upper bound, in milliseconds, of a histogram bucket. */
export function bucketLimit(b: number): number {
  return 2 ** ((b + 1) / 4) / 1000;
}
