import assert from "node:assert/strict";
import { FullError } from "../errors.ts";
import { EventFd } from "../ffi/eventfd.ts";
import { POLLIN } from "../ffi/constants.ts";
import type { Completion } from "../io/completion.ts";
import { IoLimitError, IoUnavailableError } from "../io/errors.ts";
import { IoUringSource, setupError } from "../io/uring.ts";
import { WorkerPool } from "../workers/pool.ts";
import { blocksFile, readAllExactlyOnce } from "./io_fixtures.ts";

const dir = Deno.makeTempDirSync({ prefix: "efdpool-uring-" });
const path = `${dir}/blocks.bin`;
const BLOCK = 4096;
const expected = blocksFile(path, 3000, BLOCK);

const ECHO =
  "data:text/javascript,export const handle = (c) => ({ id: c.id, op: c.op, tag: c.tag, res: c.res, code: c.error?.code ?? null });";
type Echo = Pick<Completion, "id" | "op" | "tag" | "res"> & {
  code: string | null;
};

Deno.test("io_uring: 3000 buffered reads at W=4, each CQE handled exactly once with its bytes", async () => {
  await readAllExactlyOnce(
    IoUringSource.create({ depth: 64, blockSize: BLOCK }),
    path,
    expected,
    false,
  );
});

Deno.test("io_uring: 3000 O_DIRECT reads at W=4, each CQE handled exactly once with its bytes", async () => {
  await readAllExactlyOnce(
    IoUringSource.create({ depth: 64, blockSize: BLOCK }),
    path,
    expected,
    true,
  );
});

Deno.test("io_uring: the eventfd counts batches, not CQEs — measured on this kernel", async () => {
  const measured: string[] = [];
  for (const n of [1, 16, 64]) {
    // Not attached: the units stay in the eventfd, the CQEs in the ring.
    const ring = IoUringSource.create({ depth: 64, blockSize: 0 });
    for (let i = 0; i < n; i++) ring.nop(); // one tick: one io_uring_enter
    await new Promise((r) => setTimeout(r, 20));
    let units = 0;
    while (ring.eventfd.tryRead() !== null) units++;
    const cqes = ring.stats().completed;
    await ring.close();
    assert.equal(cqes, n, "every nop posted its CQE");
    assert.ok(units >= 1 && units <= cqes, `${units} units for ${cqes} CQEs`);
    measured.push(`${cqes} CQEs → ${units} unit${units > 1 ? "s" : ""}`);
  }
  console.log(
    `  io_uring eventfd on Linux ${Deno.osRelease()}: ${measured.join(", ")}`,
  );
});

Deno.test("io_uring: timeouts fire once each; polls report events; a bad fd is a typed completion error", async () => {
  await using pool = new WorkerPool({ workers: 4 });
  const ring = IoUringSource.create({ depth: 128, blockSize: BLOCK });
  const got: Echo[] = [];
  pool.attach(ring, { handler: ECHO, onResult: (v) => got.push(v as Echo) });
  for (let i = 0; i < 100; i++) ring.timeout(i % 20, { tag: i });
  const efds = Array.from({ length: 8 }, () => EventFd.create());
  const polls = efds.map((e, i) => ring.poll(e.fd, POLLIN, { tag: 1000 + i }));
  efds.forEach((e) => e.write(1));
  const bad = ring.read(1 << 20, 0); // not an open fd: the CQE says EBADF
  await ring.drain(); // close() would cancel the timeouts still pending
  await ring.close();
  efds.forEach((e) => e.close());
  assert.equal(got.length, 109);
  const timeouts = got.filter((g) => g.op === "timeout");
  assert.deepEqual(
    timeouts.map((t) => t.tag).sort((a, b) => a - b),
    Array.from({ length: 100 }, (_, i) => i),
  );
  assert.ok(timeouts.every((t) => t.res === 0 && t.code === null));
  for (const id of polls) {
    assert.equal(got.find((g) => g.id === id)?.res, POLLIN);
  }
  assert.deepEqual(got.find((g) => g.id === bad), {
    id: bad,
    op: "read",
    tag: 0,
    res: -9,
    code: "EBADF",
  });
});

Deno.test("io_uring: cancel — a timeout completes once as ECANCELED; a finished op is not cancellable", async () => {
  await using pool = new WorkerPool({ workers: 4 });
  const ring = IoUringSource.create({ depth: 16, blockSize: 0 });
  const got: Echo[] = [];
  pool.attach(ring, { handler: ECHO, onResult: (v) => got.push(v as Echo) });
  const long = ring.timeout(60_000);
  const nop = ring.nop();
  assert.equal(ring.cancel(long), true);
  await ring.drain();
  assert.equal(ring.cancel(nop), false);
  assert.equal(ring.cancel(long), false, "already completed");
  await ring.close();
  assert.deepEqual(got.map((g) => [g.id, g.code]).sort(), [
    [long, "ECANCELED"],
    [nop, null],
  ]);
});

Deno.test("io_uring: close with 30 timeouts and polls pending: each handled once, as ECANCELED", async () => {
  await using pool = new WorkerPool({ workers: 4 });
  const ring = IoUringSource.create({ depth: 64, blockSize: 0 });
  const got: Echo[] = [];
  pool.attach(ring, { handler: ECHO, onResult: (v) => got.push(v as Echo) });
  using never = EventFd.create();
  const ids = Array.from(
    { length: 30 },
    (_, i) => i % 2 ? ring.timeout(60_000) : ring.poll(never.fd, POLLIN),
  );
  await ring.close();
  assert.deepEqual(got.map((g) => g.id).sort((a, b) => a - b), ids);
  assert.ok(got.every((g) => g.code === "ECANCELED"));
});

Deno.test("io_uring: a full source throws FullError", async () => {
  const ring = IoUringSource.create({ depth: 1, blockSize: 0 });
  ring.timeout(60_000);
  assert.throws(() => ring.nop(), FullError);
  await ring.close();
});

Deno.test("io_uring: setup failures become errors a user can act on", () => {
  const disabled = setupError(1, 64, 2);
  assert.ok(disabled instanceof IoUnavailableError);
  assert.match(disabled.message, /io_uring_disabled = 2/);
  assert.match(setupError(1, 64, 1).message, /io_uring_group/);
  assert.match(setupError(1, 64, 0).message, /seccomp or container/);
  assert.ok(setupError(38, 64, 0) instanceof IoUnavailableError);
  assert.ok(setupError(12, 64, 0) instanceof IoLimitError);
  assert.throws(() => IoUringSource.create({ depth: 40000 }), RangeError);
  const ring = IoUringSource.create({ depth: 2, blockSize: 0 });
  assert.equal(
    ring.supports("read") && ring.supports("timeout") && ring.supports("poll"),
    true,
  );
  return ring.close();
});
