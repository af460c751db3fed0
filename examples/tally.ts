/**
 * Exactly-once bookkeeping shared by the examples: a shared counter per
 * item id that consumers bump wherever they run (Workers share the memory),
 * and the final `done:` line the tests read.
 *
 * Not an example itself; the examples import it.
 *
 * @module
 */

/**
 * One shared counter per item id, from 1 to `capacity`; cell 0 collects ids
 * out of range, which can only be deliveries nobody produced.
 *
 * @example
 * ```ts
 * import { mark, Tally } from "./tally.ts";
 * const tally = new Tally(3);
 * for (const id of [1, 2, 3]) mark(tally.counts, id);
 * console.log(tally.line(3)); // done: produced=3 consumed=3 duplicates=0 lost=0
 * ```
 */
export class Tally {
  /** The counters; hand this to consumers (a SharedArrayBuffer view, so Workers see the same memory). */
  readonly counts: Int32Array;

  /**
   * Allocates counters for ids 1..`capacity`.
   *
   * @example
   * ```ts
   * import { Tally } from "./tally.ts";
   * console.log(new Tally(10).counts.length); // 11
   * ```
   */
  constructor(capacity: number) {
    this.counts = new Int32Array(new SharedArrayBuffer(4 * (capacity + 1)));
  }

  /**
   * Counts deliveries against `produced` items with ids 1..`ids` (default
   * `produced`): `lost` are ids never delivered (except those in `excused`,
   * e.g. units whose worker died and were handed out again under a new id),
   * `duplicates` every delivery past the first plus any out-of-range id.
   *
   * @example
   * ```ts
   * import { mark, Tally } from "./tally.ts";
   * const t = new Tally(4);
   * mark(t.counts, 1);
   * mark(t.counts, 1);
   * console.log(t.check(2)); // { produced: 2, consumed: 2, duplicates: 1, lost: 1 }
   * ```
   */
  check(
    produced: number,
    options: { ids?: number; excused?: Iterable<number> } = {},
  ): { produced: number; consumed: number; duplicates: number; lost: number } {
    const ids = options.ids ?? produced;
    const excused = new Set(options.excused);
    const stray = Atomics.load(this.counts, 0);
    let consumed = stray;
    let duplicates = stray;
    let lost = 0;
    for (let id = 1; id < this.counts.length; id++) {
      const c = Atomics.load(this.counts, id);
      consumed += c;
      if (id > ids) duplicates += c;
      else if (c > 1) duplicates += c - 1;
      else if (c === 0 && !excused.has(id)) lost++;
    }
    return { produced, consumed, duplicates, lost };
  }

  /**
   * The final line of an example: `done: produced=N consumed=N duplicates=0
   * lost=0`, then any `extra` fields. Sets a failing exit code unless every
   * item was delivered exactly once, so a broken run cannot pass quietly.
   *
   * @example
   * ```ts
   * import { mark, Tally } from "./tally.ts";
   * const t = new Tally(1);
   * mark(t.counts, 1);
   * console.log(t.line(1, { workers: 2 })); // done: produced=1 consumed=1 duplicates=0 lost=0 workers=2
   * ```
   */
  line(
    produced: number,
    extra: Record<string, number | string> = {},
    options: { ids?: number; excused?: Iterable<number> } = {},
  ): string {
    const r = this.check(produced, options);
    if (r.duplicates || r.lost || r.consumed !== produced) Deno.exitCode = 1;
    return doneLine({ ...r, ...extra });
  }
}

/**
 * Formats the final `done:` line from its fields, in order.
 *
 * @example
 * ```ts
 * import { doneLine } from "./tally.ts";
 * console.log(doneLine({ produced: 1, consumed: 1, duplicates: 0, lost: 0 }));
 * ```
 */
export function doneLine(
  fields: Record<string, number | bigint | string>,
): string {
  return "done: " +
    Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(" ");
}

/**
 * Records one delivery of `id`; safe from any Worker that shares `counts`.
 *
 * @example
 * ```ts
 * import { mark, Tally } from "./tally.ts";
 * const t = new Tally(2);
 * mark(t.counts, 2);
 * console.log(t.counts[2]); // 1
 * ```
 */
export function mark(counts: Int32Array, id: number): void {
  Atomics.add(counts, id >= 1 && id < counts.length ? id : 0, 1);
}
