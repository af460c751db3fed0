/**
 * Pattern 8, graceful shutdown and faults. A producer feeds a pool until
 * Ctrl-C (SIGINT); then it stops producing, lets the pool finish every unit
 * already signalled, closes the pool and exits 0 — nothing lost, nothing
 * done twice. Meanwhile the handler misbehaves: some units throw (reported
 * to `onError`, the worker lives on) and one kills its worker (the pool
 * starts a new one and redelivers that unit).
 *
 *   deno run --allow-ffi --allow-read=. examples/graceful_shutdown.ts
 *
 * Prints `ready: …` once units flow and the faults have happened, then runs
 * until Ctrl-C (a second Ctrl-C quits at once), and ends with
 * `done: produced=N consumed=N duplicates=0 lost=0 failed=F crashed=1 redelivered=1`.
 *
 * @module
 */

import { EventFd, WorkerPool } from "../mod.ts";
import type { FlakyData } from "./handlers/flaky.ts";
import { Tally } from "./tally.ts";

const MAX_UNITS = 1 << 20; // the producer stops by itself here, if no Ctrl-C comes
const pool = new WorkerPool({ workers: 3, name: "flaky" });
using jobs = EventFd.create({ semaphore: true });
const tally = new Tally(MAX_UNITS + 16);
const data: FlakyData = {
  counts: tally.counts,
  crashed: new Int32Array(new SharedArrayBuffer(4)),
  failEvery: 50,
  crashAt: 100,
};
let failed = 0;
let crashed = 0;
pool.addEventListener("workererror", () => crashed++);
const src = pool.attach(jobs, {
  name: "jobs",
  handler: new URL("./handlers/flaky.ts", import.meta.url),
  data,
  onError: () => failed++,
});
await pool.started();

// Producer: a burst of 20 units every 5 ms.
let produced = 0;
const producer = setInterval(() => {
  const n = Math.min(20, MAX_UNITS - produced);
  if (n > 0) jobs.write(n);
  produced += n;
}, 5);

const stopped = Promise.withResolvers<void>();
let stopping = false;
const onSigint = () => {
  if (stopping) Deno.exit(130); // a second Ctrl-C: give up on draining
  stopping = true;
  stopped.resolve();
};
Deno.addSignalListener("SIGINT", onSigint);

await src.until(300);
console.log(
  `ready: ${src.stats().handled} units handled so far, ${failed} failed, ` +
    `${crashed} worker crashed; press Ctrl-C to stop`,
);

await stopped.promise;
clearInterval(producer);
// Every unit produced is in the counter or in a worker's hands; wait for all.
console.log(`SIGINT: stopped producing at ${produced}, draining`);
await src.until(produced);
const { taken, redelivered } = src.stats();
await src.detach();
await pool.close();
Deno.removeSignalListener("SIGINT", onSigint); // or it keeps the process alive

const crashedSeq = Atomics.load(data.crashed, 0);
console.log(tally.line(
  produced,
  { failed, crashed, redelivered },
  // Units are numbered as taken, so a redelivered one has a second number;
  // the crashed attempt's number is the one never finished.
  { ids: taken, excused: crashedSeq ? [crashedSeq] : [] },
));
