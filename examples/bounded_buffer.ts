/**
 * Pattern 4, the bounded buffer: producers and consumers run at different
 * speeds, and memory must stay bounded. Two EFD_SEMAPHORE eventfds count
 * the free and the filled slots of a ring in a SharedArrayBuffer
 * (`shared_ring.ts`): producers (Web Workers) block in `read()` on `free`
 * when the ring is full, and a pool attached to `filled` consumes each item
 * once.
 *
 *   deno run --allow-ffi --allow-read=. examples/bounded_buffer.ts [--items 2000] [--capacity 8]
 *
 * Prints how often the producers found the ring full, then
 * `done: produced=2000 consumed=2000 duplicates=0 lost=0 capacity=8 high_water=8 producer_waits=…`.
 * `high_water` never exceeds `capacity`: that is the bound.
 *
 * @module
 */

import { countSpec, exampleArgs, workersSpec } from "./args.ts";
import { WorkerPool } from "../mod.ts";
import { SharedRing } from "./shared_ring.ts";
import { Tally } from "./tally.ts";

const args = exampleArgs(
  "bounded_buffer.ts",
  "A bounded buffer: producer threads block when the ring is full, workers drain it",
  {
    items: countSpec("items to pass (default 2000)"),
    capacity: countSpec("ring slots (default 8)"),
    producers: countSpec("producer threads (default 2)"),
    workers: workersSpec(3),
  },
);
const items = args.int("items", 2000, 1);
const producers = args.int("producers", 2, 1, 64);
const capacity = args.int("capacity", 8, 1, 1 << 20);
const workerCount = args.int("workers", 3, 1, 256);

using ring = SharedRing.create(capacity);
const tally = new Tally(items);
await using pool = new WorkerPool({
  workers: workerCount,
  name: "consumers",
});
// Each unit of `filled` is one item: the pool is the consumer side.
const src = pool.attach(ring.filled, {
  name: "filled",
  handler: new URL("./handlers/ring_consumer.ts", import.meta.url),
  data: { ring: ring.init, counts: tally.counts, workMs: 0.2 },
});
await pool.started();

// Split ids 1..items into one contiguous range per producer.
const share = Math.ceil(items / producers);
const waits = await Promise.all(
  Array.from(
    { length: producers },
    (_, i) =>
      new Promise<number>((resolve, reject) => {
        const w = new Worker(
          new URL("./handlers/ring_producer.ts", import.meta.url),
          { type: "module", name: `producer-${i}` },
        );
        w.onmessage = (ev) => resolve(ev.data);
        w.onerror = (ev) => reject(ev.error ?? new Error(ev.message));
        w.postMessage({
          ring: ring.init,
          from: i * share + 1,
          to: Math.min(items, (i + 1) * share),
        });
      }),
  ),
);
waits.forEach((n, i) =>
  console.log(`producer ${i} found the ring full ${n} times and waited`)
);

await src.until(items);
await src.detach();
const { highWater } = ring.stats();
console.log(tally.line(items, {
  capacity: ring.capacity,
  high_water: highWater,
  producer_waits: waits.reduce((a, b) => a + b, 0),
}));
