// The efd_notify client checks its arguments before any syscall, on a host
// without the module: a channel opened on /dev/null reaches every method,
// whose ioctl then fails with ENOTTY, so a TypeError/RangeError proves the
// check came first and an ENOTTY proves a valid call got through it.
import assert from "node:assert/strict";
import {
  ClosedError,
  EfdNotifyChannel,
  ErrnoError,
  EventFd,
  ModuleNotLoadedError,
} from "../mod.ts";

const isErrno = (code: string) => (e: unknown) =>
  e instanceof ErrnoError && e.code === code;

function names(kind: typeof TypeError, ...words: string[]) {
  return (e: unknown) => {
    assert.ok(e instanceof kind, `${e} is not a ${kind.name}`);
    for (const w of words) assert.match(e.message, new RegExp(w));
    return true;
  };
}

Deno.test("kernel client: open() of a missing device is ModuleNotLoadedError", () => {
  assert.throws(
    () => EfdNotifyChannel.open({ path: "/nonexistent/efd_notify" }),
    ModuleNotLoadedError,
  );
});

Deno.test("kernel client: open() checks options and path before opening", () => {
  const cases: [unknown, typeof TypeError, string][] = [
    [null, TypeError, "options"],
    [5, TypeError, "options"],
    [{ path: 5 }, TypeError, "path"],
    [{ path: Symbol("p") }, TypeError, "path"],
    [{ path: "" }, RangeError, "path"],
    // Without the check, C would open "/dev/null" and ignore the rest.
    [{ path: "/dev/null\0/efd_notify" }, RangeError, "path"],
  ];
  for (const [options, kind, word] of cases) {
    assert.throws(
      () => EfdNotifyChannel.open(options as never),
      names(kind, word),
      String(word),
    );
  }
});

Deno.test("kernel client: fire, attach and startPeriodic check arguments before the ioctl", () => {
  using ch = EfdNotifyChannel.open({ path: "/dev/null" });
  const closed = EventFd.create();
  closed.close();
  const cases: [string, () => unknown, typeof TypeError, string][] = [
    ["fire 0", () => ch.fire(0), RangeError, "count"],
    ["fire NaN", () => ch.fire(NaN), RangeError, "count"],
    ["fire 1.5", () => ch.fire(1.5), RangeError, "count"],
    ["fire 2^40", () => ch.fire(2 ** 40), RangeError, "count"],
    ["fire '1'", () => ch.fire("1" as never), TypeError, "count"],
    ["fire symbol", () => ch.fire(Symbol() as never), TypeError, "count"],
    ["attach -1", () => ch.attach(-1), RangeError, "eventfd"],
    ["attach '3'", () => ch.attach("3" as never), TypeError, "eventfd"],
    ["attach null", () => ch.attach(null as never), TypeError, "eventfd"],
    [
      "periodic undefined",
      () => ch.startPeriodic(undefined as never),
      TypeError,
      "options",
    ],
    [
      "periodic null",
      () => ch.startPeriodic(null as never),
      TypeError,
      "options",
    ],
    ["periodic {}", () => ch.startPeriodic({} as never), TypeError, "periodNs"],
    [
      "periodic 1 ns",
      () => ch.startPeriodic({ periodNs: 1, count: 1 }),
      RangeError,
      "periodNs",
    ],
    [
      "periodic count Infinity",
      () => ch.startPeriodic({ periodNs: 1e6, count: Infinity }),
      RangeError,
      "count",
    ],
    [
      "periodic perTick 0",
      () => ch.startPeriodic({ periodNs: 1e6, count: 1, perTick: 0 }),
      RangeError,
      "perTick",
    ],
  ];
  for (const [what, call, kind, word] of cases) {
    assert.throws(call, names(kind, word), what);
  }
  assert.throws(() => ch.attach(closed), ClosedError);
  // Valid arguments get through to the ioctl, which /dev/null refuses.
  using efd = EventFd.create({ semaphore: true });
  assert.throws(() => ch.attach(efd), isErrno("ENOTTY"));
  assert.throws(() => ch.fire(3), isErrno("ENOTTY"));
  assert.throws(
    () => ch.startPeriodic({ periodNs: 1e6, count: 2, perTick: 1 }),
    isErrno("ENOTTY"),
  );
});

Deno.test("kernel client: close() is idempotent; a closed channel's calls are ClosedError", () => {
  const ch = EfdNotifyChannel.open({ path: "/dev/null" });
  ch.close();
  ch.close();
  assert.equal(ch.closed, true);
  assert.throws(() => ch.fire(1), ClosedError);
  assert.throws(() => ch.stats(), ClosedError);
});
