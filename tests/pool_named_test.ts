// Named tasks, handlers added to a running pool, and setup/teardown hooks
// in the worker.
import assert from "node:assert/strict";
import {
  HandlerLoadError,
  UnknownTaskError,
  WorkerDiedError,
  WorkerPool,
} from "../mod.ts";
import { deadline } from "./_deadline.ts";

const NAMED = new URL("./fixtures/pool_named.ts", import.meta.url);
const S = 20_000;

Deno.test("named tasks: run() calls the export named, default otherwise; unknown names list the known ones", async () => {
  await using pool = new WorkerPool({ workers: 2, handler: NAMED });
  // Before any worker is ready the worker decides; after, the pool does.
  const early = pool.run(1, { name: "nope" });
  await assert.rejects(early, (e: unknown) => {
    assert.ok(e instanceof UnknownTaskError);
    assert.equal(e.taskName, "nope");
    assert.deepEqual(e.known, [
      "based",
      "grow",
      "handle",
      "held",
      "remember",
      "twice",
    ]);
    return true;
  });
  await deadline(pool.started(), S, "started()");
  assert.equal(await pool.run(21, { name: "twice" }), 42);
  assert.equal(await pool.run("x"), "x");
  assert.equal(await pool.run("y", { name: "handle" }), "y");
  // A payload of every shape travels with a name.
  for (
    const p of [null, undefined, 3.5, "ü", { a: [1] }, new Uint8Array([1])]
  ) {
    assert.deepEqual(await pool.run(p, { name: "handle" }), p);
  }
  for (const bad of ["version", "setup", "teardown"]) {
    const p = pool.run(1, { name: bad });
    await assert.rejects(p, bad === "version" ? UnknownTaskError : TypeError);
  }
  await assert.rejects(pool.run(1, { name: "" }), TypeError);
  await assert.rejects(
    pool.run(1, { name: 5 as unknown as string }),
    /options.name must be a string/,
  );
  assert.equal(
    pool.stats().tasks.failed,
    1,
    "only the early unknown name reached a worker",
  );
});

Deno.test("addHandler: a running pool gains a task function, in live and later workers", async () => {
  await using pool = new WorkerPool({ workers: 2, handler: NAMED });
  await deadline(pool.started(), S, "started()");
  await deadline(
    pool.addHandler(
      "square",
      "data:text/javascript,export default (x) => x * x;",
    ),
    S,
    "addHandler",
  );
  const all = await Promise.all(
    Array.from({ length: 40 }, (_, i) => pool.run(i, { name: "square" })),
  );
  assert.deepEqual(all, Array.from({ length: 40 }, (_, i) => i * i));
  await assert.rejects(
    pool.addHandler("square", "data:text/javascript,export default () => 0;"),
    /added already/,
  );
  await assert.rejects(
    pool.addHandler("broken", "data:text/javascript,export const nothing = 1;"),
    HandlerLoadError,
  );
  await assert.rejects(pool.run(1, { name: "broken" }), UnknownTaskError);
  await assert.rejects(pool.addHandler("", NAMED), TypeError);
});

Deno.test("addHandler: a worker started after the add (replacing a dead one) has it too", async () => {
  await using pool = new WorkerPool({ workers: 1, handler: NAMED });
  await pool.addHandler(
    "square",
    "data:text/javascript,export default (x) => x * x;",
  );
  await pool.addHandler(
    "die",
    "data:text/javascript,export default () => Deno.exit(3);",
  );
  await assert.rejects(pool.run(0, { name: "die" }), WorkerDiedError);
  assert.equal(await deadline(pool.run(3, { name: "square" }), S, "run"), 9);
  assert.equal(pool.stats().workers[0].restarts, 1);
});

Deno.test("setup runs before a worker serves; teardown on a graceful exit, its error an error event", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/teardown`;
  const pool = new WorkerPool({ workers: 1, handler: NAMED });
  assert.equal(await pool.run(5, { name: "based" }), 1005);
  assert.equal(
    await pool.run({ path, fail: true }, { name: "remember" }),
    1000,
  );
  const errors: string[] = [];
  pool.addEventListener("error", (e) => errors.push(e.message));
  await deadline(pool.close(), S, "close()");
  assert.equal(await Deno.readTextFile(path), "1000\n");
  assert.deepEqual(errors, ["teardown in worker 0 threw"]);
  await Deno.remove(dir, { recursive: true });
});
