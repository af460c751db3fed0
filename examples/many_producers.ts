/**
 * Pattern 3, many producers and many consumers: Web Workers of this process
 * and separate processes all add units to one semaphore eventfd, and a pool
 * consumes them. Nothing but the eventfd is shared: a producer needs only
 * the fd number (threads) or our pid and the fd number (processes, which
 * obtain the fd with pidfd_getfd, as in seed_twin.ts).
 *
 *   deno run --allow-ffi --allow-read=. --allow-run=deno examples/many_producers.ts
 *
 * Prints what each producer added, then
 * `done: produced=25000 consumed=25000 duplicates=0 lost=0 producers=5`.
 *
 * @module
 */

import { countSpec, exampleArgs, workersSpec } from "./args.ts";
import { EventFd, WorkerPool } from "../mod.ts";
import { allowAnyTracer } from "../ffi/mod.ts";
import { Tally } from "./tally.ts";

const args = exampleArgs(
  "many_producers.ts",
  "Many producers (threads and processes) and many consumers on one eventfd",
  {
    threads: countSpec("producer threads (default 3)"),
    processes: countSpec("producer processes (default 2)"),
    units: countSpec("units per producer (default 5000)"),
    workers: workersSpec(4),
  },
);
const threads = args.int("threads", 3, 0, 64);
const processes = args.int("processes", 2, 0, 64);
const each = args.int("units", 5000, 1);
const workerCount = args.int("workers", 4, 1, 256);
const expected = (threads + processes) * each;

await using pool = new WorkerPool({
  workers: workerCount,
  name: "consumers",
});
using jobs = EventFd.create({ semaphore: true });
const tally = new Tally(expected);
const src = pool.attach(jobs, {
  name: "jobs",
  handler: new URL("./handlers/mark.ts", import.meta.url),
  data: tally.counts,
});
await pool.started();

// Our child processes may have to ptrace us (under Yama) to grab the fd.
allowAnyTracer();

const inThreads = Array.from(
  { length: threads },
  (_, i) =>
    new Promise<number>((resolve, reject) => {
      const w = new Worker(
        new URL("./handlers/producer_worker.ts", import.meta.url),
        { type: "module", name: `producer-${i}` },
      );
      w.onmessage = (ev) => resolve(ev.data);
      w.onerror = (ev) => reject(ev.error ?? new Error(ev.message));
      w.postMessage({ fd: jobs.fd, units: each });
    }).then((n) => (console.log(`thread producer ${i}: ${n} units`), n)),
);

const inProcesses = Array.from({ length: processes }, async (_, i) => {
  const out = await new Deno.Command("deno", {
    args: [
      "run",
      "--allow-ffi",
      new URL("./seed_twin.ts", import.meta.url).href,
      `--pid=${Deno.pid}`,
      `--efd=${jobs.fd}`,
      `--units=${each}`,
      "--each=1", // one write per unit, racing the other producers
    ],
    stdin: "null",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`process producer ${i} failed`);
  console.log(`process producer ${i}: ${each} units`);
  return each;
});

const counts = await Promise.all([...inThreads, ...inProcesses]);
const produced = counts.reduce((a, b) => a + b, 0);
await src.until(produced);
await src.detach();
console.log(tally.line(produced, { producers: counts.length }));
