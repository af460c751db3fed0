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

import { parseArgs } from "node:util";
import { EventFd, WorkerPool } from "../mod.ts";
import { allowAnyTracer } from "./pidfd.ts";
import { Tally } from "./tally.ts";

const { values } = parseArgs({
  options: {
    threads: { type: "string", default: "3" },
    processes: { type: "string", default: "2" },
    units: { type: "string", default: "5000" }, // per producer
    workers: { type: "string", default: "4" },
  },
});
const threads = Number(values.threads);
const processes = Number(values.processes);
const each = Number(values.units);
const expected = (threads + processes) * each;

await using pool = new WorkerPool({
  workers: Number(values.workers),
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
