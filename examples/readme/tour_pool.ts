import assert from "node:assert/strict";
import { EventFd, WorkerPool } from "@efdpool/efdpool";

// tour_handler.ts: export function handle(input, ctx) { ... } (sync or async)
await using pool = new WorkerPool({
  workers: 4, // default: number of cores
  handler: new URL("./tour_handler.ts", import.meta.url),
  maxQueue: 10_000, // run() rejects with FullError beyond this
  batch: 32, // units a worker takes per wake-up before letting others in
});

// Tasks: payloads go through a shared ring, one unit on the task eventfd wakes one worker.
const result = await pool.run({ n: 1 }, {
  timeout: 1000,
  signal: AbortSignal.timeout(5000),
});
assert.deepEqual(result, { n: 2 });
await pool.ready(); // resolves when the queue has room (backpressure)

// Sources: any semaphore eventfd, signalled by anyone (the kernel, C code, another process).
using efd = EventFd.create({ semaphore: true });
let sum = 0;
const src = pool.attach(efd, {
  name: "irq",
  onResult: (seq) => sum += seq as number, // results are shipped only if you ask
  onError: (e, n) => console.error(n.seq, e), // else the pool dispatches an "error" event
});
efd.write(1000); // here this process signals it
await src.until(1000); // resolves when 1000 units were handled
assert.equal(sum, 1000 * 1001 / 2); // each seq 1..1000 exactly once
const stats = pool.stats(); // queue depth, outcomes, wait and run times, per-source, per-worker
assert.equal(stats.sources.find((s) => s.name === "irq")?.handled, 1000);
await src.detach();
console.log("tour: pool ok");
