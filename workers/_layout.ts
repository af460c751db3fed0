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
import { SOURCE_BASE, SOURCE_WORDS, SourceWords } from "./_source_words.ts";

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
  /**
   * A task's unit taken with others in one call, its record not claimed
   * yet (the id is unused). Written back to the task eventfd after a
   * death: the record is still queued for whoever takes the unit.
   */
  TakenTask: 5,
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
/**
 * Work, in ms, a serial worker may hold in a batch beyond the unit it
 * runs: batches shrink as handlers take longer (64 µs / the last run), so
 * units a worker holds do not wait while a peer idles. A batch saves about
 * 1.2 µs a unit, which matters only next to short handlers.
 */
export const TAKE_BUDGET_MS = 0.064;

/** Typed views over the shared memory, the same in every thread. */
export class Shared {
  readonly sab: SharedArrayBuffer;
  readonly seqSab: SharedArrayBuffer;
  readonly slots: number;
  /** Units one worker may hold at once: its ledger cells. */
  readonly cells: number;
  readonly #words: number;
  readonly #i32: Int32Array;
  /** Per-worker counters and histograms (float64, after the int32 words). */
  readonly counters: Counters;
  /** Per-source words: seqs, done counts, awaited count, credits. */
  readonly sources: SourceWords;

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
    const doneBase = WORKER_BASE + slots * this.#words;
    const i32Bytes = (doneBase + slots * MAX_SOURCES) * 4;
    const f64Offset = (i32Bytes + 7) & ~7;
    this.sab = sab ??
      new SharedArrayBuffer(f64Offset + Counters.bytes(slots));
    this.seqSab = seqSab ?? new SharedArrayBuffer(MAX_SOURCES * 8);
    this.#i32 = new Int32Array(this.sab, 0, i32Bytes / 4);
    this.counters = new Counters(this.sab, f64Offset, slots);
    this.sources = new SourceWords(
      this.#i32,
      new BigInt64Array(this.seqSab),
      doneBase,
      slots,
      this.counters,
    );
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
   * Worker: starts task `id`, whose record it claimed for the unit taken in
   * `cell` (TakenTask becomes Task). The id goes first: the pool reads no
   * id for TakenTask, and the exchange publishes it. False if the pool
   * revoked the cell meanwhile (only when it kills this worker or stops).
   */
  startTask(slot: number, cell: number, id: number): boolean {
    const at = this.#w(slot, CELLS + 2 * cell);
    this.#i32[at + 1] = id;
    return Atomics.compareExchange(
      this.#i32,
      at,
      Held.TakenTask,
      Held.Task,
    ) === Held.TakenTask;
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
}
