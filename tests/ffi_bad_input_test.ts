// Bad input gets a clear, typed error and loses nothing.
import assert from "node:assert/strict";
import {
  ClosedError,
  Epoll,
  ErrnoError,
  EventFd,
  EVENTFD_MAX,
  NotAnEventFdError,
} from "../mod.ts";
import { libc } from "../ffi/_libc.ts";
import { runFixture } from "./fixtures/ffi_spawn.ts";

const isErrno = (code: string, syscall?: string) => (e: unknown) =>
  e instanceof ErrnoError && e.code === code &&
  (syscall === undefined || e.syscall === syscall);

Deno.test("bad input: writing 2^64-1 fails with EINVAL and adds nothing", () => {
  using efd = EventFd.create({ initval: 5, nonblocking: true });
  assert.throws(
    () => efd.write(0xffffffffffffffffn),
    isErrno("EINVAL", "write"),
  );
  assert.equal(efd.tryRead(), 5n);
});

Deno.test("bad input: writing past the max on a nonblocking fd fails with EAGAIN, counter unchanged", () => {
  using efd = EventFd.create({ nonblocking: true });
  efd.write(EVENTFD_MAX - 2n);
  assert.throws(() => efd.write(3), isErrno("EAGAIN", "write"));
  efd.write(2); // exactly fills it: the failed write left the counter alone
  assert.throws(() => efd.write(1), isErrno("EAGAIN", "write"));
  assert.equal(efd.read(), EVENTFD_MAX);
});

Deno.test("bad input: zero, negative, non-integer and oversized counts are RangeErrors before any syscall", () => {
  const bad: unknown[] = [
    0,
    0n,
    -1,
    -1n,
    1.5,
    NaN,
    Infinity,
    2 ** 53, // not a safe integer: would lose precision
    0x1_0000_0000_0000_0000n,
  ];
  using efd = EventFd.create({ initval: 1, nonblocking: true });
  const closed = EventFd.create();
  closed.close();
  for (const n of bad) {
    assert.throws(
      () => efd.write(n as number),
      RangeError,
      `write(${String(n)})`,
    );
    // Checked before the fd is touched: a closed fd still reports the RangeError.
    assert.throws(
      () => closed.write(n as number),
      RangeError,
      `closed.write(${String(n)})`,
    );
  }
  // A count of the wrong type is a TypeError, also before the fd is touched.
  assert.throws(() => efd.write("1" as never), TypeError);
  assert.throws(() => closed.write("1" as never), TypeError);
  assert.equal(efd.tryRead(), 1n);
});

Deno.test("bad input: initval outside 0..2^32-1 is a RangeError", () => {
  for (const initval of [-1, 1.5, NaN, 2 ** 32]) {
    assert.throws(
      () => EventFd.create({ initval }),
      RangeError,
      `initval ${initval}`,
    );
  }
});

Deno.test("bad input: every operation on a closed EventFd is ClosedError naming the operation", async () => {
  const efd = EventFd.create({ semaphore: true });
  efd.close();
  const closedError = (op: string) => (e: unknown) =>
    e instanceof ClosedError && e.resource === "eventfd" &&
    e.operation === op;
  assert.throws(() => efd.write(1), closedError("write"));
  assert.throws(() => efd.read(), closedError("read"));
  assert.throws(() => efd.tryRead(), closedError("read"));
  await assert.rejects(efd.readAsync(), closedError("read"));
  assert.equal(efd.fd, -1);
});

Deno.test("bad input: a second close() and [Symbol.dispose] after close do nothing", () => {
  const efd = EventFd.create();
  efd.close();
  efd.close();
  efd[Symbol.dispose]();

  const ep = Epoll.create();
  ep.close();
  ep.close();
  ep[Symbol.dispose]();
});

Deno.test("bad input: fromFd on /dev/null, an epoll fd or a pipe is NotAnEventFdError", () => {
  const devNull = libc().open(
    new TextEncoder().encode("/dev/null\0"),
    0o2000000,
    0,
  );
  assert.ok(devNull >= 0);
  const pipe = new Int32Array(2);
  const SYS_pipe2 = 293n; // x86_64
  const r = libc().syscall(
    SYS_pipe2,
    BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(pipe))),
    0o2000000n,
    0n,
    0n,
    0n,
    0n,
  );
  assert.equal(r, 0n);
  using ep = Epoll.create();
  try {
    for (
      const [fd, what] of [[devNull, "/dev/null"], [ep.fd, "eventpoll"], [
        pipe[0],
        "pipe:",
      ], [pipe[1], "pipe:"]] as const
    ) {
      assert.throws(
        () => EventFd.fromFd(fd),
        (e) =>
          e instanceof NotAnEventFdError && e.fd === fd &&
          e.message.includes(what),
        `fd ${fd} (${what})`,
      );
    }
  } finally {
    for (const fd of [devNull, pipe[0], pipe[1]]) libc().close(fd);
  }
});

Deno.test("bad input: fromFd on a closed fd number is EBADF, on a non-fd a RangeError", () => {
  const efd = EventFd.create();
  const fd = efd.fd;
  efd.close();
  assert.throws(() => EventFd.fromFd(fd), isErrno("EBADF"));
  for (const fd of [-1, 1.5, NaN]) {
    assert.throws(() => EventFd.fromFd(fd), RangeError);
  }
});

Deno.test("bad input: without --allow-ffi the error names the flag", async () => {
  const run = await runFixture("ffi_no_ffi.ts", []);
  assert.equal(run.killed, false);
  assert.notEqual(run.code, 0);
  // Deno's own NotCapable cause names the flag too, so insist on our line.
  assert.match(run.stderr, /FfiUnavailableError: [^\n]*--allow-ffi/);
});
