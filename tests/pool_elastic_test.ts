// Elastic size: minWorkers run from the start, more start (up to
// maxWorkers) while work backs up, and those idle for idleTimeout stop
// again; the soak checks every unit exactly once while the pool grows,
// shrinks, recycles and loses workers mid-run.
import assert from "node:assert/strict";
import { EventFd, type WorkerExitEvent, WorkerPool } from "../mod.ts";
import { deadline, waitUntil } from "./_deadline.ts";
import { assertOnce, tally } from "./_tally.ts";

const ASYNC = new URL("./fixtures/pool_async.ts", import.meta.url);
const S = 30_000;

const serving = (pool: WorkerPool) =>
  pool.stats().workers.filter((w) => w.state === "serving").length;
const parked = (pool: WorkerPool) =>
  pool.stats().workers.filter((w) => w.state === "parked").length;

Deno.test("elastic: starts minWorkers, grows to maxWorkers under a backlog, shrinks back when idle", async () => {
  await using pool = new WorkerPool({
    minWorkers: 1,
    maxWorkers: 4,
    idleTimeout: 150,
    handler: ASYNC,
  });
  assert.equal(pool.size, 4);
  await deadline(pool.started(), S, "started");
  assert.deepEqual([serving(pool), parked(pool)], [1, 3]);
  const exits: WorkerExitEvent[] = [];
  pool.addEventListener("workerexit", (e) => exits.push(e));
  // Rounds of 300 short tasks until all four served at once: a loaded
  // machine starts workers slowly, so no single round is sure to be enough.
  let most = 0;
  const until = Date.now() + S;
  while (most < 4 && Date.now() < until) {
    const tasks = Array.from(
      { length: 300 },
      (_, i) =>
        pool.run({ op: "sleep", ms: 5, x: i }).finally(() => {
          most = Math.max(most, serving(pool));
        }),
    );
    assert.deepEqual(
      await deadline(Promise.all(tasks), S, "tasks"),
      tasks.map((_, i) => i),
    );
  }
  assert.equal(most, 4, "grew to maxWorkers");
  await waitUntil(() => parked(pool) === 3, S, "shrunk to minWorkers");
  // At least the three above minWorkers (one may also have idled mid-run).
  assert.ok(exits.filter((e) => e.reason === "idle").length >= 3);
  // And grows again.
  assert.equal(await pool.run({ op: "sleep", ms: 1, x: 7 }), 7);
});

Deno.test("elastic: minWorkers 0 starts with no worker; the first task starts one", async () => {
  await using pool = new WorkerPool({
    minWorkers: 0,
    maxWorkers: 2,
    idleTimeout: 100,
    handler: ASYNC,
  });
  await deadline(pool.started(), S, "started");
  assert.equal(parked(pool), 2);
  assert.equal(
    await deadline(pool.run({ op: "sleep", ms: 0, x: 1 }), S, "run"),
    1,
  );
  await waitUntil(() => parked(pool) === 2, S, "back to none");
  // With no worker running, units waiting on a source start one.
  using efd = EventFd.create({ semaphore: true });
  const t = tally(pool, efd, 50, {});
  await deadline(t.src.started(), S, "source started");
  efd.write(50);
  await assertOnce(t, efd, 50, [], S);
  await waitUntil(() => parked(pool) === 2, S, "back to none again");
});

Deno.test("elastic: sizes that disagree are refused", () => {
  assert.throws(
    () => new WorkerPool({ minWorkers: 3, maxWorkers: 2 }),
    RangeError,
  );
  assert.throws(
    () => new WorkerPool({ workers: 2, maxWorkers: 3 }),
    /disagree/,
  );
  assert.throws(() => new WorkerPool({ minWorkers: -1 }), RangeError);
  assert.throws(() => new WorkerPool({ maxWorkers: 0 }), RangeError);
  assert.throws(() => new WorkerPool({ idleTimeout: -1 }), RangeError);
});

Deno.test("soak: growing, shrinking, recycling and deaths mid-run, concurrency 2 — every unit exactly once", async () => {
  const UNITS = 9_000;
  const die = [1234, 5678];
  await using pool = new WorkerPool({
    minWorkers: 1,
    maxWorkers: 4,
    idleTimeout: 60,
    concurrency: 2,
    // Some worker takes 750 of each burst's 3000: at least one recycle each.
    maxUnitsPerWorker: 600,
    handler: ASYNC,
  });
  const exits: WorkerExitEvent[] = [];
  pool.addEventListener("workerexit", (e) => exits.push(e));
  let starts = 0;
  pool.addEventListener("workerstart", () => starts++);
  using efd = EventFd.create({ semaphore: true });
  const t = tally(pool, efd, UNITS, { die, maxMs: 2 });
  await deadline(t.src.started(), S, "source started");
  // Three bursts with idle gaps (the pool shrinks) and a recycle() in one.
  for (let burst = 0; burst < 3; burst++) {
    for (let i = 0; i < UNITS / 3; i += 300) {
      efd.write(300);
      await new Promise((r) => setTimeout(r, 3));
      if (burst === 1 && i === 1500) {
        await deadline(pool.recycle(), S, "recycle");
      }
    }
    await deadline(t.src.until(((burst + 1) * UNITS) / 3), S, `burst ${burst}`);
    if (burst < 2) {
      await waitUntil(
        () => parked(pool) === 3,
        S,
        `shrink after burst ${burst}`,
      );
    }
  }
  await assertOnce(t, efd, UNITS, die, S);
  const by = (r: string) => exits.filter((e) => e.reason === r).length;
  // Each gap shrank the pool to one worker: at least one idle exit each.
  assert.ok(by("idle") >= 2, `idle exits ${by("idle")}`);
  assert.ok(by("recycled") >= 1, `recycled ${by("recycled")}`);
  assert.ok(by("died") >= 1, `died ${by("died")}`);
  assert.ok(starts > 3, `starts ${starts}`);
});
