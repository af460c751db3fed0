/**
 * `stats()`: a snapshot of the pool built from the workers' counters and
 * histograms in shared memory and the pool's own books.
 *
 * @module
 */

import { bucketLimit, BUCKETS } from "./_counters.ts";
import type { Shared } from "./_layout.ts";
import type { SlotState } from "./_states.ts";
import type { Percentiles, PoolStats, SourceStats } from "./types.ts";

/** What the snapshot needs besides shared memory. */
export interface StatsInput {
  shared: Shared;
  startedAt: number;
  queued: number;
  unsettled: number;
  outcomes: PoolStats["tasks"];
  slots: { state: SlotState; restarts: number; recycled: number }[];
  sources: SourceStats[];
}

/** Builds a {@linkcode PoolStats}. */
export function snapshot(input: StatsInput): PoolStats {
  const { shared } = input;
  const wait = new Float64Array(BUCKETS);
  const run = new Float64Array(BUCKETS);
  let maxWait = 0;
  let maxRun = 0;
  let total = 0;
  const elapsed = performance.now() - input.startedAt;
  const workers = input.slots.map(({ state, restarts, recycled }, id) => {
    const c = shared.counters.of(id);
    shared.counters.addHistograms(id, wait, run);
    maxWait = Math.max(maxWait, c.maxWait);
    maxRun = Math.max(maxRun, c.maxRun);
    total += c.units;
    return {
      id,
      units: c.units,
      tasks: c.tasks,
      share: 0,
      restarts,
      recycled,
      state,
      utilization: elapsed > 0 ? Math.min(1, c.busyMs / elapsed) : 0,
    };
  });
  for (const w of workers) w.share = total ? w.units / total : 0;
  return {
    queued: input.queued,
    running: input.unsettled - input.queued,
    tasks: { ...input.outcomes },
    waitTime: percentiles(wait, maxWait),
    runTime: percentiles(run, maxRun),
    sources: input.sources,
    workers,
  };
}

/** An attached source's counters: from shared memory, and the pool's count of units given back. */
export function sourceStats(
  shared: Shared,
  source: { index: number; name: string; redelivered: number },
): SourceStats {
  const { handled, failed } = shared.counters.sourceCounts(source.index);
  return {
    name: source.name,
    taken: shared.sources.taken(source.index),
    handled,
    failed,
    redelivered: source.redelivered,
  };
}

function percentiles(hist: Float64Array, max: number): Percentiles {
  let count = 0;
  for (const c of hist) count += c;
  const at = (q: number) => {
    if (!count) return 0;
    const rank = Math.ceil(q * count);
    let seen = 0;
    for (let b = 0; b < hist.length; b++) {
      seen += hist[b];
      if (seen >= rank) return Math.min(bucketLimit(b), max);
    }
    return max;
  };
  return { p50: at(0.5), p99: at(0.99), max, count };
}

/**
 * Sources outside the pool that list themselves in its stats (see
 * `WorkerPool.addStatsSource`): each is read on every `stats()`.
 */
export class OutsideSources {
  #readers = new Set<() => SourceStats>();

  /** Adds `read`; disposing the handle removes it. */
  add(read: () => SourceStats): Disposable {
    if (typeof read !== "function") {
      throw new TypeError(
        `addStatsSource: read must be a function, got ${typeof read}`,
      );
    }
    // A wrapper of our own, so adding one function twice lists it twice.
    const own = () => read();
    this.#readers.add(own);
    return { [Symbol.dispose]: () => void this.#readers.delete(own) };
  }

  /** Every entry now; a reader that throws must not break `stats()`. */
  read(): SourceStats[] {
    return [...this.#readers].map((read) => {
      try {
        return read();
      } catch (e) {
        return {
          name: `(stats reader threw: ${(e as Error)?.message ?? e})`,
          taken: 0,
          handled: 0,
          failed: 0,
          redelivered: 0,
        };
      }
    });
  }
}
