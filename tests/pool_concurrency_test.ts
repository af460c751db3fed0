// concurrency > 1: a worker holds several async units at once, each in a
// ledger cell of its own, and a death gives every one of them back: still
// exactly once, counted by sequence number.
import assert from "node:assert/strict";
import { EventFd, WorkerPool } from "../mod.ts";
import { deadline, waitUntil } from "./_deadline.ts";
import type { AsyncPlan } from "./fixtures/pool_async.ts";

const ASYNC = new URL("./fixtures/pool_async.ts", import.meta.url);
const S = 30_000;

Deno.test("concurrency: one worker runs up to N async tasks at once, never more", async () => {
  await using pool = new WorkerPool({
    workers: 1,
    concurrency: 4,
    handler: ASYNC,
  });
  const most = await deadline(
    Promise.all(
      Array.from({ length: 12 }, () => pool.run({ op: "meet", n: 4 })),
    ),
    S,
    "tasks",
  );
  assert.ok(most.every((m) => m === 4), `most in flight: ${most}`);
  // Sync and async results mixed, in any order, all settle.
  const xs = await deadline(
    Promise.all(
      Array.from(
        { length: 50 },
        (_, i) => pool.run({ op: "sleep", ms: i % 3, x: i }),
      ),
    ),
    S,
    "sleeps",
  );
  assert.deepEqual(xs, Array.from({ length: 50 }, (_, i) => i));
});

Deno.test("concurrency: bad values are refused before any worker starts", () => {
  for (const concurrency of [0, 1.5, -1, 1025]) {
    assert.throws(() => new WorkerPool({ concurrency }), RangeError);
  }
  assert.throws(
    () => new WorkerPool({ concurrency: "2" as unknown as number }),
    /options.concurrency must be a number/,
  );
});

Deno.test("concurrency 4 with deaths: every unit once, each dead worker's units all given back", async () => {
  const UNITS = 3000;
  const die = [150, 900, 901, 1800, 2500];
  await using pool = new WorkerPool({
    workers: 2,
    concurrency: 4,
    handler: ASYNC,
  });
  using efd = EventFd.create({ semaphore: true });
  const seen = new Map<number, number>();
  let most = 0;
  let redeliveredResults = 0;
  const deaths: number[] = [];
  pool.addEventListener("workererror", (e) => deaths.push(e.worker));
  const src = pool.attach(efd, {
    data: { die, maxMs: 4 } satisfies AsyncPlan,
    onResult(r, n) {
      const { seq, inFlight } = r as { seq: number; inFlight: number };
      assert.equal(seq, n.seq);
      seen.set(seq, (seen.get(seq) ?? 0) + 1);
      most = Math.max(most, inFlight);
      if (n.redelivered) redeliveredResults++;
    },
  });
  await deadline(src.started(), S, "source started");
  for (let i = 0; i < UNITS; i += 100) {
    efd.write(100);
    await new Promise((r) => setTimeout(r, 1));
  }
  await deadline(src.until(UNITS), S, "until(UNITS)");
  const stats = src.stats();
  await deadline(src.detach(), S, "detach");
  assert.equal(seen.size, UNITS, "every unit handled");
  assert.ok([...seen.values()].every((c) => c === 1), "none twice");
  for (const seq of die) assert.equal(seen.has(seq), false);
  // 900 and 901 may die in one worker: one death, the other unit revoked.
  assert.ok(deaths.length >= die.length - 1 && deaths.length <= die.length);
  assert.equal(stats.taken, UNITS + stats.redelivered);
  assert.equal(stats.handled, UNITS);
  assert.ok(
    stats.redelivered >= die.length,
    `redelivered ${stats.redelivered}`,
  );
  // A given-back unit is marked redelivered when next taken; if the worker
  // that takes it dies too (it holds up to 4), it is given back again, so
  // one result can stand for several give-backs.
  assert.ok(
    redeliveredResults <= stats.redelivered &&
      redeliveredResults >= stats.redelivered - 4 * (deaths.length - 1),
    `redelivered results ${redeliveredResults} of ${stats.redelivered}`,
  );
  assert.ok(most > 1 && most <= 4, `most in flight ${most}`);
  assert.equal(efd.tryRead(), null);
  await waitUntil(
    () => pool.stats().workers.every((w) => w.state === "serving"),
    S,
    "replacements serving",
  );
});
