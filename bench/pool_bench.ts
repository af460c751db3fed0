/**
 * Pool micro-benchmarks: `deno bench --allow-all bench/pool_bench.ts`.
 * The side-by-side comparison with other pools is `deno task compare`.
 * deno bench exits when the benches end, so the pool is left open.
 */
import { EventFd, WorkerPool } from "../mod.ts";

const handler = new URL("../tests/fixtures/double.ts", import.meta.url);
const pool = new WorkerPool({ workers: 2, handler, maxQueue: 1 << 20 });
await pool.started();
const efd = EventFd.create({ semaphore: true });
const src = pool.attach(efd, { name: "bench" });
let units = 0;

Deno.bench("run(): one task round trip", async () => {
  await pool.run(1);
});

Deno.bench("run(): 1000 tasks in flight", async () => {
  const all = [];
  for (let i = 0; i < 1000; i++) all.push(pool.run(i));
  await Promise.all(all);
});

Deno.bench("source: 1000 units, one write each", async () => {
  for (let i = 0; i < 1000; i++) efd.write(1);
  units += 1000;
  await src.until(units);
});

Deno.bench("source: 1000 units, one write", async () => {
  efd.write(1000);
  units += 1000;
  await src.until(units);
});
