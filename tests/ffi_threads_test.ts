// Several threads on one eventfd: every unit is taken exactly once.
import assert from "node:assert/strict";
import { EventFd } from "../mod.ts";

function startWorker(name: string): Worker {
  return new Worker(new URL(`./fixtures/${name}`, import.meta.url), {
    type: "module",
  });
}

/** Resolves with the worker's next message; worker errors reject. */
function nextMessage<T>(worker: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = () => {
      worker.removeEventListener("message", onMessage);
      worker.removeEventListener("error", onError);
    };
    const onMessage = (e: MessageEvent<T>) => {
      done();
      resolve(e.data);
    };
    const onError = (e: ErrorEvent) => {
      e.preventDefault();
      done();
      reject(new Error(`worker failed: ${e.message}`));
    };
    worker.addEventListener("message", onMessage);
    worker.addEventListener("error", onError);
  });
}

Deno.test("threads: workers blocking in read() on one semaphore eventfd take each unit once", async () => {
  const workers = 4;
  const units = 5000;
  using efd = EventFd.create({ semaphore: true });
  // [0] stop flag, [1] work units taken in total, [2..] per-worker counts.
  const shared = new Int32Array(new SharedArrayBuffer(4 * (2 + workers)));
  const pool = Array.from(
    { length: workers },
    () => startWorker("ffi_semaphore_reader.ts"),
  );
  const finals: Promise<{ taken: number; units: bigint }>[] = [];
  try {
    await Promise.all(pool.map((w, i) => {
      const ready = nextMessage<string>(w);
      w.postMessage({ fd: efd.fd, shared, slot: 2 + i });
      return ready;
    }));
    for (const w of pool) finals.push(nextMessage(w));

    let written = 0;
    let chunk = 1;
    while (written < units) {
      const n = Math.min(chunk, units - written);
      efd.write(n);
      written += n;
      chunk = chunk % 17 + 1; // 1..17, cycling: single units and bursts
      if (written % 500 < n) await new Promise((r) => setTimeout(r, 0));
    }
    for (let seen = 0; (seen = Atomics.load(shared, 1)) < units;) {
      const wait = Atomics.waitAsync(shared, 1, seen, 30_000);
      assert.notEqual(
        await wait.value,
        "timed-out",
        `stuck at ${seen} of ${units} units`,
      );
    }
  } finally {
    // Every unit from here on is a stop unit, one per worker, so each wakes and exits.
    Atomics.store(shared, 0, 1);
    efd.write(workers);
  }
  const reports = await Promise.all(finals);
  for (const w of pool) w.terminate();

  const taken = reports.map((r) => r.taken);
  assert.equal(taken.reduce((a, b) => a + b, 0), units);
  assert.deepEqual(taken, Array.from(shared.subarray(2)));
  // Every read returned exactly 1: work units plus the one stop unit each.
  for (const r of reports) assert.equal(r.units, BigInt(r.taken + 1));
  assert.equal(efd.tryRead(), null);
});

Deno.test("threads: readAsync is woken by writes from a worker, in sequence", async () => {
  using ping = EventFd.create();
  using pong = EventFd.create();
  const stop = 0xdeadn;
  const echo = startWorker("ffi_echo_worker.ts");
  const ready = nextMessage<string>(echo);
  echo.postMessage({ ping: ping.fd, pong: pong.fd, stop });
  await ready;
  const bye = nextMessage<string>(echo);
  try {
    for (let seq = 1n; seq <= 300n; seq++) {
      ping.write(seq);
      // Alternate the async wait with a blocking read(), which must wait
      // for the worker.
      assert.equal(seq % 2n ? await pong.readAsync() : pong.read(), seq);
    }
  } finally {
    ping.write(stop);
  }
  assert.equal(await bye, "bye");
  echo.terminate();
  assert.equal(pong.tryRead(), null);
});

/** How many eventfds this process has open, across all threads. */
function openEventFds(): number {
  let n = 0;
  for (const { name } of Deno.readDirSync("/proc/self/fd")) {
    try {
      if (
        Deno.readLinkSync(`/proc/self/fd/${name}`) === "anon_inode:[eventfd]"
      ) n++;
    } catch {
      // Closed between listing and lookup: not open, so not counted.
    }
  }
  return n;
}

async function runAsyncWorker(): Promise<void> {
  const w = startWorker("ffi_async_worker.ts");
  const done = nextMessage<string>(w);
  w.postMessage(null);
  assert.equal(await done, "done");
  w.terminate();
}

Deno.test("threads: a worker's async waits leave no fd behind when it exits", async () => {
  // The process's first worker makes an eventfd of Deno's own that stays
  // for the life of the process: count from after one.
  await runAsyncWorker();
  const before = openEventFds();
  for (let i = 0; i < 4; i++) await runAsyncWorker();
  // Worker runtimes close their own fds as their threads wind down, so wait
  // for the count to settle (seconds, on a loaded machine); leaked fds would
  // keep it above `before` forever. (It may drop below: workers of earlier
  // test files may still be ending.)
  let after = openEventFds();
  for (let i = 0; i < 1500 && after > before; i++) {
    await new Promise((r) => setTimeout(r, 10));
    after = openEventFds();
  }
  assert.ok(after <= before, `${after - before} eventfds leaked`);
});
