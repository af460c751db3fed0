// run(): payloads of every kind travel to a worker and back intact, and
// many tasks all settle with the right results.
import assert from "node:assert/strict";
import { TaskFailedError, WorkerPool } from "../mod.ts";

const HANDLER = new URL("./fixtures/pool_handler.ts", import.meta.url);

Deno.test("run: payloads of every kind come back equal (fast paths and structured clone)", async () => {
  await using pool = new WorkerPool({ workers: 2, handler: HANDLER });
  const sparse = [1, , 3]; // a hole: JSON would turn it into null
  // A cycle, and nesting past the JSON walk's depth: structured clone.
  const cyclic: Record<string, unknown> = { name: "loop" };
  cyclic.self = cyclic;
  let deep: unknown = "bottom";
  for (let i = 0; i < 100; i++) deep = { i, deep };
  const payloads: unknown[] = [
    0,
    -0,
    42.5,
    NaN,
    Infinity,
    -Infinity,
    Number.MAX_SAFE_INTEGER,
    "",
    "plain",
    "ünïcødé ✓ 🚀",
    "x".repeat(100_000),
    true,
    false,
    null,
    undefined,
    [],
    [1, "two", null, [3]],
    sparse,
    {},
    { a: 1, b: { c: [true, "d"] } },
    { u: undefined, n: NaN },
    new Uint8Array([0, 1, 254, 255]),
    new Uint8Array(0),
    new Int32Array([-1, 2, -3]),
    new Float64Array([0.5, -0]),
    new Map<unknown, unknown>([["k", 1], [2, { v: [3] }]]),
    new Set([1, "a", null]),
    new Date(0),
    123n,
    /re+/gi,
    { nested: new Map([["m", new Set([1])]]), when: new Date(1e12) },
    cyclic,
    deep,
    ["ascii", "ünï", { "ключ": "значение" }],
  ];
  const results = await Promise.all(payloads.map((p) => pool.run(p)));
  for (let i = 0; i < payloads.length; i++) {
    assert.deepStrictEqual(results[i], payloads[i], `payload #${i}`);
  }
  assert.ok(Object.is(results[1], -0), "-0 keeps its sign");
  assert.ok(1 in (results[17] as unknown[]) === false, "the hole stays a hole");

  const buf = new Uint8Array([9, 8, 7]).buffer;
  assert.deepEqual(await pool.run(buf), new Uint8Array([9, 8, 7]).buffer);

  const moved = new Uint8Array([1, 2, 3, 4]).buffer;
  const back = await pool.run(new Uint8Array(moved), { transfer: [moved] });
  assert.equal(moved.byteLength, 0, "a transferred buffer is detached");
  assert.deepEqual(back, new Uint8Array([1, 2, 3, 4]));

  const err = await pool.run(new RangeError("as data")) as Error;
  assert.ok(err instanceof RangeError);
  assert.equal(err.message, "as data");
});

Deno.test("run: a worker's first value that needs structured clone arrives intact, whichever way it comes", async () => {
  // A worker loads node:v8 only when a value needs it: each case is the
  // first such value of a fresh worker, serial and concurrent.
  const cases: [string, unknown, (r: unknown) => void][] = [
    ["a payload", new Map([[1, new Set(["a"])]]), (r) => {
      assert.deepStrictEqual(r, new Map([[1, new Set(["a"])]]));
    }],
    ["a result", { op: "map", x: 3 }, (r) => {
      assert.deepStrictEqual(r, new Map([["x", 3]]));
    }],
    ["a thrown error", { op: "throw7", x: 7 }, (r) => {
      assert.ok(r instanceof TaskFailedError, String(r));
      assert.ok(r.cause instanceof Error);
      assert.equal(r.cause.message, "task 7 failed on purpose");
    }],
    ["a result that cannot travel", { op: "unclonable" }, (r) => {
      assert.ok(r instanceof TaskFailedError, String(r));
      assert.match((r.cause as Error).message, /cannot be sent/);
    }],
  ];
  for (const concurrency of [1, 4]) {
    for (const [what, payload, check] of cases) {
      await using pool = new WorkerPool({
        workers: 1,
        concurrency,
        handler: HANDLER,
      });
      const r = await pool.run(payload).catch((e) => e);
      try {
        check(r);
      } catch (e) {
        throw new Error(`${what}, concurrency ${concurrency}`, { cause: e });
      }
      // The worker serves on, and clones from then on.
      assert.deepStrictEqual(await pool.run(new Date(5)), new Date(5));
      assert.equal(pool.stats().workers[0].restarts, 0);
    }
  }
});

Deno.test("run: payloads and results that cannot travel are refused with a reason", async () => {
  await using pool = new WorkerPool({ workers: 1, handler: HANDLER });
  await assert.rejects(pool.run(() => 1), TypeError);
  await assert.rejects(pool.run({ f: Symbol("s") }), TypeError);
  await assert.rejects(pool.run("x".repeat(8 << 20)), RangeError);

  const unclonable = await pool.run({ op: "unclonable" }).catch((e) => e);
  assert.ok(unclonable instanceof TaskFailedError);
  assert.match((unclonable.cause as Error).message, /cannot be sent/);

  const big = await pool.run({ op: "bigResult", bytes: 2 << 20 }).catch((
    e,
  ) => e);
  assert.ok(big instanceof TaskFailedError);
  assert.match((big.cause as Error).message, /exceeds the result ring/);

  // The worker is fine afterwards.
  assert.equal(await pool.run({ op: "double", x: 4 }), 8);
  assert.equal(pool.stats().workers[0].restarts, 0);
});

Deno.test("run: 100k tasks through ready() backpressure, every result right", async () => {
  const tasks = 100_000;
  await using pool = new WorkerPool({
    workers: 4,
    handler: HANDLER,
    maxQueue: 4096,
  });
  const seen = new Uint8Array(tasks);
  let sum = 0;
  let wrong = 0;
  const all: Promise<void>[] = [];
  for (let i = 0; i < tasks; i++) {
    if (pool.queued >= 4096) await pool.ready();
    all.push(
      pool.run<number>({ op: "double", x: i }).then((r) => {
        if (r !== 2 * i) wrong++;
        seen[i]++;
        sum += r;
      }),
    );
  }
  await Promise.all(all);
  assert.equal(wrong, 0);
  assert.equal(sum, tasks * (tasks - 1));
  assert.ok(seen.every((c) => c === 1));
  const s = pool.stats();
  assert.deepEqual(s.tasks, {
    completed: tasks,
    failed: 0,
    cancelled: 0,
    timedOut: 0,
  });
  assert.equal(s.queued, 0);
  assert.equal(s.running, 0);
  assert.equal(s.workers.reduce((a, w) => a + w.tasks, 0), tasks);
  assert.equal(s.runTime.count, tasks);
  assert.equal(s.waitTime.count, tasks);
});

Deno.test("stats: a worker that ran handlers shows its busy time as utilization in (0, 1]", async () => {
  // Each task spins for 20 ms, so the worker's busy time is > 0 whatever the
  // machine's speed; the pool's age bounds it from above.
  const spin =
    "data:text/javascript,export const handle = () => { const end = performance.now() + 20; while (performance.now() < end); return 1; };";
  await using pool = new WorkerPool({ workers: 1, handler: spin });
  for (let i = 0; i < 3; i++) assert.equal(await pool.run(i), 1);
  const [w] = pool.stats().workers;
  assert.equal(w.tasks, 3);
  assert.ok(w.utilization > 0 && w.utilization <= 1, `${w.utilization}`);
});
