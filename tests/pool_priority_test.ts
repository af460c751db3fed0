// Priority: run(payload, { priority }) lets urgent tasks overtake queued
// ones; aging keeps the lowest from starving under a stream of urgent ones.
import assert from "node:assert/strict";
import { WorkerPool } from "../mod.ts";
import { deadline } from "./_deadline.ts";

const ASYNC = new URL("./fixtures/pool_async.ts", import.meta.url);
const S = 30_000;

Deno.test("priority: queued urgent tasks overtake queued low ones, FIFO within a level", async () => {
  await using pool = new WorkerPool({ workers: 1, handler: ASYNC });
  await deadline(pool.started(), S, "started");
  const done: string[] = [];
  const run = (id: string, priority: number, ms = 0) =>
    pool.run({ op: "sleep", ms, x: id }, { priority }).then((x) => {
      done.push(x as string);
    });
  // All queued in one turn: two go into the shared queue at once (two per
  // worker ahead of need), the rest wait in the pool by priority.
  const all = [run("first", 0, 50)];
  for (let i = 0; i < 10; i++) all.push(run(`low${i}`, -2));
  for (let i = 0; i < 10; i++) all.push(run(`high${i}`, 2));
  await deadline(Promise.all(all), S, "tasks");
  assert.deepEqual(done, [
    "first",
    "low0",
    ...Array.from({ length: 10 }, (_, i) => `high${i}`),
    ...Array.from({ length: 9 }, (_, i) => `low${i + 1}`),
  ]);
});

Deno.test("priority: a low task is not starved by a stream of urgent ones (aging)", async () => {
  await using pool = new WorkerPool({ workers: 1, handler: ASYNC });
  await deadline(pool.started(), S, "started");
  let lowDone = false;
  let streamed = 0;
  const low = pool.run({ op: "sleep", ms: 0, x: 0 }, { priority: -2 }).then(
    () => lowDone = true,
  );
  // Keep eight urgent tasks queued until the low one ran (or 2000 ran).
  const stream = async () => {
    while (!lowDone && streamed < 2000) {
      streamed++;
      await pool.run({ op: "sleep", ms: 1, x: 0 }, { priority: 2 });
    }
  };
  await deadline(
    Promise.all([low, ...Array.from({ length: 8 }, stream)]),
    S,
    "stream",
  );
  assert.ok(
    lowDone && streamed < 2000,
    `urgent tasks before the low one: ${streamed}`,
  );
});

Deno.test("priority: values outside -2..2 are refused before anything is queued", async () => {
  await using pool = new WorkerPool({ workers: 1, handler: ASYNC });
  for (const priority of [3, -3, 1.5, NaN]) {
    await assert.rejects(pool.run(1, { priority }), RangeError);
  }
  await assert.rejects(
    pool.run(1, { priority: "1" as unknown as number }),
    /options.priority must be a number/,
  );
  assert.equal(pool.queued, 0);
});
