// Lifecycle: every way a worker can die, every promise the pool hands out
// settling, and every unit a dying or destroyed worker held given back.
// Each wait has a deadline, so a broken guarantee fails in seconds.
import assert from "node:assert/strict";
import {
  ClosedError,
  EventFd,
  HandlerLoadError,
  type Notification,
  TaskFailedError,
  TaskTimeoutError,
  WorkerDiedError,
  WorkerPool,
} from "../mod.ts";
import { deadline, waitUntil } from "./_deadline.ts";
import type { Plan } from "./fixtures/pool_faulty.ts";

const FAULTY = new URL("./fixtures/pool_faulty.ts", import.meta.url);
const STOP_UNREAD = new URL("./fixtures/pool_stop_unread.ts", import.meta.url);
const NEVER_LOADS =
  "data:text/javascript,await new Promise(() => {}); export const handle = () => 1;";
const S = 20_000;

/**
 * `pool`, whose disposal at the end of the test fails within S ms (and then
 * destroys the pool) instead of hanging the run when a death went unnoticed:
 * every test here that disposes its pool goes through this, since a test
 * that failed on a deadline still closes its pool on the way out.
 */
function bounded(pool: WorkerPool): WorkerPool {
  const close = pool[Symbol.asyncDispose].bind(pool);
  pool[Symbol.asyncDispose] = () =>
    deadline(close(), S, "close() at the end of the test").catch(
      async (e) => {
        await deadline(pool.destroy(), S, "destroy() after a hung close()");
        throw e;
      },
    );
  return pool;
}

/** Serves `units` units of a source with `plan`; returns what came back. */
async function serve(pool: WorkerPool, units: number, plan: Plan) {
  using efd = EventFd.create({ semaphore: true });
  const seen = new Map<number, number>();
  const redelivered: Notification[] = [];
  const src = pool.attach(efd, {
    data: plan,
    onResult(seq, n) {
      seen.set(seq as number, (seen.get(seq as number) ?? 0) + 1);
      if (n.redelivered) redelivered.push(n);
    },
  });
  // Every worker watches the fd before the burst, so only the zero-write
  // recruit can spread it (a late EPOLL_CTL_ADD would find it readable).
  await deadline(src.started(), S, "source started");
  efd.write(units);
  await deadline(src.until(units), S, "until(units)");
  const stats = src.stats();
  await deadline(src.detach(), S, "detach");
  return { seen, redelivered, stats, left: efd.tryRead() };
}

for (
  const [kind, plan] of [
    ["an uncaught error", { die: [40] }],
    ["Deno.exit()", { exit: [40] }],
    ["an unhandled rejection", { reject: [40] }],
  ] satisfies [string, Plan][]
) {
  Deno.test(`death by ${kind} holding a unit: the unit comes back once, marked redelivered`, async () => {
    await using pool = bounded(
      new WorkerPool({ workers: 2, handler: FAULTY }),
    );
    const deaths: string[] = [];
    pool.addEventListener("workererror", (e) => deaths.push(e.type));
    const r = await serve(pool, 200, plan);
    assert.equal(r.seen.has(40), false, "the dead unit's seq has no result");
    assert.equal(r.seen.size, 200, "every unit handled");
    assert.ok([...r.seen.values()].every((c) => c === 1), "none twice");
    assert.equal(r.redelivered.length, 1);
    assert.deepEqual(r.stats, {
      name: r.stats.name,
      taken: 201,
      handled: 200,
      failed: 0,
      redelivered: 1,
    });
    assert.equal(r.left, null);
    assert.equal(deaths.length, 1);
    const s = pool.stats();
    assert.equal(s.workers.reduce((a, w) => a + w.restarts, 0), 1);
    // The slot came back: backoff, then a fresh worker serving.
    await waitUntil(
      () => pool.stats().workers.every((w) => w.state === "serving"),
      S,
      "replacement serving",
    );
    await deadline(pool.close(), S, "close");
    assert.ok(pool.stats().workers.every((w) => w.state === "gone"));
  });
}

Deno.test("deaths right after respawn are faults, not load failures: the pool serves on", async () => {
  await using pool = bounded(new WorkerPool({ workers: 2, handler: FAULTY }));
  await deadline(pool.started(), S, "started");
  // Consecutive seqs: each replacement takes the next unit and dies at once.
  const die = [30, 31, 32, 33, 34, 35, 36, 37];
  const r = await serve(pool, 300, { die });
  assert.equal(r.seen.size, 300);
  assert.ok([...r.seen.values()].every((c) => c === 1));
  for (const seq of die) assert.equal(r.seen.has(seq), false);
  assert.equal(r.stats.redelivered, die.length);
  assert.equal(r.stats.taken, 300 + die.length);
  assert.equal(await deadline(pool.run({ op: "echo", x: 5 }), S, "run"), 5);
  const restarts = pool.stats().workers.reduce((a, w) => a + w.restarts, 0);
  assert.equal(restarts, die.length);
});

Deno.test("self.close() after a unit: the unit is not redelivered (the ledger was cleared)", async () => {
  await using pool = bounded(new WorkerPool({ workers: 2, handler: FAULTY }));
  const r = await serve(pool, 100, { close: [20, 60] });
  assert.equal(r.seen.size, 100);
  assert.ok(r.seen.has(20) && r.seen.has(60));
  assert.equal(r.stats.redelivered, 0);
  assert.equal(r.stats.taken, 100);
  await waitUntil(
    () => pool.stats().workers.reduce((a, w) => a + w.restarts, 0) === 2,
    S,
    "two replacements",
  );
});

Deno.test("tasks: Deno.exit(), an unhandled rejection, a stack overflow", async () => {
  await using pool = bounded(new WorkerPool({ workers: 2, handler: FAULTY }));
  for (const op of ["exit", "reject"] as const) {
    const e = await deadline(pool.run({ op }).catch((e) => e), S, op);
    assert.ok(e instanceof WorkerDiedError, `${op}: ${e}`);
  }
  const e = await deadline(pool.run({ op: "overflow" }).catch((e) => e), S, "");
  assert.ok(e instanceof TaskFailedError, String(e));
  assert.ok((e.cause as Error).name === "RangeError", String(e.cause));
  assert.equal(await deadline(pool.run({ op: "echo", x: 1 }), S, "echo"), 1);
  const s = pool.stats();
  assert.deepEqual(s.tasks, {
    completed: 1,
    failed: 3,
    cancelled: 0,
    timedOut: 0,
  });
  assert.equal(s.workers.reduce((a, w) => a + w.restarts, 0), 2);
  await deadline(pool.close(), S, "close");
});

Deno.test("close() settles when the worker of the last task in flight dies", async () => {
  const pool = new WorkerPool({ workers: 1, handler: FAULTY });
  const p = pool.run({ op: "exit" }).catch((e) => e);
  await deadline(pool.close(), S, "close");
  assert.ok((await p) instanceof WorkerDiedError);
  assert.deepEqual(pool.stats().workers.map((w) => w.state), ["gone"]);
});

Deno.test("close() on a fresh pool waits for its tasks and its workers", async () => {
  const pool = new WorkerPool({ workers: 2, handler: FAULTY });
  let settled = false;
  const p = pool.run({ op: "spin", ms: 50 }).then(() => settled = true);
  await deadline(pool.close(), S, "close");
  assert.equal(settled, true, "the task settled before close() resolved");
  await p;
  assert.deepEqual(pool.stats().workers.map((w) => w.state), ["gone", "gone"]);
});

for (const how of ["close", "destroy"]) {
  Deno.test(`${how}() before the pool read its serving worker's ready message: the process ends`, async () => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", STOP_UNREAD.pathname, how],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const out = await deadline(child.output(), S, "the process's end")
      .catch(async (e) => {
        child.kill("SIGKILL");
        await child.status;
        throw e;
      });
    const dec = new TextDecoder();
    assert.equal(out.code, 0, dec.decode(out.stderr));
    assert.equal(dec.decode(out.stdout), `${how}: stopped\n`);
  });
}

Deno.test("concurrent close() calls share one promise; destroy() during close() settles both", async () => {
  const pool = new WorkerPool({ workers: 1, handler: FAULTY });
  using gate = EventFd.create();
  const t = pool.run({ op: "gate", gate: gate.fd }).catch((e) => e);
  const a = pool.close();
  assert.equal(pool.close(), a);
  const d = pool.destroy();
  assert.equal(pool.destroy(), d);
  await deadline(Promise.all([a, d]), S, "close + destroy");
  assert.ok((await t) instanceof ClosedError);
});

Deno.test("after destroy(), pending close(), until(), ready() and started() settle", async () => {
  const pool = new WorkerPool({
    workers: 1,
    handler: NEVER_LOADS,
    maxQueue: 1,
  });
  using efd = EventFd.create({ semaphore: true });
  const src = pool.attach(efd);
  const until = src.until(5).catch((e) => e);
  const started = pool.started().catch((e) => e);
  const task = pool.run(1).catch((e) => e);
  const ready = pool.ready().then(() => "ready", (e) => e);
  const closing = pool.close();
  await deadline(pool.destroy(), S, "destroy");
  await deadline(closing, S, "close");
  assert.ok((await deadline(until, S, "until")) instanceof ClosedError);
  assert.ok((await deadline(started, S, "started")) instanceof ClosedError);
  assert.ok((await deadline(task, S, "task")) instanceof ClosedError);
  await deadline(ready, S, "ready");
});

Deno.test("a handler ignoring its signal past timeout + grace loses its worker (W=1 serves on)", async () => {
  await using pool = bounded(
    new WorkerPool({
      workers: 1,
      handler: FAULTY,
      timeoutGrace: 100,
    }),
  );
  using started = EventFd.create();
  // The worker must be serving before the clock starts: under load its
  // start-up alone can outlast a short timeout, and the task would then time
  // out in the queue instead of hanging in the handler. The rejection is
  // caught at once so a failed wait below cannot leave it unhandled.
  await deadline(pool.started(), S, "started");
  const hung = pool.run({ op: "hang", started: started.fd }, { timeout: 1000 })
    .catch((e) => e);
  await deadline(started.readAsync(), S, "hang started");
  const e = await deadline(hung, S, "hang");
  assert.ok(e instanceof TaskTimeoutError, String(e));
  assert.equal(await deadline(pool.run({ op: "echo", x: 7 }), S, "after"), 7);
  // The new worker takes tasks from the shared queue as soon as its epoll is
  // set up, a moment before the pool thread reads its "ready" mail.
  await waitUntil(
    () => pool.stats().workers[0].state === "serving",
    S,
    "the replaced slot serving",
  );
  const s = pool.stats();
  assert.equal(s.workers[0].restarts, 1);
  assert.deepEqual(s.tasks, {
    completed: 1,
    failed: 0,
    cancelled: 0,
    timedOut: 1,
  });
});

Deno.test("timeout: 0 is a timeout, not none", async () => {
  await using pool = bounded(new WorkerPool({ workers: 1, handler: FAULTY }));
  using gate = EventFd.create();
  const task = pool.run({ op: "gate", gate: gate.fd }, { timeout: 0 });
  try {
    const e = await deadline(task.catch((e) => e), 5000, "run");
    assert.ok(e instanceof TaskTimeoutError, String(e));
  } finally {
    gate.write(1); // Lets the handler end, whatever happened.
  }
});

Deno.test("a pool handler that never loads rejects started(), run(); close() and destroy() settle", async () => {
  const pool = new WorkerPool({
    workers: 2,
    handler: NEVER_LOADS,
    loadTimeout: 300,
  });
  const e = await deadline(pool.started().catch((e) => e), S, "started");
  assert.ok(e instanceof HandlerLoadError, String(e));
  assert.match(e.message, /did not load within 300 ms/);
  assert.ok((await pool.run(1).catch((e) => e)) instanceof HandlerLoadError);
  await deadline(pool.close(), S, "close");
  await deadline(pool.destroy(), S, "destroy");
});

for (
  const [what, handler] of [
    [
      "a missing module",
      "data:text/javascript,import 'file:///nonexistent.ts';",
    ],
    ["a module that never loads", NEVER_LOADS],
  ]
) {
  Deno.test(`a source whose handler is ${what} fails that attach, not the pool`, async () => {
    await using pool = bounded(
      new WorkerPool({
        workers: 2,
        handler: FAULTY,
        loadTimeout: 5000,
      }),
    );
    await deadline(pool.started(), S, "pool started");
    using efd = EventFd.create({ semaphore: true });
    const errors: string[] = [];
    pool.addEventListener("error", (e) => errors.push(e.type));
    const src = pool.attach(efd, { handler });
    const e = await deadline(src.started().catch((e) => e), S, "started");
    assert.ok(e instanceof HandlerLoadError, String(e));
    assert.ok((await src.until(1).catch((e) => e)) instanceof HandlerLoadError);
    await waitUntil(() => !src.attached, S, "detached");
    assert.equal(errors.length, 1);
    assert.equal(await deadline(pool.run({ op: "echo", x: 3 }), S, "run"), 3);
    // The pool still serves another source.
    const r = await serve(pool, 50, {});
    assert.equal(r.seen.size, 50);
  });
}

Deno.test("destroy() at full speed gives back every unit held or taken during the stop: none lost", async () => {
  // Fast units: at the stop, some workers hold one (the pool revokes and
  // gives it back), others are between two and take one more (which they
  // must give back themselves). A few rounds make both likely.
  for (let round = 0; round < 3; round++) {
    const counter = new SharedArrayBuffer(4);
    const pool = new WorkerPool({ workers: 4, handler: FAULTY });
    await deadline(pool.started(), S, "started");
    using efd = EventFd.create({ semaphore: true });
    const src = pool.attach(efd, { data: { counter } });
    const units = 50_000;
    efd.write(units);
    await waitUntil(() => src.stats().taken > 5000, S, "units flowing");
    await deadline(pool.destroy(), S, "destroy");
    const handled = Atomics.load(new Int32Array(counter), 0);
    let left = 0;
    while (efd.tryRead() !== null) left++;
    // A unit revoked as its handler finished may count twice; none may be lost.
    const at = `round ${round}: ${handled} handled + ${left} left`;
    assert.ok(handled + left >= units, `${at} < ${units}`);
    assert.ok(handled + left <= units + 4, `${at} > ${units} + 4`);
    assert.ok(pool.stats().workers.every((w) => w.state === "gone"));
  }
});

Deno.test("shares: a burst recruits every idle worker (the zero-write wakes a peer)", async () => {
  await using pool = bounded(new WorkerPool({ workers: 4, handler: FAULTY }));
  await deadline(pool.started(), S, "started");
  const r = await serve(pool, 2000, { spinUs: 100 });
  assert.equal(r.seen.size, 2000);
  const units = pool.stats().workers.map((w) => w.units);
  assert.equal(units.reduce((a, b) => a + b, 0), 2000);
  // Without recruiting, one worker takes all 2000; a starved thread on a
  // busy machine may still get few.
  assert.ok(units.every((u) => u >= 20), `shares ${units}`);
});

Deno.test("queued counts cancelled tasks out at once", async () => {
  await using pool = bounded(new WorkerPool({ workers: 1, handler: FAULTY }));
  using gate = EventFd.create();
  using started = EventFd.create();
  const blocker = pool.run({ op: "gate", gate: gate.fd, started: started.fd });
  await deadline(started.readAsync(), S, "blocker started");
  const ac = new AbortController();
  const queued = [1, 2, 3].map((x) =>
    pool.run({ op: "echo", x }, { signal: ac.signal }).catch((e) => e.name)
  );
  const kept = pool.run({ op: "echo", x: 4 });
  assert.equal(pool.stats().queued, 4);
  ac.abort();
  assert.equal(pool.stats().queued, 1);
  gate.write(1);
  assert.equal(await deadline(blocker, S, "blocker"), "opened");
  assert.equal(await deadline(kept, S, "kept"), 4);
  assert.deepEqual(await Promise.all(queued), Array(3).fill("AbortError"));
  const s = pool.stats();
  assert.equal(s.queued, 0);
  assert.equal(s.running, 0);
  assert.deepEqual(s.tasks, {
    completed: 2,
    failed: 0,
    cancelled: 3,
    timedOut: 0,
  });
});
