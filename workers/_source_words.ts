/**
 * The per-source part of the pool's shared memory (see _layout.ts): units
 * taken (bigint, so seq never wraps), units done per worker and source
 * (int32, on that worker's own cache lines: a count every worker bumped per
 * unit would bounce between cores), the count the pool awaits and
 * redelivery credits (int32).
 *
 * @module
 */

import { type Counters, MAX_SOURCES } from "./_counters.ts";

/** Where the source words start in the control block (int32 words). */
export const SOURCE_BASE = 16;
/** Words per source: want, target, credits, unused. */
export const SOURCE_WORDS = 4;
const WANT = 0;
const TARGET = 1;
// Redelivery credits are int32: checked for every unit, and a plain int32
// load costs less than a bigint one, which allocates.
const CREDITS = 2;

/** Workers count, the pool reads and sets the awaited target. */
export class SourceWords {
  readonly #i32: Int32Array;
  readonly #seq: BigInt64Array;
  /** Where the per-worker done counts start (MAX_SOURCES words per slot). */
  readonly #doneBase: number;
  readonly #slots: number;
  readonly #counters: Counters;

  constructor(
    i32: Int32Array,
    seq: BigInt64Array,
    doneBase: number,
    slots: number,
    counters: Counters,
  ) {
    this.#i32 = i32;
    this.#seq = seq;
    this.#doneBase = doneBase;
    this.#slots = slots;
    this.#counters = counters;
  }

  /** Pool: zeroes a source index for a new source. */
  resetSource(index: number): void {
    Atomics.store(this.#seq, index, 0n);
    const at = SOURCE_BASE + SOURCE_WORDS * index;
    for (let k = 0; k < SOURCE_WORDS; k++) Atomics.store(this.#i32, at + k, 0);
    for (let w = 0; w < this.#slots; w++) {
      Atomics.store(this.#i32, this.#doneBase + w * MAX_SOURCES + index, 0);
    }
    this.#counters.resetSource(index);
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
    for (let w = 0; w < this.#slots; w++) {
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
