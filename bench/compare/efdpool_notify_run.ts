/**
 * efdpool notification-mode runner: the main thread writes units to a
 * semaphore eventfd attached to the pool, and the handler sums their seqs.
 *
 * `--mode tput`: `--items` units, `--batch-size` per write (1: one write
 * per unit). `--mode latency`: one unit every `--spacing-us`, stamped just
 * before its write; the handler diffs the stamp with `takenAt`.
 *
 * `--producer c --c-ref PATH` (throughput only): the units come from
 * c_ref.c's `prod` mode, the same loop that feeds the C consumer threads,
 * through its eventfd taken with `pidfd_getfd`; the time runs from telling it
 * to go until the pool has handled every unit.
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
  LATENCY_WARMUP,
  measured,
  percentilesUs,
  runnerArgs,
  sleepUntil,
  warmupFor,
} from "./runner.ts";

const args = runnerArgs();
const latency = args.mode === "latency";
const warmup = latency ? LATENCY_WARMUP : warmupFor(args.items);
const total = warmup + args.items;

if (args.producer !== "deno" && (args.producer !== "c" || latency)) {
  throw new RangeError(
    `--producer must be "deno", or "c" in tput mode, got "${args.producer}"`,
  );
}
const cProducer = args.producer === "c"
  ? await startCProducer(args.cRef, args.items, args.batchSize)
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

produce(warmup, args.batchSize);
await s.src.until(warmup);

let report;
if (latency) {
  const lat = s.lat!;
  const n = args.items;
  const spacing = args.spacingUs / 1000;
  let deadline = performance.now();
  const { seconds, switches } = await measured(async () => {
    for (let i = 0; i < n; i++) {
      sleepUntil(deadline += spacing);
      lat[i] = epochNow();
      s.efd.write(1);
    }
    await s.src.until(total);
  });
  report = {
    itemsPerSec: n / seconds,
    ctxPerUnit: switches / n,
    latencyUs: percentilesUs(lat.subarray(n, 2 * n), 0),
    entryLatencyUs: percentilesUs(lat.subarray(2 * n), 0),
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
