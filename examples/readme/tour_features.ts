import assert from "node:assert/strict";
import { WorkerPool } from "@efdpool/efdpool";

// tour_features_handler.ts exports setup(), teardown(), handle(x) and resize(img).
await using pool = new WorkerPool({
  handler: new URL("./tour_features_handler.ts", import.meta.url),
  minWorkers: 1, // elastic: start one, grow to maxWorkers under a backlog,
  maxWorkers: 4, // stop workers idle for idleTimeout ms down to minWorkers
  idleTimeout: 10_000,
  concurrency: 4, // async handlers: up to 4 units in hand per worker
  maxUnitsPerWorker: 100_000, // recycle a worker after that many units
  maxHeapBytes: 512 << 20, // ... or once its heap passes 512 MiB
});
const exits: string[] = [];
pool.addEventListener("workerexit", (e) => exits.push(e.reason));

assert.equal(await pool.run(21), 42); // handle(), after setup()
const img = { w: 800, h: 600 };
// Named task, priority -2..2 (aging: none starves).
assert.deepEqual(await pool.run(img, { name: "resize", priority: 2 }), {
  w: 400,
  h: 300,
});
await pool.addHandler(
  "thumb",
  new URL("./tour_features_thumb_handler.ts", import.meta.url),
);
assert.deepEqual(await pool.run(img, { name: "thumb" }), { w: 64, h: 48 });
await pool.recycle(); // fresh workers, one at a time, nothing lost
assert.ok(exits.includes("recycled"));
assert.equal(await pool.run(5), 10);
console.log("tour: features ok");
