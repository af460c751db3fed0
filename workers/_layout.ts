/**
 * The shared memory between the pool thread and its workers, in one place:
 * every word has a named accessor saying who writes it and who reads it, so
 * no other file does index arithmetic on it.
 *
 * - Control words: the stop flag, the result futex, claims of live tasks.
 * - Per worker slot, a ledger (a cache line, more with `concurrency` > 4):
 *   the worker's phase, the mailbox generation, and one cell per unit it
 *   may hold at once, saying what it holds ({@linkcode Held}); then float64
 *   counters and latency histograms, written by that worker only (see
 *   _counters.ts).
 * - Per source: the count the pool awaits and redelivery credits (int32);
 *   units taken (bigint, so seq never wraps).
 * - Per worker and source: units done (int32), on that worker's own cache
 *   lines: a count every worker bumped per unit would bounce between cores.
 *
 * @module
 */

import { Counters, MAX_SOURCES } from "./_counters.ts";

export { MAX_SOURCES };

/** What a worker holds, in its ledger. */
export const Held = {
  /** Nothing: idle, or between units. */
  None: 0,
  /** A task; the id is the task id. */
  Task: 1,
  /** A source unit; the id is the source index. */
  Unit: 2,
  /** Taken away by the pool (a kill): the worker must drop its result. */
  Revoked: 3,
  /**
   * A source unit taken with others in one call, not started yet: the id
   * is the source index. Given back after a death without a redelivery
   * mark, as no handler has seen it.
   */
  Taken: 4,
} as const;
/** A {@linkcode Held} value. */
export type HeldKind = typeof Held[keyof typeof Held];

/** A worker's own view of its life, for the pool to read after a death. */
export const Phase = {
  /** Loading its handler modules. */
  Loading: 0,
  /** In its loop: a death now is a fault in a handler, not a load failure. */
  Serving: 1,
} as const;

// Control block (int32 words).
const STOP = 0;
const RESULT_SIGNAL = 1;
const POOL_WAITING = 2;
const CLAIMED = 3;
const SOURCE_BASE = 16;
const SOURCE_WORDS = 4; // want, target, credits, unused
const WANT = 0;
const TARGET = 1;
// Redelivery credits are int32: checked for every unit, and a plain int32
// load costs less than a bigint one, which allocates.
const CREDITS = 2;
const WORKER_BASE = SOURCE_BASE + SOURCE_WORDS * MAX_SOURCES;
// Whole cache lines per worker: the ledger is written twice per unit, and
// shared lines would bounce between cores.
const LINE_WORDS = 16;
const PHASE = 0;
const MAIL = 1;
/** Cell `c` is words CELLS + 2c (what is held) and CELLS + 2c + 1 (its id). */
const CELLS = 2;
/** Most units one worker may hold at once. */
export const MAX_CONCURRENCY = 1024;
/**
 * Most units a serial worker (`concurrency` 1) takes in one system call
 * (see _worker_take.ts): each has a ledger cell, held before any runs.
 */
export const TAKE_MAX = 32;

/** Typed views over the shared memory, the same in every thread. */
export class Shared {
  readonly sab: SharedArrayBuffer;
  readonly seqSab: SharedArrayBuffer;
  readonly slots: number;
  /** Units one worker may hold at once: its ledger cells. */
  readonly cells: number;
  readonly #words: number;
  /** Where the per-worker done counts start (MAX_SOURCES words per slot). */
  readonly #doneBase: number;
  readonly #i32: Int32Array;
  /** Per-worker counters and histograms (float64, after the int32 words). */
  readonly counters: Counters;
  /** Units taken per source. */
  readonly #seq: BigInt64Array;

  /** Handlers one worker runs at once (`concurrency`). */
  readonly concurrency: number;

  constructor(
    slots: number,
    concurrency = 1,
    sab?: SharedArrayBuffer,
    seqSab?: SharedArrayBuffer,
  ) {
    this.slots = slots;
    this.concurrency = concurrency;
    // A serial worker holds a batch of units taken together, one per cell.
    const cells = this.cells = concurrency > 1 ? concurrency : TAKE_MAX;
    this.#words = Math.ceil((CELLS + 2 * cells) / LINE_WORDS) * LINE_WORDS;
    this.#doneBase = WORKER_BASE + slots * this.#words;
    const i32Bytes = (this.#doneBase + slots * MAX_SOURCES) * 4;
    const f64Offset = (i32Bytes + 7) & ~7;
    this.sab = sab ??
      new SharedArrayBuffer(f64Offset + Counters.bytes(slots));
    this.seqSab = seqSab ?? new SharedArrayBuffer(MAX_SOURCES * 8);
    this.#i32 = new Int32Array(this.sab, 0, i32Bytes / 4);
    this.counters = new Counters(this.sab, f64Offset, slots);
    this.#seq = new BigInt64Array(this.seqSab);
  }

  #w(slot: number, word: number): number {
    return WORKER_BASE + slot * this.#words + word;
  }

  // --- Control: the pool writes the stop flag, workers read it. ---

  /** Pool: tells every worker to leave its loop and drop units taken from now on. */
  setStopping(): void {
    Atomics.store(this.#i32, STOP, 1);
  }

  /** Worker: whether the pool is stopping. */
  stopping(): boolean {
    return Atomics.load(this.#i32, STOP) !== 0;
  }

  /** Pool: tasks workers claimed and started (cancelled ones are not counted). */
  claimed(): number {
    return Atomics.load(this.#i32, CLAIMED);
  }

  /** Worker: counts a claim of a live task. */
  countClaim(): void {
    Atomics.add(this.#i32, CLAIMED, 1);
  }

  // --- The result futex: workers bump and notify, the pool sleeps on it. ---

  /** Pool: the futex value to wait on. */
  resultSignal(): number {
    return Atomics.load(this.#i32, RESULT_SIGNAL);
  }

  /** Pool: sleeps until a worker signals (or `signal` moves from `seen`). */
  waitResult(seen: number): ReturnType<typeof Atomics.waitAsync> {
    return Atomics.waitAsync(this.#i32, RESULT_SIGNAL, seen);
  }

  /** Pool: whether it is about to sleep (workers only notify then). */
  setPoolWaiting(waiting: boolean): void {
    Atomics.store(this.#i32, POOL_WAITING, waiting ? 1 : 0);
  }

  /** Any thread: wakes the pool's pump. */
  signalResult(): void {
    Atomics.add(this.#i32, RESULT_SIGNAL, 1);
    if (Atomics.load(this.#i32, POOL_WAITING)) {
      Atomics.notify(this.#i32, RESULT_SIGNAL);
    }
  }

  // --- Ledger: written by its worker, except revoke (pool) and reset (pool, no worker). ---

  /** Pool: a fresh worker is taking over `slot`. */
  resetSlot(slot: number): void {
    Atomics.store(this.#i32, this.#w(slot, PHASE), Phase.Loading);
    for (let c = 0; c < this.cells; c++) {
      Atomics.store(this.#i32, this.#w(slot, CELLS + 2 * c), Held.None);
    }
    // A fresh worker has seen no mail: an old generation here would make it
    // wait forever for messages that were sent to its predecessor.
    Atomics.store(this.#i32, this.#w(slot, MAIL), 0);
  }

  /** Worker: enters its loop. */
  setServing(slot: number): void {
    Atomics.store(this.#i32, this.#w(slot, PHASE), Phase.Serving);
  }

  /** Pool: whether the worker of `slot` reached its loop. */
  serving(slot: number): boolean {
    return Atomics.load(this.#i32, this.#w(slot, PHASE)) === Phase.Serving;
  }

  /** Worker: publishes what it is about to run, in ledger cell `cell`. */
  hold(slot: number, cell: number, kind: HeldKind, id: number): void {
    const at = this.#w(slot, CELLS + 2 * cell);
    // A plain store: the pool reads the id only after it has seen the kind,
    // whose atomic store below publishes it (a locked op saved per unit).
    this.#i32[at + 1] = id;
    Atomics.store(this.#i32, at, kind);
  }

  /**
   * Worker: starts the unit taken in `cell` (Taken becomes Unit). False if
   * the pool revoked it meanwhile and gave it back.
   */
  start(slot: number, cell: number): boolean {
    return Atomics.compareExchange(
      this.#i32,
      this.#w(slot, CELLS + 2 * cell),
      Held.Taken,
      Held.Unit,
    ) === Held.Taken;
  }

  /**
   * Worker: done with what it held. False if the pool revoked it
   * meanwhile: the unit went back to its source (or the task was settled),
   * so the result must be dropped.
   */
  release(slot: number, cell: number, kind: HeldKind): boolean {
    return Atomics.compareExchange(
      this.#i32,
      this.#w(slot, CELLS + 2 * cell),
      kind,
      Held.None,
    ) === kind;
  }

  /** Any thread: what `slot` holds now, one entry per busy cell. */
  held(slot: number): { kind: HeldKind; id: number }[] {
    const out: { kind: HeldKind; id: number }[] = [];
    for (let c = 0; c < this.cells; c++) {
      const at = this.#w(slot, CELLS + 2 * c);
      const kind = Atomics.load(this.#i32, at) as HeldKind;
      if (kind !== Held.None && kind !== Held.Revoked) {
        out.push({ kind, id: Atomics.load(this.#i32, at + 1) });
      }
    }
    return out;
  }

  /** Any thread: whether `slot` runs a handler (holds a task or a started unit). */
  running(slot: number): boolean {
    return this.held(slot).some((h) =>
      h.kind === Held.Task || h.kind === Held.Unit
    );
  }

  /**
   * Pool: takes away what `slot` holds, cell by cell, atomically against
   * the worker's `release`: what it returns is the pool's to give back,
   * and the worker will drop those results. Cells the worker released
   * first are not in it.
   */
  revoke(slot: number): { kind: HeldKind; id: number }[] {
    const out: { kind: HeldKind; id: number }[] = [];
    for (let c = 0; c < this.cells; c++) {
      const at = this.#w(slot, CELLS + 2 * c);
      for (;;) {
        const kind = Atomics.load(this.#i32, at) as HeldKind;
        if (kind === Held.None || kind === Held.Revoked) break;
        const id = Atomics.load(this.#i32, at + 1);
        if (
          Atomics.compareExchange(this.#i32, at, kind, Held.Revoked) === kind
        ) {
          out.push({ kind, id });
          break;
        }
      }
    }
    return out;
  }

  // --- Mailbox generation: the pool bumps it per message, the worker catches up. ---

  /** Pool: announces one more message to `slot`; returns its generation. */
  postMail(slot: number): number {
    return Atomics.add(this.#i32, this.#w(slot, MAIL), 1) + 1;
  }

  /** Worker: the newest generation announced. */
  mailPosted(slot: number): number {
    return Atomics.load(this.#i32, this.#w(slot, MAIL));
  }

  // --- Sources: workers count, the pool reads and sets the awaited target. ---

  /** Pool: zeroes a source index for a new source. */
  resetSource(index: number): void {
    Atomics.store(this.#seq, index, 0n);
    const at = SOURCE_BASE + SOURCE_WORDS * index;
    for (let k = 0; k < SOURCE_WORDS; k++) Atomics.store(this.#i32, at + k, 0);
    for (let w = 0; w < this.slots; w++) {
      Atomics.store(this.#i32, this.#doneBase + w * MAX_SOURCES + index, 0);
    }
    this.counters.resetSource(index);
  }

  /** Worker: the seq of a unit just taken (from 1). */
  nextSeq(index: number): number {
    return Number(Atomics.add(this.#seq, index, 1n)) + 1;
  }

  /** Pool: units taken so far. */
  taken(index: number): number {
    return Number(Atomics.load(this.#seq, index));
  }

  /** Pool: a unit was given back; the next one taken is marked redelivered. */
  addCredit(index: number): void {
    Atomics.add(this.#i32, SOURCE_BASE + SOURCE_WORDS * index + CREDITS, 1);
  }

  /** Worker: consumes a redelivery credit if there is one. */
  takeCredit(index: number): boolean {
    const at = SOURCE_BASE + SOURCE_WORDS * index + CREDITS;
    for (;;) {
      const v = Atomics.load(this.#i32, at);
      if (v <= 0) return false;
      if (Atomics.compareExchange(this.#i32, at, v, v - 1) === v) return true;
    }
  }

  /** Any thread: units of the source done (handled or failed), mod 2^32. */
  done(index: number): number {
    let done = 0;
    for (let w = 0; w < this.slots; w++) {
      done = (done +
        Atomics.load(this.#i32, this.#doneBase + w * MAX_SOURCES + index)) | 0;
    }
    return done;
  }

  /**
   * Worker of `slot`: counts a unit done; true if the pool waits for the
   * count now reached. Of two workers finishing the last two units at once,
   * at least one sees both counts (each adds, then loads the other's).
   */
  countDone(slot: number, index: number): boolean {
    Atomics.add(this.#i32, this.#doneBase + slot * MAX_SOURCES + index, 1);
    const at = SOURCE_BASE + SOURCE_WORDS * index;
    // The pool sleeps until a source reaches the count it awaits; waking
    // it for every unit would cost it a context switch per unit.
    return Atomics.load(this.#i32, at + WANT) !== 0 &&
      ((this.done(index) - Atomics.load(this.#i32, at + TARGET)) | 0) >= 0;
  }

  /** Pool: the nearest count awaited on a source, or undefined for none. */
  setAwaited(index: number, target: number | undefined): void {
    const at = SOURCE_BASE + SOURCE_WORDS * index;
    if (target !== undefined) {
      Atomics.store(this.#i32, at + TARGET, target | 0);
    }
    Atomics.store(this.#i32, at + WANT, target === undefined ? 0 : 1);
  }
}
