// A serial worker takes a backlog several units per system call (io_uring,
// workers/_worker_take.ts): the units of a batch wait in the ledger, and
// whatever stops the batch early must put the unstarted ones back before
// it says it is done. Each test counts every unit: handled + left = written.
import assert from "node:assert/strict";
import { deadline } from "./_deadline.ts";
import { EventFd, WorkerPool } from "../mod.ts";

const S = 20_000;
// Short, so a worker takes units in batches (a batch holds at most 64 µs of
// work at the last unit's pace); every 8th waits on a timer, so the event
// loop turns (a detach or stop gets in) while the rest of its batch waits.
const SLOW =
  "data:text/javascript,export const handle = async (n) => { if ((n.seq & 7) === 0) await new Promise((r) => setTimeout(r, 1)); return n.seq; };";

/** Units still in the counter (a nonblocking fd: tryRead until empty). */
function drainCount(efd: EventFd): number {
  let n = 0;
  while (efd.tryRead() !== null) n++;
  return n;
}

Deno.test("batch: a detach mid-batch puts the unstarted units back before detach() resolves", async () => {
  await using pool = new WorkerPool({ workers: 1 });
  using efd = EventFd.create({ semaphore: true, nonblocking: true });
  const seen = new Set<number>();
  let twice = 0;
  const src = pool.attach(efd, {
    handler: SLOW,
    onResult: (seq) => {
      if (seen.has(seq as number)) twice++;
      seen.add(seq as number);
    },
  });
  await deadline(src.started(), S, "started");
  efd.write(2000);
  await deadline(src.until(100), S, "100 handled");
  await deadline(src.detach(), S, "detach");
  const left = drainCount(efd);
  assert.equal(twice, 0);
  assert.equal(src.stats().handled + left, 2000, `left ${left}`);
  assert.equal(seen.size, src.stats().handled);
  assert.ok(left > 0, "the detach came while units were left");
});

Deno.test("batch: close() mid-batch lets the running unit finish and puts the rest back; destroy() too", async () => {
  for (const how of ["close", "destroy"] as const) {
    const pool = new WorkerPool({ workers: 1 });
    using efd = EventFd.create({ semaphore: true, nonblocking: true });
    let results = 0;
    const src = pool.attach(efd, {
      handler: SLOW,
      onResult: () => results++,
    });
    await deadline(src.started(), S, "started");
    efd.write(2000);
    await deadline(src.until(50), S, "50 handled");
    await deadline(pool[how](), S, how);
    const { handled, redelivered } = src.stats();
    const left = drainCount(efd);
    // destroy() takes back the running unit (marked redelivered, no result)
    // and the unstarted ones (unmarked): all of them are left in the counter.
    assert.equal(handled + left, 2000, `${how}: left ${left}`);
    assert.equal(results, handled);
    assert.ok(redelivered <= 1, `${how}: redelivered ${redelivered}`);
    assert.ok(left > 1500, `${how}: left ${left}`);
  }
});

Deno.test("batch: a burst on a blocking fd is taken whole and each unit once", async () => {
  await using pool = new WorkerPool({
    workers: 2,
    handler: "data:text/javascript,export const handle = (n) => n.seq;",
  });
  using efd = EventFd.create({ semaphore: true });
  let sum = 0;
  const src = pool.attach(efd, { onResult: (seq) => sum += seq as number });
  await deadline(src.started(), S, "started");
  const N = 50_000;
  for (let i = 0; i < N; i += 5000) efd.write(5000);
  await deadline(src.until(N), S, "until(N)");
  assert.equal(sum, N * (N + 1) / 2);
  assert.equal(efd.tryRead(), null);
});

const FAULTY = new URL("./fixtures/pool_faulty.ts", import.meta.url);

Deno.test("batch: tasks taken together — a worker's death gives back the unstarted ones, each task settles once", async () => {
  const pool = new WorkerPool({ workers: 2, handler: FAULTY });
  try {
    await tasksThroughDeaths(pool);
  } finally {
    // Bounded: a lost task would hang close(), and the test with it.
    await deadline(pool.destroy(), S, "destroy");
  }
});

async function tasksThroughDeaths(pool: WorkerPool): Promise<void> {
  await deadline(pool.started(), S, "started");
  const N = 20_000;
  const deaths = new Set([1500, 7001, 7002, 12_345, 19_999]);
  let sum = 0, resolved = 0, died = 0;
  const settled = new Uint8Array(N);
  const runs = Array.from({ length: N }, (_, i) => {
    const op = deaths.has(i)
      ? { op: i % 2 ? "exit" : "die" }
      : { op: "echo", x: i };
    return pool.run(op).then(
      (v) => {
        settled[i]++;
        resolved++;
        sum += v as number;
      },
      (e) => {
        settled[i]++;
        assert.ok(deaths.has(i), `task ${i} rejected: ${e}`);
        assert.equal((e as Error).name, "WorkerDiedError");
        died++;
      },
    );
  });
  await deadline(Promise.all(runs), S, "every task settled");
  assert.equal(died, deaths.size);
  assert.equal(resolved, N - deaths.size);
  let want = N * (N - 1) / 2;
  for (const d of deaths) want -= d;
  assert.equal(sum, want);
  assert.ok(settled.every((n) => n === 1), "each task settled once");
  assert.equal(pool.stats().tasks.completed, N - deaths.size);
}

Deno.test("batch: close() and destroy() amid a backlog of tasks: every promise settles, close() runs them all", async () => {
  for (const how of ["close", "destroy"] as const) {
    const pool = new WorkerPool({ workers: 2, handler: FAULTY });
    await deadline(pool.started(), S, "started");
    const N = 5000;
    let ok = 0, failed = 0;
    const runs = Array.from(
      { length: N },
      (_, i) => pool.run({ op: "echo", x: i }).then(() => ok++, () => failed++),
    );
    await new Promise((r) => setTimeout(r, 5));
    await deadline(pool[how](), S, how);
    await deadline(Promise.all(runs), S, `${how}: every task settled`);
    assert.equal(ok + failed, N, how);
    if (how === "close") assert.equal(ok, N);
  }
});
