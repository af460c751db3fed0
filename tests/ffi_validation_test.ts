// Every public ffi call checks its arguments before any side effect, with a
// TypeError (wrong type) or RangeError (bad value) naming the argument and
// the value; and a nonblocking EventFd's read() fails with EAGAIN as
// documented instead of waiting.
import assert from "node:assert/strict";
import {
  Epoll,
  EPOLLET,
  EPOLLIN,
  type ErrnoError,
  EventFd,
  poll,
  pollAsync,
  POLLIN,
} from "../mod.ts";
import { errnoName } from "../ffi/mod.ts";
import { deadline, waitUntil } from "./_deadline.ts";

/** The fd numbers this process has open. */
function openFds(): Set<string> {
  return new Set([...Deno.readDirSync("/proc/self/fd")].map((e) => e.name));
}

/**
 * The fds opened since `before`: none, if the checks ran before any side
 * effect. (Closes are ignored: a worker of an earlier test may still be
 * shutting down.)
 */
function openedSince(before: Set<string>): string[] {
  return [...openFds()].filter((fd) => !before.has(fd));
}

/** Messages V8 makes up when code uses a bad value unchecked. */
const ENGINE_MESSAGES =
  /is not a function|Cannot destructure|Cannot read properties|Cannot convert|is not iterable|Invalid string length/;

function expectError(
  what: string,
  kind: typeof TypeError | typeof RangeError,
  ...mentions: string[]
): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof kind, `${what}: ${e} is not a ${kind.name}`);
    // The engine's own messages name a variable by accident, not the rule.
    assert.doesNotMatch(e.message, ENGINE_MESSAGES, what);
    for (const m of mentions) {
      assert.ok(
        e.message.includes(m),
        `${what}: "${e.message}" does not mention ${m}`,
      );
    }
    return true;
  };
}

Deno.test("nonblocking read: an empty counter throws EAGAIN at once, takes nothing", async () => {
  using efd = EventFd.create({ semaphore: true, nonblocking: true });
  // In a Worker, which adopts the fd with fromFd (so the O_NONBLOCK flag is
  // learnt from the kernel): a read() that waits by mistake blocks that
  // thread, not this one.
  const worker = new Worker(
    new URL("./fixtures/ffi_read_once.ts", import.meta.url),
    { type: "module" },
  );
  const messages: unknown[] = [];
  let failed: unknown;
  worker.onmessage = (e) => messages.push(e.data);
  worker.onerror = (e) => {
    e.preventDefault();
    failed = e.error ?? e.message;
  };
  try {
    // Loading (and type-checking) the worker is not what is under test.
    const heard = () => messages.length > 0 || failed !== undefined;
    await waitUntil(heard, 60_000, "worker start");
    assert.equal(messages.shift(), "ready", String(failed));
    worker.postMessage({ fd: efd.fd });
    await waitUntil(heard, 5000, "read() on an empty nonblocking fd");
    const got = messages[0] as Record<string, unknown>;
    assert.equal(got.error, "ErrnoError", JSON.stringify(got));
    assert.equal(got.code, "EAGAIN");
    assert.match(String(got.message), /read\(.*nonblocking/);
  } finally {
    // Unblocks a wrongly waiting read() so the worker can end.
    efd.write(1);
    worker.terminate();
  }
  // The failed read took nothing: exactly the unit written above is there.
  assert.equal(efd.read(), 1n);
  efd.write(2);
  assert.equal(efd.read(), 1n);
  assert.equal(efd.read(), 1n);
  assert.throws(() => efd.read(), (e) => (e as ErrnoError).code === "EAGAIN");
});

const SYMBOL = Symbol("s");
const HUGE = "x".repeat(1 << 20);
const sparse: unknown[] = [];
sparse.length = 2 ** 32 - 1;

Deno.test("validation: EventFd.create rejects bad options before opening an fd", () => {
  const cases: [unknown, typeof TypeError, string, string][] = [
    [null, TypeError, "options", "null"],
    [5, TypeError, "options", "5"],
    [[], TypeError, "options", "array"],
    [{ initval: SYMBOL }, TypeError, "initval", "Symbol(s)"],
    [{ initval: 1n }, TypeError, "initval", "1n"],
    [{ initval: "1" }, TypeError, "initval", '"1"'],
    [{ initval: NaN }, RangeError, "initval", "NaN"],
    [{ initval: Infinity }, RangeError, "initval", "Infinity"],
    [{ initval: -1 }, RangeError, "initval", "-1"],
    [{ initval: 0.5 }, RangeError, "initval", "0.5"],
    [{ initval: 2 ** 32 }, RangeError, "initval", "4294967296"],
    [{ semaphore: "yes" }, TypeError, "semaphore", '"yes"'],
    [{ nonblocking: 1 }, TypeError, "nonblocking", "1"],
    [{ cloexec: null }, TypeError, "cloexec", "null"],
    [{ semaphore: HUGE }, TypeError, "semaphore", "1048576 chars"],
  ];
  const before = openFds();
  for (const [options, kind, name, value] of cases) {
    assert.throws(
      () => EventFd.create(options as never),
      expectError(`create(${name})`, kind, name, value),
    );
  }
  assert.deepEqual(openedSince(before), []);
});

Deno.test("validation: EventFd.fromFd checks fd and options before any syscall", () => {
  using efd = EventFd.create();
  const cases: [unknown, unknown, typeof TypeError, string][] = [
    [SYMBOL, undefined, TypeError, "fd"],
    ["3", undefined, TypeError, "fd"],
    [efd, undefined, TypeError, "fd"],
    [2 ** 31, undefined, RangeError, "fd"],
    [-Infinity, undefined, RangeError, "fd"],
    [efd.fd, null, TypeError, "options"],
    [efd.fd, { owned: "no" }, TypeError, "owned"],
    [efd.fd, { semaphore: 0 }, TypeError, "semaphore"],
  ];
  for (const [fd, options, kind, name] of cases) {
    assert.throws(
      () => EventFd.fromFd(fd as number, options as never),
      expectError(`fromFd(${name})`, kind, name),
    );
  }
  // The bad options did not adopt (and so later close) the fd.
  efd.write(1);
  assert.equal(efd.tryRead(), 1n);
});

Deno.test("validation: write names its count; symbols, strings and objects are TypeErrors", () => {
  using efd = EventFd.create({ initval: 1, nonblocking: true });
  for (
    const [n, value] of [[SYMBOL, "Symbol(s)"], ["1", '"1"'], [{}, "Object"], [
      null,
      "null",
    ]] as const
  ) {
    assert.throws(
      () => efd.write(n as never),
      expectError(`write(${value})`, TypeError, "write", value),
    );
  }
  assert.equal(efd.tryRead(), 1n);
});

Deno.test("validation: readAsync checks options and signal before waiting", async () => {
  using efd = EventFd.create({ initval: 1 });
  for (
    const [options, name] of [
      [null, "options"],
      [{ signal: {} }, "signal"],
      [{ signal: "abort" }, "signal"],
      [{ signal: new AbortController() }, "signal"],
    ] as const
  ) {
    await assert.rejects(
      deadline(efd.readAsync(options as never), 2000, `readAsync(${name})`),
      expectError(`readAsync(${name})`, TypeError, name),
    );
  }
  assert.equal(efd.tryRead(), 1n, "a rejected readAsync took the unit");
});

Deno.test("validation: poll and pollAsync check fds, timeout and options", async () => {
  using efd = EventFd.create({ initval: 1 });
  const ok = [{ fd: efd.fd, events: POLLIN }];
  const cases: [unknown, unknown, unknown, typeof TypeError, string][] = [
    [null, 0, undefined, TypeError, "fds"],
    [{ length: 1 }, 0, undefined, TypeError, "fds"],
    ["ab", 0, undefined, TypeError, "fds"],
    [sparse, 0, undefined, RangeError, "fds"],
    [[null], 0, undefined, TypeError, "fds[0]"],
    [[5], 0, undefined, TypeError, "fds[0]"],
    [[{ fd: "3", events: 1 }], 0, undefined, TypeError, "fds[0].fd"],
    [[{ fd: 2 ** 31, events: 1 }], 0, undefined, RangeError, "fds[0].fd"],
    [
      [{ fd: efd.fd, events: 0x10000 }],
      0,
      undefined,
      RangeError,
      "fds[0].events",
    ],
    [[{ fd: efd.fd }], 0, undefined, TypeError, "fds[0].events"],
    [ok, NaN, undefined, RangeError, "timeoutMs"],
    [ok, Infinity, undefined, RangeError, "timeoutMs"],
    [ok, -2, undefined, RangeError, "timeoutMs"],
    [ok, 2 ** 31, undefined, RangeError, "timeoutMs"],
    [ok, 1.5, undefined, RangeError, "timeoutMs"],
    [ok, "0", undefined, TypeError, "timeoutMs"],
    [ok, 0n, undefined, TypeError, "timeoutMs"],
    [ok, 0, null, TypeError, "options"],
    [ok, 0, { signal: 1 }, TypeError, "signal"],
  ];
  const before = openFds();
  for (const [fds, timeout, options, kind, name] of cases) {
    if (options === undefined) {
      assert.throws(
        () => poll(fds as never, timeout as number),
        expectError(`poll(${name})`, kind, name),
      );
    }
    await assert.rejects(
      deadline(
        pollAsync(fds as never, timeout as number, options as never),
        2000,
        `pollAsync(${name})`,
      ),
      expectError(`pollAsync(${name})`, kind, name),
    );
  }
  // No wake-up eventfd was opened (or leaked) for the rejected waits.
  assert.deepEqual(openedSince(before), []);
  // A negative fd is fine: poll(2) ignores it.
  assert.deepEqual(poll([{ fd: -1, events: POLLIN }], 0), [{
    fd: -1,
    revents: 0,
  }]);
});

Deno.test("validation: Epoll add/modify/delete/wait/waitAsync check every argument", async () => {
  using efd = EventFd.create({ initval: 1 });
  using ep = Epoll.create();
  const cases: [string, () => unknown, typeof TypeError, string][] = [
    ["add fd symbol", () => ep.add(SYMBOL as never, EPOLLIN), TypeError, "fd"],
    ["add fd object", () => ep.add(efd as never, EPOLLIN), TypeError, "fd"],
    ["add fd -1", () => ep.add(-1, EPOLLIN), RangeError, "fd"],
    ["add fd 1.5", () => ep.add(1.5, EPOLLIN), RangeError, "fd"],
    ["add events NaN", () => ep.add(efd.fd, NaN), RangeError, "events"],
    ["add events 2^32", () => ep.add(efd.fd, 2 ** 32), RangeError, "events"],
    ["add events str", () => ep.add(efd.fd, "1" as never), TypeError, "events"],
    ["add data -1", () => ep.add(efd.fd, EPOLLIN, -1), RangeError, "data"],
    [
      "add data 1n",
      () => ep.add(efd.fd, EPOLLIN, 1n as never),
      TypeError,
      "data",
    ],
    ["modify fd NaN", () => ep.modify(NaN, EPOLLIN), RangeError, "fd"],
    ["delete fd null", () => ep.delete(null as never), TypeError, "fd"],
    ["wait timeout Infinity", () => ep.wait(Infinity), RangeError, "timeoutMs"],
    ["wait maxEvents 0", () => ep.wait(0, 0), RangeError, "maxEvents"],
    [
      "wait maxEvents '1'",
      () => ep.wait(0, "1" as never),
      TypeError,
      "maxEvents",
    ],
    ["wait maxEvents 2^31", () => ep.wait(0, 2 ** 31), RangeError, "maxEvents"],
  ];
  for (const [what, call, kind, name] of cases) {
    assert.throws(call, expectError(what, kind, name));
  }
  // None of the rejected adds registered the fd.
  assert.deepEqual(ep.wait(0), []);
  ep.add(efd.fd, EPOLLIN | EPOLLET);
  assert.equal(ep.wait(0).length, 1);
  for (
    const [what, args, kind, name] of [
      ["timeout NaN", [NaN], RangeError, "timeoutMs"],
      ["maxEvents -1", [0, -1], RangeError, "maxEvents"],
      ["options null", [0, 1, null], TypeError, "options"],
      ["signal {}", [0, 1, { signal: {} }], TypeError, "signal"],
    ] as const
  ) {
    await assert.rejects(
      deadline(
        // deno-lint-ignore no-explicit-any
        (ep.waitAsync as any)(...args),
        2000,
        `waitAsync ${what}`,
      ),
      expectError(`waitAsync ${what}`, kind, name),
    );
  }
});

Deno.test("validation: errnoName takes an errno number only", () => {
  assert.equal(errnoName(11), "EAGAIN");
  assert.equal(errnoName(200), "E200");
  for (const bad of [-1, 1.5, NaN, 4096]) {
    assert.throws(
      () => errnoName(bad),
      expectError(`${bad}`, RangeError, "errno"),
    );
  }
  for (const bad of ["toString", SYMBOL, null]) {
    assert.throws(
      () => errnoName(bad as never),
      expectError(String(bad), TypeError, "errno"),
    );
  }
});
