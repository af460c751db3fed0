/**
 * Pattern 2, single producer and many consumers: one semaphore eventfd is
 * the queue, a pool of workers drains it. The producer only adds units to a
 * counter (no allocation, no copying); the kernel wakes one idle worker per
 * backlog, and each unit is taken by exactly one of them.
 *
 *   deno run --allow-ffi --allow-read=. examples/single_producer.ts [--units 20000] [--workers 4]
 *
 * (`--allow-read` lets the pool's workers load their modules.) Prints how
 * the units spread over the workers, then
 * `done: produced=20000 consumed=20000 duplicates=0 lost=0 workers=4`.
 *
 * @module
 */

import { countSpec, exampleArgs, workersSpec } from "./args.ts";
import { EventFd, WorkerPool } from "../mod.ts";
import { Tally } from "./tally.ts";

const args = exampleArgs(
  "single_producer.ts",
  "One producer, many consumers: one semaphore eventfd is the queue",
  {
    units: countSpec("units to produce (default 20000)"),
    workers: workersSpec(4),
  },
);
const units = args.int("units", 20000, 1);
const workers = args.int("workers", 4, 1, 256);

const pool = new WorkerPool({ workers, name: "consumers" });
await pool.started();

// EFD_SEMAPHORE: each read takes one unit, so one unit is one handler call.
using jobs = EventFd.create({ semaphore: true });
const tally = new Tally(units);
const src = pool.attach(jobs, {
  name: "jobs",
  handler: new URL("./handlers/mark.ts", import.meta.url),
  data: tally.counts, // shared memory: every worker marks the same counters
});

// Bursts of uneven size, as interrupts or requests arrive: one write adds a
// whole burst, and the workers split it between them.
let produced = 0;
for (let burst = 1; produced < units; burst = burst % 64 + 1) {
  const n = Math.min(burst, units - produced);
  jobs.write(n);
  produced += n;
}
console.log(`produced ${produced} units in bursts of 1..64`);

await src.until(produced);
for (const w of pool.stats().workers) {
  console.log(
    `worker ${w.id}: ${w.units} units (${(w.share * 100).toFixed(1)}%)`,
  );
}
await src.detach();
await pool.close();
console.log(tally.line(produced, { workers }));
