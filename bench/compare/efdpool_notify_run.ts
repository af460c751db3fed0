/**
 * efdpool notification-mode runner: the main thread writes units to a
 * semaphore eventfd attached to the pool, and the handler sums their seqs.
 *
 * `--mode tput`: `--items` units, `--batch-size` per write (1: one write
 * per unit). `--mode latency`: one unit every `--spacing-us`, stamped just
 * before its write; the handler records each unit's `takenAt` and start by
 * seq, and the k-th stamp is paired with the k-th measured seq (one unit at
 * a time, taken in the order written, as c_ref.c's `lat` pairs them).
 *
 * `--producer c --c-ref PATH`: the units come from c_ref.c, through its
 * eventfd taken with `pidfd_getfd`: `prod` mode (tput), the same loop that
 * feeds the C consumer threads, or `prodlat` (latency), the paced loop of the
 * C latency run, stamping CLOCK_REALTIME as `takenAt` reads it. So the
 * consumer is all that differs from the C rows. The time runs from telling
 * it to go until the pool has handled every unit.
 *
 * Both wait until every worker is up, then push warm-up units through and
 * await them, so every worker has the source before anything is measured.
 *
 * @module
 */

import { startCProducer } from "./c_producer.ts";
import { benchPool, sumSource } from "./efdpool_pool.ts";
import {
  emit,
  epochNow,
  JIT_WARMUP,
  measured,
  percentilesUs,
  runnerArgs,
  sleepUntil,
  warmupFor,
} from "./runner.ts";

const args = runnerArgs();
const latency = args.mode === "latency";
const warmup = latency ? JIT_WARMUP : warmupFor(args.items);
const total = warmup + args.items;

if (args.producer !== "deno" && args.producer !== "c") {
  throw new RangeError(
    `--producer must be "deno" or "c", got "${args.producer}"`,
  );
}
const cProducer = args.producer === "c"
  ? await startCProducer(
    args.cRef,
    args.items,
    latency ? { spacingUs: args.spacingUs } : { batch: args.batchSize },
  )
  : undefined;
const pool = benchPool(args.workers);
// Units go to the workers already up; wait for all before the warm-up.
await pool.started();
const s = sumSource(
  pool,
  args.workers,
  latency ? { units: args.items, firstSeq: warmup + 1 } : undefined,
  cProducer?.efd,
);

function produce(units: number, perWrite: number): void {
  for (let left = units; left > 0; left -= perWrite) {
    s.efd.write(Math.min(left, perWrite));
  }
}

/** Writes `units` units, one every `spacingMs`; returns their stamps, each taken just before its write. */
function paced(units: number, spacingMs: number): Float64Array {
  const stamps = new Float64Array(units);
  let deadline = performance.now();
  for (let i = 0; i < units; i++) {
    sleepUntil(deadline += spacingMs);
    stamps[i] = epochNow();
    s.efd.write(1);
  }
  return stamps;
}

produce(warmup, args.batchSize);
await s.src.until(warmup);

let report;
if (latency) {
  const n = args.items;
  let stamps: ArrayLike<number> = [];
  const { seconds, switches } = await measured(async () => {
    if (cProducer) {
      await cProducer.go();
      stamps = (await cProducer.written()).stampsMs ?? [];
    } else {
      stamps = paced(n, args.spacingUs / 1000);
    }
    await s.src.until(total);
  });
  if (stamps.length !== n) {
    throw new Error(`${stamps.length} producer stamps for ${n} units`);
  }
  // Stamp k → unit k: `takenAt` (times[k]), handler start (times[n + k]), in µs.
  const times = s.times!;
  const since = (from: number) =>
    Float64Array.from(stamps, (t, k) => (times[from + k] - t) * 1000);
  report = {
    itemsPerSec: n / seconds,
    ctxPerUnit: switches / n,
    latencyUs: percentilesUs(since(0)),
    entryLatencyUs: percentilesUs(since(n)),
  };
} else {
  const { seconds, switches } = await measured(async () => {
    if (cProducer) await cProducer.go();
    else produce(args.items, args.batchSize);
    await s.src.until(total);
  });
  report = {
    itemsPerSec: args.items / seconds,
    ctxPerUnit: switches / args.items,
  };
}
const { handled, sum, shares } = s.totals();
emit({ items: args.items, warmup, handled, sum, shares, ...report });
await s.close();
await pool.close();
await cProducer?.close();
