// Typed events: workerstart, workerexit (with a reason), workererror,
// drain; and an error nobody listens to is printed once, never lost.
import assert from "node:assert/strict";
import {
  WorkerErrorEvent,
  WorkerExitEvent,
  WorkerPool,
  WorkerStartEvent,
} from "../mod.ts";
import { deadline, waitUntil } from "./_deadline.ts";
import { runFixture } from "./fixtures/ffi_spawn.ts";

const HANDLER = new URL("./fixtures/pool_handler.ts", import.meta.url);
const S = 20_000;

Deno.test("events: workerstart, workererror, workerexit and drain, typed, in order", async () => {
  const pool = new WorkerPool({ workers: 2, handler: HANDLER });
  const log: string[] = [];
  pool.addEventListener("workerstart", (e) => {
    assert.ok(e instanceof WorkerStartEvent);
    log.push(`start`);
  });
  pool.addEventListener("workerexit", (e) => {
    assert.ok(e instanceof WorkerExitEvent);
    log.push(`exit ${e.reason}`);
  });
  pool.addEventListener("workererror", (e) => {
    assert.ok(e instanceof WorkerErrorEvent);
    assert.equal(e.message, `worker ${e.worker} died`);
    log.push("died");
  });
  let drains = 0;
  pool.addEventListener("drain", () => drains++);
  await deadline(pool.started(), S, "started");
  assert.deepEqual(log, ["start", "start"]);
  await Promise.all([1, 2, 3].map((x) => pool.run({ op: "double", x })));
  assert.equal(drains, 1, "drain once the last task settled");
  await assert.rejects(pool.run({ op: "die" }));
  await waitUntil(() => log.length === 5, S, "the replacement's start");
  await deadline(pool.close(), S, "close");
  assert.equal(drains, 2);
  assert.deepEqual(log.slice(2, 4), ["died", "exit died"]);
  assert.deepEqual(log.slice(4).sort(), [
    "exit stopped",
    "exit stopped",
    "start",
  ]);
});

Deno.test("events: a once listener or one removed no longer counts as listening", async () => {
  await using pool = new WorkerPool({ workers: 1, handler: HANDLER });
  const seen: string[] = [];
  const listener = (e: ErrorEvent) => seen.push(e.message);
  pool.addEventListener("error", listener);
  pool.removeEventListener("error", listener);
  pool.addEventListener("error", (e) => seen.push(`once: ${e.message}`), {
    once: true,
  });
  pool.dispatchEvent(new ErrorEvent("error", { message: "m" }));
  pool.dispatchEvent(new ErrorEvent("error", { message: "n" }));
  assert.deepEqual(seen, ["once: m"]);
});

Deno.test("events: a source's handler errors with no error listener are printed on stderr, once", async () => {
  const run = await runFixture("pool_unheard.ts", ["--allow-all"], 60_000);
  assert.equal(run.killed, false, run.stderr);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), "done");
  const lines = run.stderr.split("\n").filter((l) =>
    l.includes(
      'handler of source noisy failed (no "error" listener; shown once)',
    )
  );
  assert.equal(lines.length, 1, run.stderr);
  assert.match(run.stderr, /unit \d failed/);
});
