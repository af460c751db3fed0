// Faults: handlers that throw fail only their own task or unit; workers that
// die are replaced, their task rejected or their unit delivered again.
import assert from "node:assert/strict";
import {
  EventFd,
  type Notification,
  TaskFailedError,
  WorkerDiedError,
  WorkerPool,
} from "../mod.ts";

const HANDLER = new URL("./fixtures/pool_handler.ts", import.meta.url);

Deno.test("faults: every 7th task throws; only those reject, with the original error as cause", async () => {
  const tasks = 700;
  await using pool = new WorkerPool({ workers: 3, handler: HANDLER });
  const outcomes = await Promise.allSettled(
    Array.from({ length: tasks }, (_, x) => pool.run({ op: "throw7", x })),
  );
  let failed = 0;
  for (const [x, o] of outcomes.entries()) {
    if (x % 7 === 0) {
      assert.equal(o.status, "rejected", `task ${x}`);
      const e = (o as PromiseRejectedResult).reason;
      assert.ok(e instanceof TaskFailedError, `task ${x}: ${e}`);
      assert.ok(e.cause instanceof Error);
      assert.equal(e.cause.message, `task ${x} failed on purpose`);
      assert.match(e.message, new RegExp(`task ${x} failed on purpose`));
      failed++;
    } else {
      assert.deepEqual(o, { status: "fulfilled", value: x }, `task ${x}`);
    }
  }
  const s = pool.stats();
  assert.deepEqual(s.tasks, {
    completed: tasks - failed,
    failed,
    cancelled: 0,
    timedOut: 0,
  });
  assert.ok(s.workers.every((w) => w.restarts === 0), "no worker died");
});

Deno.test("faults: source units that throw go to onError; the rest to onResult", async () => {
  const units = 2000;
  await using pool = new WorkerPool({ workers: 4, handler: HANDLER });
  using efd = EventFd.create({ semaphore: true });
  const ok = new Uint8Array(units + 1);
  const bad = new Uint8Array(units + 1);
  const messages = new Set<string>();
  const src = pool.attach(efd, {
    data: { throwEvery: 7 },
    onResult: (seq) => ok[seq as number]++,
    onError(err, n) {
      bad[n.seq]++;
      assert.ok(err instanceof Error);
      messages.add(
        err.message === `unit ${n.seq} failed on purpose` ? "ok" : err.message,
      );
    },
  });
  efd.write(units);
  await src.until(units);
  const stats = src.stats();
  await src.detach();
  for (let seq = 1; seq <= units; seq++) {
    const failing = seq % 7 === 0;
    assert.equal(ok[seq], failing ? 0 : 1, `seq ${seq} results`);
    assert.equal(bad[seq], failing ? 1 : 0, `seq ${seq} errors`);
  }
  assert.deepEqual([...messages], ["ok"]);
  const failed = Math.floor(units / 7);
  assert.equal(stats.taken, units);
  assert.equal(stats.failed, failed);
  assert.equal(stats.handled, units - failed);
  assert.ok(pool.stats().workers.every((w) => w.restarts === 0));
});

Deno.test("faults: without onError a unit's error is the pool's error event", async () => {
  const units = 70;
  await using pool = new WorkerPool({ workers: 2, handler: HANDLER });
  using efd = EventFd.create({ semaphore: true });
  const errors: string[] = [];
  pool.addEventListener("error", (ev) => {
    errors.push(((ev as ErrorEvent).error as Error).message);
  });
  const src = pool.attach(efd, { name: "noisy", data: { throwEvery: 7 } });
  efd.write(units);
  await src.until(units);
  await src.detach();
  assert.deepEqual(
    errors.sort(),
    Array.from(
      { length: 10 },
      (_, i) => `unit ${7 * (i + 1)} failed on purpose`,
    )
      .sort(),
  );
});

Deno.test("faults: a handler that kills its worker rejects its task with WorkerDiedError; the slot is refilled", async () => {
  await using pool = new WorkerPool({ workers: 2, handler: HANDLER });
  await pool.started();
  const deaths: string[] = [];
  pool.addEventListener("workererror", (ev) => {
    deaths.push((ev as ErrorEvent).message);
  });
  const before = Array.from(
    { length: 20 },
    (_, x) => pool.run({ op: "double", x }),
  );
  const died = await pool.run({ op: "die" }).catch((e) => e);
  assert.ok(died instanceof WorkerDiedError, String(died));
  assert.match(died.message, /handler killed its worker/);
  assert.deepEqual(await Promise.all(before), before.map((_, x) => 2 * x));

  const after = await Promise.all(
    Array.from({ length: 200 }, (_, x) => pool.run({ op: "double", x })),
  );
  assert.deepEqual(after, after.map((_, x) => 2 * x));
  const s = pool.stats();
  assert.equal(s.workers.reduce((a, w) => a + w.restarts, 0), 1);
  assert.equal(s.workers[died.worker].restarts, 1);
  assert.equal(s.tasks.failed, 1);
  assert.equal(deaths.length, 1);
});

Deno.test("faults: self.close() in a handler finishes that task, then the worker is replaced", async () => {
  await using pool = new WorkerPool({ workers: 1, handler: HANDLER });
  assert.equal(await pool.run({ op: "close" }), "closed");
  const after = await Promise.all(
    Array.from({ length: 50 }, (_, x) => pool.run({ op: "double", x })),
  );
  assert.deepEqual(after, after.map((_, x) => 2 * x));
  assert.equal(pool.stats().workers[0].restarts, 1);
});

Deno.test("faults: a worker killed while holding a source unit; the unit is delivered again", async () => {
  const units = 3000;
  const dieAt = 1234;
  await using pool = new WorkerPool({ workers: 3, handler: HANDLER });
  using efd = EventFd.create({ semaphore: true });
  const seen = new Uint8Array(units + 2);
  const redelivered: Notification[] = [];
  const src = pool.attach(efd, {
    data: { dieAt },
    onResult(seq, n) {
      seen[seq as number]++;
      if (n.redelivered) redelivered.push(n);
    },
  });
  efd.write(units);
  await src.until(units);
  const stats = src.stats();
  await src.detach();
  // The dead worker's seq is lost with it; its unit came back under a new seq.
  assert.equal(seen[dieAt], 0);
  let results = 0;
  for (let seq = 1; seq <= units + 1; seq++) if (seen[seq]) results++;
  assert.equal(results, units);
  assert.ok(seen.every((c) => c <= 1), "no seq twice");
  assert.equal(redelivered.length, 1);
  assert.deepEqual(stats, {
    name: stats.name,
    taken: units + 1,
    handled: units,
    failed: 0,
    redelivered: 1,
  });
  assert.equal(efd.tryRead(), null, "every unit written was taken");
  assert.equal(pool.stats().workers.reduce((a, w) => a + w.restarts, 0), 1);
});
