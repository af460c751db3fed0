import assert from "node:assert/strict";
import { ClosedError, FullError } from "../errors.ts";
import { EventFd } from "../ffi/eventfd.ts";
import { POLLIN } from "../ffi/constants.ts";
import { AioSource } from "../io/aio.ts";
import type { Completion } from "../io/completion.ts";
import { IoLimitError } from "../io/errors.ts";
import { openForRead } from "../io/file.ts";
import { WorkerPool } from "../workers/pool.ts";
import { blocksFile, readAllExactlyOnce } from "./io_fixtures.ts";

const dir = Deno.makeTempDirSync({ prefix: "efdpool-aio-" });
const path = `${dir}/blocks.bin`;
const BLOCK = 4096;
const expected = blocksFile(path, 3000, BLOCK);

/** Reports each completion's id, op, res and error code to the main thread. */
const ECHO =
  "data:text/javascript,export const handle = (c) => ({ id: c.id, op: c.op, res: c.res, code: c.error?.code ?? null });";

Deno.test("aio: 3000 buffered reads at W=4, each handled exactly once with its bytes", async () => {
  const stats = await readAllExactlyOnce(
    AioSource.create({ depth: 64, blockSize: BLOCK }),
    path,
    expected,
    false,
  );
  // RESFD signals once per completion: no unit is ever empty.
  assert.equal(stats.emptyUnits, 0);
});

Deno.test("aio: 3000 O_DIRECT reads at W=4, each handled exactly once with its bytes", async () => {
  await readAllExactlyOnce(
    AioSource.create({ depth: 64, blockSize: BLOCK }),
    path,
    expected,
    true,
  );
});

Deno.test("aio: polls complete with the ready events; a failed read reaches the handler as a typed error", async () => {
  await using pool = new WorkerPool({ workers: 4 });
  const aio = AioSource.create({ depth: 16, blockSize: BLOCK });
  const got: { id: number; op: string; res: number; code: string | null }[] =
    [];
  pool.attach(aio, {
    handler: ECHO,
    onResult: (v) => got.push(v as typeof got[0]),
  });
  const efds = Array.from({ length: 8 }, () => EventFd.create());
  const ids = efds.map((e) => aio.poll(e.fd, POLLIN));
  efds.forEach((e) => e.write(1));
  // O_DIRECT needs aligned offsets: a raw fd skips the check, the kernel says EINVAL.
  using direct = openForRead(path, { direct: true });
  const bad = aio.read(direct.fd, 1, { length: BLOCK });
  await aio.close();
  efds.forEach((e) => e.close());
  assert.equal(got.length, 9);
  for (const id of ids) {
    assert.deepEqual(got.find((g) => g.id === id), {
      id,
      op: "poll",
      res: POLLIN,
      code: null,
    });
  }
  assert.deepEqual(got.find((g) => g.id === bad), {
    id: bad,
    op: "read",
    res: -22,
    code: "EINVAL",
  });
});

Deno.test("aio: cancel — a poll completes once as ECANCELED, a read is not cancellable and completes normally", async () => {
  await using pool = new WorkerPool({ workers: 4 });
  const aio = AioSource.create({ depth: 16, blockSize: BLOCK });
  const got: Completion[] = [];
  pool.attach(aio, {
    handler: ECHO,
    onResult: (v) => got.push(v as Completion),
  });
  using never = EventFd.create();
  const poll = aio.poll(never.fd, POLLIN);
  using file = openForRead(path, { direct: false });
  const read = aio.read(file, 0);
  assert.equal(aio.cancel(poll), true);
  assert.equal(aio.cancel(read), false);
  assert.equal(aio.cancel(12345), false, "unknown id");
  await aio.drain();
  assert.equal(aio.cancel(poll), false, "already completed");
  await aio.close();
  assert.equal(got.length, 2);
  assert.equal(got.find((c) => c.id === poll)?.res, -125);
  assert.equal(got.find((c) => c.id === read)?.res, BLOCK);
});

Deno.test("aio: close with 20 polls pending cancels them: each handled once, nothing lost", async () => {
  await using pool = new WorkerPool({ workers: 4 });
  const aio = AioSource.create({ depth: 32, blockSize: 0 });
  const ids: number[] = [];
  pool.attach(aio, {
    handler: ECHO,
    onResult: (v) => ids.push((v as Completion).id),
  });
  const efds = Array.from({ length: 20 }, () => EventFd.create());
  const submitted = efds.map((e) => aio.poll(e.fd, POLLIN));
  await aio.close();
  efds.forEach((e) => e.close());
  assert.deepEqual(ids.sort((a, b) => a - b), submitted);
  assert.throws(() => aio.poll(0, POLLIN), ClosedError);
});

Deno.test("aio: a full source throws FullError; ready() waits for a slot", async () => {
  await using pool = new WorkerPool({ workers: 2 });
  const aio = AioSource.create({ depth: 2, blockSize: 0 });
  pool.attach(aio, { handler: ECHO });
  using a = EventFd.create();
  aio.poll(a.fd, POLLIN);
  aio.poll(a.fd, POLLIN);
  assert.throws(() => aio.poll(a.fd, POLLIN), FullError);
  a.write(1);
  await aio.ready();
  aio.poll(a.fd, POLLIN); // a slot is free again
  await aio.close();
});

Deno.test("aio: fs.aio-max-nr reached is an IoLimitError naming the sysctl", async () => {
  const made: AioSource[] = [];
  const max = Number(Deno.readTextFileSync("/proc/sys/fs/aio-max-nr"));
  try {
    assert.throws(
      () => {
        for (let i = 0; i <= Math.ceil(max / 32768); i++) {
          made.push(AioSource.create({ depth: 32768, blockSize: 0 }));
        }
      },
      (e: unknown) =>
        e instanceof IoLimitError && /fs\.aio-max-nr/.test(e.message),
    );
  } finally {
    for (const s of made) await s.close();
  }
});

Deno.test("aio: bad options and bad reads fail before reaching the kernel", async () => {
  assert.throws(() => AioSource.create({ depth: 0 }), RangeError);
  assert.throws(() => AioSource.create({ blockSize: -1 }), RangeError);
  const aio = AioSource.create({ depth: 2, blockSize: BLOCK });
  using direct = openForRead(path, { direct: true });
  assert.throws(() => aio.read(direct, 100), /multiples of 4096/);
  assert.throws(() => aio.read(direct, 0, { length: BLOCK * 2 }), /blockSize/);
  assert.throws(() => aio.poll(-1, POLLIN), RangeError);
  // A closed fd: io_submit refuses at once (EBADF), the slot is given back.
  assert.throws(() => aio.read(1 << 20, 0), /EBADF/);
  assert.equal(aio.inFlight, 0);
  await aio.close();
});

Deno.test("aio: close({ signal }) gives up waiting, still detaches and frees everything", async () => {
  await using pool = new WorkerPool({ workers: 1 });
  const aio = AioSource.create({ depth: 4, blockSize: BLOCK });
  const slow =
    "data:text/javascript,export const handle = () => new Promise((r) => setTimeout(r, 300));";
  pool.attach(aio, { handler: slow });
  using file = openForRead(path, { direct: false });
  aio.read(file, 0);
  aio.read(file, BLOCK);
  await assert.rejects(aio.close({ signal: AbortSignal.timeout(50) }), {
    name: "TimeoutError",
  });
  assert.throws(() => aio.read(file, 0), ClosedError);
  assert.equal(aio.stats().completed, 0);
});
