// Exactly-once delivery: every unit written to an attached semaphore eventfd
// is handled by one worker, once, whoever writes it (this thread, a C
// process, another Deno process). Checked by sequence numbers, not timing.
import assert from "node:assert/strict";
import { EventFd, WorkerPool } from "../mod.ts";
import { spawnWriter } from "./fixtures/pool_remote.ts";

const HANDLER = new URL("./fixtures/pool_handler.ts", import.meta.url);
const UNITS = 1_000_000;
const WORKERS = 4;

/**
 * Serves `efd` with a 4-worker pool while `feed` writes `UNITS` units, then
 * checks that every seq 1..UNITS came back exactly once and the counters agree.
 */
async function assertExactlyOnce(
  efd: EventFd,
  feed: () => Promise<void>,
): Promise<void> {
  await using pool = new WorkerPool({ workers: WORKERS, handler: HANDLER });
  await pool.started();
  const seen = new Uint8Array(UNITS + 1);
  let sum = 0;
  let duplicates = 0;
  let outOfRange = 0;
  let mislabelled = 0;
  const perWorker = new Array(WORKERS).fill(0);
  const src = pool.attach(efd, {
    name: "feed",
    onResult(result, n) {
      const seq = result as number;
      if (seq !== n.seq || n.redelivered) mislabelled++;
      perWorker[n.worker]++;
      if (!(seq >= 1 && seq <= UNITS)) outOfRange++;
      else if (seen[seq]++) duplicates++;
      sum += seq;
    },
  });
  await feed();
  await src.until(UNITS);
  const stats = pool.stats();
  await src.detach();

  let missing = 0;
  for (let i = 1; i <= UNITS; i++) if (!seen[i]) missing++;
  assert.deepEqual({ missing, duplicates, outOfRange, mislabelled }, {
    missing: 0,
    duplicates: 0,
    outOfRange: 0,
    mislabelled: 0,
  });
  assert.equal(sum, UNITS * (UNITS + 1) / 2);
  assert.deepEqual(stats.sources, [{
    name: "feed",
    taken: UNITS,
    handled: UNITS,
    failed: 0,
    redelivered: 0,
  }]);
  assert.equal(stats.workers.length, WORKERS);
  assert.deepEqual(perWorker, stats.workers.map((w) => w.units));
  assert.ok(stats.workers.every((w) => w.restarts === 0 && w.tasks === 0));
  assert.equal(efd.tryRead(), null, "units left in the eventfd");
}

Deno.test("exactly once: 1M units written by this thread, singly and in bursts, W=4", async () => {
  using efd = EventFd.create({ semaphore: true });
  await assertExactlyOnce(efd, async () => {
    let written = 0;
    // Half one write(1) per unit, half in bursts of 1..997; let the pool's
    // result pump run between rounds so results and writes interleave.
    while (written < UNITS / 2) {
      for (let i = 0; i < 10_000; i++) efd.write(1);
      written += 10_000;
      await new Promise((r) => setTimeout(r, 0));
    }
    let burst = 1;
    while (written < UNITS) {
      const n = Math.min(burst, UNITS - written);
      efd.write(n);
      written += n;
      burst = burst % 997 + 1;
      if (burst === 1) await new Promise((r) => setTimeout(r, 0));
    }
  });
});

Deno.test("exactly once: 1M units written by a C process (cc-built), W=4", async () => {
  const dir = await Deno.makeTempDir({ prefix: "efdpool-writer-" });
  try {
    const exe = `${dir}/pool_writer`;
    const source = new URL("./fixtures/pool_writer.c", import.meta.url);
    const cc = await new Deno.Command("cc", {
      args: ["-O2", "-Wall", "-o", exe, source.pathname],
    }).output();
    assert.equal(cc.code, 0, new TextDecoder().decode(cc.stderr));
    const writer = await spawnWriter(exe, [String(UNITS)]);
    using efd = writer.efd;
    await assertExactlyOnce(efd, async () => {
      assert.equal(await writer.go(), `done ${UNITS}`);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("exactly once: 1M units written by a second Deno process, W=4", async () => {
  const script = new URL("./fixtures/pool_writer.ts", import.meta.url);
  const writer = await spawnWriter(Deno.execPath(), [
    "run",
    "--allow-ffi",
    "--allow-env",
    script.href,
    String(UNITS),
  ]);
  using efd = writer.efd;
  await assertExactlyOnce(efd, async () => {
    assert.equal(await writer.go(), `done ${UNITS}`);
  });
});
