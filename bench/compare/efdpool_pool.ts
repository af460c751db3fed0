/**
 * efdpool as the benchmarks use it: a pool running bench/compare/handler.ts
 * and a semaphore eventfd attached to it whose units are summed per worker.
 *
 * @module
 */

import { EventFd } from "../../ffi/eventfd.ts";
import { type PoolSource, WorkerPool } from "../../mod.ts";
import { SLOT, type SourceData } from "./handler.ts";

/**
 * A pool of `workers` running the benchmark handler.
 *
 * @example
 * ```ts
 * import { benchPool } from "./efdpool_pool.ts";
 * await using pool = benchPool(2);
 * console.log(await pool.run(1)); // 2
 * ```
 */
export function benchPool(workers: number, maxQueue?: number): WorkerPool {
  return new WorkerPool({
    workers,
    handler: new URL("./handler.ts", import.meta.url),
    maxQueue,
    name: "bench",
  });
}

/** A semaphore eventfd under a pool, with the handler's per-worker sums. */
export interface SumSource {
  /** The eventfd the producer writes. */
  efd: EventFd;
  /** The attached source. */
  src: PoolSource;
  /** Latency mode: each unit's `takenAt`, then its handler's start (epoch ms); see `SourceData`. */
  times?: Float64Array;
  /** Units handled, the sum of their seqs, and each worker's share. */
  totals(): { handled: number; sum: number; shares: number[] };
  /** Detaches the source and closes the eventfd. */
  close(): Promise<void>;
}

/**
 * Attaches a semaphore eventfd (a new one unless `efd` is given) to `pool`. Pass `latency` to have the
 * handler record when each of `units` units, from seq `firstSeq` on, was
 * taken and handled, to be diffed with the producer's stamps.
 *
 * @example
 * ```ts
 * import { benchPool, sumSource } from "./efdpool_pool.ts";
 * await using pool = benchPool(2);
 * const s = sumSource(pool, 2);
 * s.efd.write(3);
 * await s.src.until(3);
 * console.log(s.totals().sum); // 6
 * await s.close();
 * ```
 */
export function sumSource(
  pool: WorkerPool,
  workers: number,
  latency?: { units: number; firstSeq: number },
  efd: EventFd = EventFd.create({ semaphore: true }),
): SumSource {
  const data: SourceData = {
    sums: new SharedArrayBuffer(workers * SLOT * 8),
    times: latency && new SharedArrayBuffer(2 * latency.units * 8),
    firstSeq: latency?.firstSeq,
  };
  const src = pool.attach(efd, { name: "bench", data });
  const sums = new Float64Array(data.sums);
  return {
    efd,
    src,
    times: data.times && new Float64Array(data.times),
    totals() {
      let handled = 0, sum = 0;
      for (let w = 0; w < workers; w++) {
        sum += sums[w * SLOT];
        handled += sums[w * SLOT + 1];
      }
      const shares = Array.from(
        { length: workers },
        (_, w) => handled && sums[w * SLOT + 1] / handled,
      );
      return { handled, sum, shares };
    },
    async close() {
      await src.detach();
      efd.close();
    },
  };
}
