// Cancellation, timeouts, backpressure, lifecycle and argument checks.
// A one-worker pool held busy by a "gate" task makes "queued" and "running"
// states exact, without any timing.
import assert from "node:assert/strict";
import { deadline } from "./_deadline.ts";
import {
  ClosedError,
  EventFd,
  FullError,
  HandlerLoadError,
  TaskTimeoutError,
  WorkerPool,
} from "../mod.ts";

const HANDLER = new URL("./fixtures/pool_handler.ts", import.meta.url);

interface Log {
  ran: number[];
  aborted: { id: number; reason: string }[];
}

/**
 * Occupies `count` workers with gate tasks; resolves once all of them run.
 * `open()` lets them finish; the eventfds close with the returned object.
 */
async function holdWorkers(pool: WorkerPool, count = 1) {
  const gate = EventFd.create({ semaphore: true });
  const started = EventFd.create({ semaphore: true });
  const tasks = Array.from(
    { length: count },
    (_, i) =>
      pool.run({
        op: "gate",
        id: 1000 + i,
        gate: gate.fd,
        started: started.fd,
      }),
  );
  for (let i = 0; i < count; i++) await started.readAsync();
  return {
    tasks,
    open: () => gate.write(count),
    [Symbol.dispose]() {
      gate.close();
      started.close();
    },
  };
}

/** Settles with a rejection reason, or fails the test if the promise resolves. */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  return await p.then(
    (v) => assert.fail(`expected a rejection, got ${JSON.stringify(v)}`),
    (e) => e,
  );
}

Deno.test("abort: queued tasks are removed and never run; a running handler sees ctx.signal", async () => {
  await using pool = new WorkerPool({ workers: 1, handler: HANDLER });
  using started = EventFd.create({ semaphore: true });
  const running = new AbortController();
  const first = pool.run(
    { op: "waitAbort", id: 0, started: started.fd },
    { signal: running.signal },
  );
  await started.readAsync();

  const controllers = Array.from({ length: 10 }, () => new AbortController());
  const queued = controllers.map((c, i) =>
    pool.run({ op: "double", id: i + 1, x: i + 1 }, { signal: c.signal })
  );
  assert.equal(pool.stats().queued, 10);
  for (let i = 0; i < 10; i += 2) {
    controllers[i].abort(new Error(`stop ${i + 1}`));
  }
  running.abort(new Error("stop the running one"));

  assert.equal(
    (await rejection(first) as Error).message,
    "stop the running one",
  );
  const outcomes = await Promise.allSettled(queued);
  for (const [i, o] of outcomes.entries()) {
    assert.deepEqual(
      o,
      i % 2 === 0
        ? { status: "rejected", reason: new Error(`stop ${i + 1}`) }
        : { status: "fulfilled", value: 2 * (i + 1) },
    );
  }
  const log = await pool.run<Log>({ op: "log" });
  assert.deepEqual(
    log.ran,
    [0, 2, 4, 6, 8, 10],
    "aborted queued tasks never ran",
  );
  assert.deepEqual(log.aborted, [{ id: 0, reason: "stop the running one" }]);
  assert.deepEqual(pool.stats().tasks, {
    completed: 6,
    failed: 0,
    cancelled: 6,
    timedOut: 0,
  });

  // An already aborted signal refuses the task up front.
  const gone = AbortSignal.abort(new Error("too late"));
  assert.equal(
    (await rejection(pool.run({ op: "log" }, { signal: gone })) as Error)
      .message,
    "too late",
  );
});

Deno.test("timeout: a queued task is dropped unrun, a running one aborts its handler; both reject with TaskTimeoutError", async () => {
  await using pool = new WorkerPool({ workers: 1, handler: HANDLER });
  {
    using held = await holdWorkers(pool);
    const late = await rejection(
      pool.run({ op: "double", id: 1, x: 1 }, { timeout: 1 }),
    );
    assert.ok(late instanceof TaskTimeoutError);
    assert.equal(late.timeout, 1);
    held.open();
    await Promise.all(held.tasks);
  }
  using started = EventFd.create({ semaphore: true });
  const slow = pool.run({ op: "waitAbort", id: 2, started: started.fd }, {
    timeout: 500,
  });
  await started.readAsync();
  assert.ok(await rejection(slow) instanceof TaskTimeoutError);
  assert.equal(await pool.run({ op: "double", x: 5 }, { timeout: 60_000 }), 10);

  const log = await pool.run<Log>({ op: "log" });
  assert.deepEqual(log.ran, [1000, 2]);
  assert.deepEqual(log.aborted, [{
    id: 2,
    reason: "task timed out after 500 ms",
  }]);
  assert.equal(pool.stats().tasks.timedOut, 2);
  await assert.rejects(pool.run(1, { timeout: -1 }), RangeError);
});

Deno.test("maxQueue: run() past the limit rejects with FullError; ready() waits for room", async () => {
  await using pool = new WorkerPool({
    workers: 1,
    handler: HANDLER,
    maxQueue: 4,
  });
  using held = await holdWorkers(pool);
  const queued = [1, 2, 3, 4].map((x) => pool.run({ op: "double", x }));
  assert.equal(pool.queued, 4);
  const full = await rejection(pool.run({ op: "double", x: 5 }));
  assert.ok(full instanceof FullError);
  assert.equal(full.limit, 4);

  let roomy = false;
  const room = pool.ready().then(() => roomy = true);
  await Promise.resolve();
  assert.equal(roomy, false, "ready() waits while the queue is full");
  held.open();
  await room;
  assert.ok(pool.queued < 4);
  assert.deepEqual(await Promise.all(queued), [2, 4, 6, 8]);
  await Promise.all(held.tasks);
  assert.equal(pool.stats().tasks.completed, 5);
});

Deno.test("close: while busy every queued task still finishes; new work is refused", async () => {
  const pool = new WorkerPool({ workers: 2, handler: HANDLER });
  using efd = EventFd.create({ semaphore: true });
  const src = pool.attach(efd);
  let results: Promise<unknown>[];
  {
    using held = await holdWorkers(pool, 2);
    const queued = Array.from(
      { length: 500 },
      (_, x) => pool.run({ op: "double", x }),
    );
    const closed = pool.close();
    assert.ok(await rejection(pool.run(1)) instanceof ClosedError);
    assert.throws(() => pool.attach(efd), ClosedError);
    assert.equal(pool.close(), closed, "close() twice gives the same promise");
    held.open();
    results = [...held.tasks, ...queued];
    await closed;
  }
  const values = await Promise.all(results);
  assert.deepEqual(values.slice(2), values.slice(2).map((_, x) => 2 * x));
  assert.equal(pool.stats().tasks.completed, 502);
  assert.ok(await rejection(pool.run(1)) instanceof ClosedError);
  await src.detach(); // Already detached by close(): a no-op.
});

Deno.test("close: an idle pool (started or still starting) closes promptly", async () => {
  const guard = (p: Promise<void>) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    return Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("close() hung")), 5_000);
      }),
    ]).finally(() => clearTimeout(timer));
  };
  const idle = new WorkerPool({ workers: 4, handler: HANDLER });
  await idle.started();
  assert.equal(await idle.run({ op: "double", x: 2 }), 4);
  await guard(idle.close());

  const fresh = new WorkerPool({ workers: 2, handler: HANDLER });
  await guard(fresh.close());
  await guard(fresh.close());

  const disposed = new WorkerPool({ workers: 1, handler: HANDLER });
  await guard(disposed[Symbol.asyncDispose]());
  assert.ok(await rejection(disposed.run(1)) instanceof ClosedError);
});

Deno.test("destroy: while busy, running and queued tasks reject with ClosedError", async () => {
  const pool = new WorkerPool({ workers: 2, handler: HANDLER });
  using started = EventFd.create({ semaphore: true });
  const hanging = [0, 1].map(() =>
    pool.run({ op: "hang", started: started.fd })
  );
  await started.readAsync();
  await started.readAsync();
  const queued = Array.from({ length: 100 }, (_, x) => pool.run(x));
  await pool.destroy();
  for (const p of [...hanging, ...queued]) {
    assert.ok(await rejection(p) instanceof ClosedError);
  }
  assert.equal(pool.stats().tasks.cancelled, 102);
  assert.ok(await rejection(pool.run(1)) instanceof ClosedError);
  await pool.destroy();
  await pool.close();
});

Deno.test("attach: refuses plain (non-semaphore) and closed eventfds, and sources without a handler", async () => {
  await using pool = new WorkerPool({ workers: 1, handler: HANDLER });
  using plain = EventFd.create();
  assert.throws(() => pool.attach(plain), TypeError);
  const closed = EventFd.create({ semaphore: true });
  closed.close();
  assert.throws(() => pool.attach(closed), TypeError);

  await using bare = new WorkerPool({ workers: 1 });
  using efd = EventFd.create({ semaphore: true });
  assert.throws(() => bare.attach(efd), TypeError);
  // ...but a source may bring its own.
  let sum = 0;
  const src = bare.attach(efd, {
    handler: HANDLER,
    onResult: (seq) => sum += seq as number,
  });
  efd.write(10);
  await src.until(10);
  await src.detach();
  assert.equal(sum, 55);
});

Deno.test("constructor: refuses bad sizes", () => {
  assert.throws(() => new WorkerPool({ workers: 0 }), RangeError);
  assert.throws(() => new WorkerPool({ workers: 1.5 }), RangeError);
  assert.throws(() => new WorkerPool({ maxQueue: 0 }), RangeError);
  assert.throws(() => new WorkerPool({ batch: 0 }), RangeError);
});

for (
  const [what, handler, pattern] of [
    [
      "a missing module",
      "./fixtures/pool_nonexistent.ts",
      /not found|No such file/i,
    ],
    [
      "a module without handle()",
      "./fixtures/pool_no_handle.ts",
      /exports no function/,
    ],
  ] as const
) {
  Deno.test(`bad handler: ${what} rejects started() and run() with HandlerLoadError`, async () => {
    const pool = new WorkerPool({
      workers: 2,
      handler: new URL(handler, import.meta.url),
    });
    const early = pool.run(1);
    const err = await rejection(pool.started());
    assert.ok(err instanceof HandlerLoadError, String(err));
    assert.match(err.message, pattern);
    assert.ok(await rejection(early) instanceof HandlerLoadError);
    assert.ok(await rejection(pool.run(2)) instanceof HandlerLoadError);
    await pool.close();
  });
}

Deno.test("until(n): every one of the n units' results has reached onResult when it resolves", async () => {
  // A worker publishes a unit's result and then counts it done; a pump
  // round that drained the results before that count must not resolve
  // until() on it (the gzip demo once saw a block "never handled").
  await using pool = new WorkerPool({ workers: 2, handler: HANDLER });
  using efd = EventFd.create({ semaphore: true });
  let results = 0;
  const src = pool.attach(efd, {
    handler: HANDLER,
    onResult: () => results++,
  });
  for (let n = 1; n <= 4000; n++) {
    efd.write(1);
    await deadline(src.until(n), 10_000, `until(${n})`);
    assert.equal(results, n, `results delivered when until(${n}) resolved`);
  }
});
