/**
 * Pattern 5, a pipeline: work in stages, each with its own pool (so each
 * can have its own size and handler), chained by bounded rings whose
 * semaphores are eventfds (`shared_ring.ts`). Stage k's pool is attached to
 * ring k's `filled` eventfd and pushes into ring k+1. A slow last stage
 * fills the ring before it, which blocks the stage before that, and so on
 * back to the producer on the main thread, which awaits room without
 * blocking its event loop: backpressure end to end, memory bounded by the
 * rings.
 *
 *   deno run --allow-ffi --allow-read=. examples/pipeline.ts [--items 1000]
 *
 * Items go id → id² → id²+1 → checked. Prints each ring's high-water mark,
 * then `done: produced=1000 consumed=1000 duplicates=0 lost=0 stages=3 capacity=4 high_water=4,4,4 producer_waits=…`.
 *
 * @module
 */

import { countSpec, exampleArgs } from "./args.ts";
import { WorkerPool } from "../mod.ts";
import type { StageData } from "./handlers/pipeline_stage.ts";
import { SharedRing } from "./shared_ring.ts";
import { Tally } from "./tally.ts";

const args = exampleArgs(
  "pipeline.ts",
  "A three-stage pipeline of pools joined by bounded rings",
  {
    items: countSpec("items through the pipeline (default 1000)"),
    capacity: countSpec("slots per ring (default 4)"),
  },
);
const items = args.int("items", 1000, 1);
const capacity = args.int("capacity", 4, 1, 1 << 20);
const tally = new Tally(items);
const handler = new URL("./handlers/pipeline_stage.ts", import.meta.url);

// ring 0 feeds stage "square", ring 1 "increment", ring 2 "check".
const stages: StageData["op"][] = ["square", "increment", "check"];
const rings = stages.map(() => SharedRing.create(capacity));
const pools = stages.map((op, k) => {
  const pool = new WorkerPool({ workers: 2, name: op });
  const data: StageData = {
    op,
    input: rings[k].init,
    output: rings[k + 1]?.init,
    counts: op === "check" ? tally.counts : undefined,
    workMs: op === "check" ? 0.5 : 0, // the slow stage: the bottleneck
  };
  return {
    pool,
    src: pool.attach(rings[k].filled, { name: op, handler, data }),
  };
});
await Promise.all(pools.map((p) => p.pool.started()));

// The producer: awaits a free slot in ring 0, which frees only as fast as
// the slowest stage lets items through.
let waits = 0;
for (let id = 1; id <= items; id++) {
  if (await rings[0].pushAsync(id, id)) waits++;
}
console.log(`producer: ${items} items, waited for room ${waits} times`);

await pools.at(-1)!.src.until(items);
for (const { src, pool } of pools) {
  await src.detach();
  await pool.close();
}
const high = rings.map((r) => r.stats().highWater);
high.forEach((h, k) =>
  console.log(`ring ${k} (into ${stages[k]}): high water ${h} of ${capacity}`)
);
for (const r of rings) r[Symbol.dispose]();
console.log(tally.line(items, {
  stages: stages.length,
  capacity,
  high_water: high.join(","),
  producer_waits: waits,
}));
