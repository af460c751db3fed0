// Recycling: a worker past maxUnitsPerWorker or maxHeapBytes, or asked by
// recycle(), finishes what it holds, runs teardown, and a fresh worker
// (with setup) takes its slot. Nothing is lost or run twice.
import assert from "node:assert/strict";
import { EventFd, type WorkerExitEvent, WorkerPool } from "../mod.ts";
import { deadline, waitUntil } from "./_deadline.ts";
import { assertOnce, tally } from "./_tally.ts";

const NAMED = new URL("./fixtures/pool_named.ts", import.meta.url);
const ASYNC = new URL("./fixtures/pool_async.ts", import.meta.url);
const S = 30_000;

function exits(pool: WorkerPool): WorkerExitEvent[] {
  const seen: WorkerExitEvent[] = [];
  pool.addEventListener("workerexit", (e) => seen.push(e));
  return seen;
}

Deno.test("maxUnitsPerWorker: each worker serves at most that many, then a fresh one takes over", async () => {
  await using pool = new WorkerPool({
    workers: 2,
    maxUnitsPerWorker: 60,
    handler: NAMED,
  });
  const ex = exits(pool);
  const starts: number[] = [];
  pool.addEventListener("workerstart", (e) => starts.push(e.worker));
  const out = await deadline(
    Promise.all(
      Array.from({ length: 240 }, (_, i) => pool.run(i, { name: "twice" })),
    ),
    S,
    "tasks",
  );
  assert.deepEqual(out, Array.from({ length: 240 }, (_, i) => 2 * i));
  const s = pool.stats();
  const recycled = s.workers.reduce((a, w) => a + w.recycled, 0);
  assert.ok(recycled >= 240 / 60 - 2, `recycled ${recycled}`);
  assert.equal(ex.filter((e) => e.reason === "recycled").length, recycled);
  assert.equal(s.workers.reduce((a, w) => a + w.restarts, 0), 0, "no deaths");
  assert.equal(s.tasks.completed, 240);
  await waitUntil(() => starts.length === 2 + recycled, S, "fresh workers");
});

Deno.test("maxHeapBytes: a worker whose heap grew past the mark is replaced by a fresh one", async () => {
  await using pool = new WorkerPool({
    workers: 1,
    maxHeapBytes: 48 << 20,
    handler: NAMED,
  });
  const ex = exits(pool);
  assert.equal(await pool.run(1, { name: "grow" }), 1, "1 MiB: under the mark");
  assert.equal(await pool.run(64, { name: "grow" }), 2, "64 MiB: over it");
  await waitUntil(() => ex.length === 1, S, "the recycle");
  assert.equal(ex[0].reason, "recycled");
  assert.equal(await pool.run(0, { name: "held" }), 0, "a fresh heap");
  assert.equal(await pool.run(5, { name: "based" }), 1005, "setup ran again");
  assert.equal(pool.stats().workers[0].recycled, 1);
});

Deno.test("recycle(): every slot in turn, while tasks run; teardown and setup run again", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/teardown`;
  await using pool = new WorkerPool({ workers: 2, handler: NAMED });
  await deadline(pool.started(), S, "started");
  const ex = exits(pool);
  // Worker 0 and 1 each learn where to write on teardown (one task each: W=2, a gate of two).
  await pool.run({ path }, { name: "remember" });
  const busy = Array.from({ length: 2000 }, (_, i) => pool.run(i));
  await deadline(pool.recycle(), S, "recycle()");
  assert.deepEqual(
    await deadline(Promise.all(busy), S, "tasks"),
    busy.map((_, i) => i),
  );
  assert.deepEqual(
    pool.stats().workers.map((w) => [w.recycled, w.state]),
    [[1, "serving"], [1, "serving"]],
  );
  assert.deepEqual(ex.map((e) => [e.worker, e.reason]), [[0, "recycled"], [
    1,
    "recycled",
  ]]);
  assert.match(await Deno.readTextFile(path), /^100[01]\n$/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("soak: recycling by count and by recycle(), concurrency 3, deaths — every unit exactly once", async () => {
  const UNITS = 12_000;
  const die = [777, 4321, 9000];
  await using pool = new WorkerPool({
    workers: 3,
    concurrency: 3,
    maxUnitsPerWorker: 1500,
    handler: ASYNC,
  });
  const ex = exits(pool);
  using efd = EventFd.create({ semaphore: true });
  const t = tally(pool, efd, UNITS, { die, maxMs: 1 });
  await deadline(t.src.started(), S, "source started");
  let recycles = 0;
  for (let i = 0; i < UNITS; i += 500) {
    efd.write(500);
    if (i % 3000 === 0) {
      await deadline(pool.recycle(), S, "recycle()");
      recycles++;
    } else await new Promise((r) => setTimeout(r, 2));
  }
  await assertOnce(t, efd, UNITS, die, S);
  const recycled = ex.filter((e) => e.reason === "recycled").length;
  // Every incarnation but the last of each slot, and those that died, left
  // after 1500 units; recycle() (possibly finding slots still starting) adds more.
  assert.ok(
    recycled >= UNITS / 1500 - 3 - die.length,
    `recycled ${recycled} with ${recycles} recycle() calls`,
  );
  assert.ok(ex.some((e) => e.reason === "died"));
});
