// readAsync: never blocks the event loop, never consumes a unit it does not
// return, and leaves nothing behind that keeps the process alive.
import assert from "node:assert/strict";
import { ClosedError, EventFd } from "../mod.ts";
import { deadline, waitUntil } from "./_deadline.ts";
import { runFixture } from "./fixtures/ffi_spawn.ts";

/** Every wait here has a bound: a broken guarantee fails in seconds. */
const BOUND = 5000;
const within = <T>(p: Promise<T>, what: string) => deadline(p, BOUND, what);

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
const isAbort = (e: unknown) =>
  e instanceof DOMException && e.name === "AbortError";

Deno.test("readAsync: resolves while timers keep firing", async () => {
  using efd = EventFd.create({ semaphore: true });
  const order: string[] = [];
  const read = efd.readAsync().then((v) => {
    order.push("read");
    return v;
  });
  // Three timer turns must run while the read is pending, the last one
  // making the write that lets it finish.
  for (let i = 0; i < 3; i++) {
    await tick();
    order.push(`timer ${i}`);
  }
  efd.write(1);
  assert.equal(await within(read, "readAsync after a write"), 1n);
  assert.deepEqual(order, ["timer 0", "timer 1", "timer 2", "read"]);
  assert.equal(efd.tryRead(), null);
});

Deno.test("readAsync: takes what is there at once, with the fd's read semantics", async () => {
  using sem = EventFd.create({ semaphore: true, initval: 2 });
  assert.equal(await sem.readAsync(), 1n);
  assert.equal(await sem.readAsync(), 1n);
  using plain = EventFd.create({ initval: 2 });
  plain.write(40);
  assert.equal(await plain.readAsync(), 42n);
  assert.equal(plain.tryRead(), null);
});

Deno.test("readAsync: an abort while waiting rejects with the reason and consumes nothing", async () => {
  using efd = EventFd.create({ semaphore: true });
  const ac = new AbortController();
  const read = efd.readAsync({ signal: ac.signal });
  await tick();
  const reason = new Error("no longer wanted");
  ac.abort(reason);
  await assert.rejects(within(read, "aborted readAsync"), (e) => e === reason);
  efd.write(1);
  // Give any wait that outlived its caller time to steal the unit.
  await tick(20);
  assert.equal(efd.tryRead(), 1n);
});

Deno.test("readAsync: a unit that arrives with the abort stays in the counter", async () => {
  using efd = EventFd.create({ semaphore: true });
  const ac = new AbortController();
  const read = efd.readAsync({ signal: ac.signal });
  await tick();
  efd.write(1);
  ac.abort();
  await assert.rejects(within(read, "aborted readAsync"), isAbort);
  assert.equal(efd.tryRead(), 1n);
});

Deno.test("readAsync: an already-aborted signal rejects even when a unit is ready", async () => {
  using efd = EventFd.create({ semaphore: true, initval: 1 });
  await assert.rejects(efd.readAsync({ signal: AbortSignal.abort() }), isAbort);
  assert.equal(efd.tryRead(), 1n);
});

Deno.test("readAsync: a timed-out wait consumes nothing", async () => {
  using efd = EventFd.create({ semaphore: true });
  await assert.rejects(
    within(
      efd.readAsync({ signal: AbortSignal.timeout(10) }),
      "timed-out readAsync",
    ),
    (e) => e instanceof DOMException && e.name === "TimeoutError",
  );
  efd.write(1);
  await tick(20);
  assert.equal(efd.tryRead(), 1n);
});

Deno.test("readAsync: close() rejects every pending wait with ClosedError", async () => {
  const efd = EventFd.create({ semaphore: true });
  const reads = [efd.readAsync(), efd.readAsync(), efd.readAsync()];
  await tick();
  efd.close();
  // Handlers go on all at once: the waits reject together.
  await Promise.all(reads.map((read) =>
    assert.rejects(
      within(read, "readAsync pending at close()"),
      (e) => e instanceof ClosedError && e.resource === "eventfd",
    )
  ));
});

Deno.test("readAsync: concurrent waits on a semaphore fd each take exactly one unit", async () => {
  using efd = EventFd.create({ semaphore: true });
  const readers = 16;
  const reads = Array.from({ length: readers }, () => efd.readAsync());
  await tick();
  efd.write(5);
  await tick();
  efd.write(readers - 5);
  assert.deepEqual(
    await within(Promise.all(reads), "16 concurrent readAsync"),
    Array(readers).fill(1n),
  );
  assert.equal(efd.tryRead(), null);
});

Deno.test("readAsync: surplus waiters give up without taking units meant for others", async () => {
  using efd = EventFd.create({ semaphore: true });
  const units = 8;
  const waiters = Array.from({ length: 12 }, () => {
    const ac = new AbortController();
    const read = efd.readAsync({ signal: ac.signal });
    return { ac, outcome: read.then((v) => v, (e) => e) };
  });
  let settled = 0;
  for (const w of waiters) w.outcome.then(() => settled++);
  efd.write(units);
  await waitUntil(() => settled >= units, BOUND, `${units} waiters served`);
  for (const w of waiters) w.ac.abort();
  const outcomes = await within(
    Promise.all(waiters.map((w) => w.outcome)),
    "aborted surplus waiters",
  );
  assert.equal(outcomes.filter((o) => o === 1n).length, units);
  assert.equal(outcomes.filter(isAbort).length, waiters.length - units);
  assert.equal(efd.tryRead(), null);
  efd.write(3);
  await tick(20);
  assert.deepEqual(
    [efd.tryRead(), efd.tryRead(), efd.tryRead(), efd.tryRead()],
    [1n, 1n, 1n, null],
  );
});

Deno.test("readAsync: concurrent waits on a plain fd each take one whole write", async () => {
  using efd = EventFd.create();
  const reads = Array.from({ length: 4 }, () => efd.readAsync());
  let settled = 0;
  for (const r of reads) r.then(() => settled++);
  const writes = [7n, 1n, 30n, 2n];
  for (const [i, n] of writes.entries()) {
    efd.write(n);
    // One reader takes the lot before the next write, so no two merge.
    await waitUntil(() => settled > i, BOUND, `reader of write ${i}`);
  }
  const got = await within(Promise.all(reads), "4 readAsync on a plain fd");
  assert.deepEqual(got.toSorted(), writes.toSorted());
  assert.equal(efd.tryRead(), null);
});

Deno.test("readAsync: the process exits by itself once no wait is pending", async () => {
  const run = await runFixture(
    "ffi_exit_when_idle.ts",
    ["--allow-ffi"],
    15_000,
  );
  assert.equal(run.killed, false, `still running after 15 s:\n${run.stderr}`);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), {
    got: "1",
    aborted: "AbortError",
    polled: 0,
    events: 0,
  });
});

Deno.test("async waits of a terminated Worker: later units neither crash the process nor go missing", async () => {
  // The waits' polls outlive the Worker and return when the units arrive; a
  // poll writing into the dead isolate's memory once crashed CI.
  using efd = EventFd.create({ semaphore: true, nonblocking: true });
  let written = 0;
  let taken = 0;
  for (let round = 0; round < 4; round++) {
    const workers = Array.from({ length: 3 }, () =>
      new Worker(
        new URL("./fixtures/ffi_abandoned_wait.ts", import.meta.url),
        { type: "module" },
      ));
    await deadline(
      Promise.all(workers.map((w) =>
        new Promise((resolve, reject) => {
          w.onmessage = resolve;
          w.onerror = reject;
          w.postMessage(efd.fd);
        })
      )),
      60_000,
      "workers waiting",
    );
    for (const w of workers) w.terminate();
    // Heap churn in this isolate too, then the units the polls wake on.
    const junk = Array.from({ length: 5000 }, (_, i) => new Uint8Array(i % 96));
    assert.equal(junk.length, 5000);
    await tick(5);
    efd.write(round + 1);
    written += round + 1;
    await tick(5);
    while (efd.tryRead() !== null) taken++;
  }
  assert.equal(taken, written, "every unit read here, none by a dead wait");
});
