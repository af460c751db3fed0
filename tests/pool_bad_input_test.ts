// Bad input and ordinary mistakes: a typed error naming the argument,
// before any side effect; never a crash, a hang or a silent loss.
import assert from "node:assert/strict";
import { EventFd, WorkerPool } from "../mod.ts";
import { deadline, waitUntil } from "./_deadline.ts";
import { runFixture } from "./fixtures/ffi_spawn.ts";

const FAULTY = new URL("./fixtures/pool_faulty.ts", import.meta.url);
const S = 20_000;

/** `fn` throws (or rejects with) `type` whose message names `arg`. */
async function refused(
  fn: () => unknown,
  type: ErrorConstructor | RangeErrorConstructor | TypeErrorConstructor,
  arg: RegExp,
): Promise<void> {
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof type, `expected a ${type.name}, got ${error}`);
  assert.match((error as Error).message, arg);
}

Deno.test("run(): bad options are refused before anything is queued", async () => {
  await using pool = new WorkerPool({ workers: 1, handler: FAULTY });
  const x = { op: "echo", x: 1 };
  await refused(
    () => pool.run(x, { signal: {} as AbortSignal }),
    TypeError,
    /options\.signal/,
  );
  await refused(
    () => pool.run(x, 5 as never),
    TypeError,
    /options must be an object/,
  );
  for (const timeout of [Infinity, -1, NaN, 2 ** 31, -Infinity]) {
    await refused(
      () => pool.run(x, { timeout }),
      RangeError,
      /options\.timeout/,
    );
  }
  await refused(
    () => pool.run(x, { timeout: "5" as never }),
    TypeError,
    /options\.timeout/,
  );
  await refused(
    () => pool.run(x, { transfer: {} as never }),
    TypeError,
    /options\.transfer/,
  );
  await refused(
    () => pool.run(x, { transfer: [new Uint8Array(4)] as never }),
    TypeError,
    /options\.transfer\[0\]/,
  );
  const buf = new ArrayBuffer(8);
  await refused(
    () => pool.run(x, { transfer: [buf, buf] }),
    TypeError,
    /listed twice/,
  );
  assert.equal(buf.detached, false, "nothing was moved");
  await refused(() => pool.run(Symbol("s")), TypeError, /payload/);
  // A bad payload is named even when the signal has fired already.
  await refused(
    () => pool.run(() => 1, { signal: AbortSignal.abort() }),
    TypeError,
    /payload/,
  );
  await refused(() => pool.run(x, [] as never), TypeError, /options must be/);
  assert.equal(await deadline(pool.run(x), S, "run"), 1);
  const s = pool.stats();
  assert.equal(s.tasks.completed, 1);
  assert.equal(s.workers[0].units, 1, "no refused task ran");
  assert.equal(s.queued, 0);
});

Deno.test("constructor: every option checked, named in the error", async () => {
  const bad: [
    object,
    ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor,
    RegExp,
  ][] = [
    [{ workers: NaN }, RangeError, /options\.workers/],
    [{ workers: "2" }, TypeError, /options\.workers/],
    [{ workers: 0 }, RangeError, /options\.workers/],
    [{ maxQueue: 1.5 }, RangeError, /options\.maxQueue/],
    [{ batch: Infinity }, RangeError, /options\.batch/],
    [{ name: Symbol("x") }, TypeError, /options\.name.*Symbol\(x\)/],
    [{ handler: 5 }, TypeError, /options\.handler/],
    [{ loadTimeout: Infinity }, RangeError, /options\.loadTimeout/],
    [{ timeoutGrace: -5 }, RangeError, /options\.timeoutGrace/],
    [[], TypeError, /options must be an object.*array/],
    // null is a value, not "use the default".
    [{ name: null }, TypeError, /options\.name.*null/],
    [{ workers: null }, TypeError, /options\.workers.*null/],
    [{ loadTimeout: null }, TypeError, /options\.loadTimeout.*null/],
    [{ handler: null }, TypeError, /options\.handler.*null/],
  ];
  for (const [options, type, arg] of bad) {
    await refused(() => new WorkerPool(options as never), type, arg);
  }
});

Deno.test("until(): counts that cannot be reached are refused; the signal is checked", async () => {
  await using pool = new WorkerPool({ workers: 1, handler: FAULTY });
  using efd = EventFd.create({ semaphore: true });
  await using src = pool.attach(efd);
  for (const n of [Infinity, NaN, -1, 1.5]) {
    await refused(() => src.until(n), RangeError, /count/);
  }
  await refused(() => src.until("3" as never), TypeError, /count/);
  await refused(
    () => src.until(1, { signal: 1 as never }),
    TypeError,
    /options\.signal/,
  );
  efd.write(2);
  await deadline(src.until(2), S, "until(2)");
});

Deno.test("attach(): the same eventfd twice, a plain one adopted by fd, bad callbacks", async () => {
  await using pool = new WorkerPool({ workers: 1, handler: FAULTY });
  using efd = EventFd.create({ semaphore: true });
  const src = pool.attach(efd);
  await refused(
    () => pool.attach(efd),
    TypeError,
    /attached to this pool already/,
  );
  const twin = EventFd.fromFd(efd.fd, { owned: false });
  await refused(
    () => pool.attach(twin),
    TypeError,
    /attached to this pool already/,
  );
  using plain = EventFd.create();
  const adopted = EventFd.fromFd(plain.fd, { owned: false });
  assert.equal(adopted.semaphore, false, "fdinfo says it is not a semaphore");
  await refused(() => pool.attach(adopted), TypeError, /EFD_SEMAPHORE/);
  await refused(
    () => EventFd.fromFd(plain.fd, { owned: false, semaphore: true }),
    TypeError,
    /not an EFD_SEMAPHORE/,
  );
  using other = EventFd.create({ semaphore: true });
  await refused(
    () => pool.attach(other, { onResult: 5 as never }),
    TypeError,
    /options\.onResult/,
  );
  await refused(
    () => pool.attach(other, { onError: "x" as never }),
    TypeError,
    /options\.onError/,
  );
  await refused(
    () => pool.attach(other, { name: {} as never }),
    TypeError,
    /options\.name/,
  );
  await refused(
    () => pool.attach(other, { handler: null as never }),
    TypeError,
    /options\.handler.*null/,
  );
  await refused(
    () => pool.attach(other, { data: () => 1 }),
    TypeError,
    /options\.data/,
  );
  await refused(
    () => pool.attach({} as EventFd),
    TypeError,
    /eventfd must be an EventFd/,
  );
  assert.equal(pool.stats().sources.length, 1, "nothing else attached");
  await deadline(src.detach(), S, "detach");
});

Deno.test("a throwing onResult is reported as an error event; delivery goes on", async () => {
  await using pool = new WorkerPool({ workers: 2, handler: FAULTY });
  using efd = EventFd.create({ semaphore: true });
  const errors: string[] = [];
  pool.addEventListener("error", (e) => errors.push((e as ErrorEvent).message));
  let calls = 0;
  const src = pool.attach(efd, {
    name: "thrower",
    onResult() {
      calls++;
      throw new Error("onResult broke");
    },
  });
  efd.write(100);
  await deadline(src.until(100), S, "until");
  await deadline(src.detach(), S, "detach");
  assert.equal(calls, 100);
  assert.equal(errors.length, 100);
  assert.match(errors[0], /onResult of source thrower threw/);
});

Deno.test("an attached eventfd closed by its user: the pool keeps serving its own copy, then detaches", async () => {
  await using pool = new WorkerPool({ workers: 2, handler: FAULTY });
  const efd = EventFd.create({ semaphore: true });
  let results = 0;
  const src = pool.attach(efd, { onResult: () => results++ });
  efd.write(200);
  efd.close();
  await deadline(src.until(200), S, "until");
  await deadline(src.detach(), S, "detach");
  assert.equal(results, 200);
  assert.equal(await deadline(pool.run({ op: "echo", x: 9 }), S, "run"), 9);
});

Deno.test("scope order: `await using pool`, `using efd`, attach — exits cleanly", async () => {
  const run = await runFixture("pool_scope_order.ts", ["--allow-all"]);
  assert.equal(run.killed, false, `the process hung:\n${run.stderr}`);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), "done true");
});

Deno.test("PoolSource: asyncDispose detaches; stats survive the detach", async () => {
  await using pool = new WorkerPool({ workers: 1, handler: FAULTY });
  using efd = EventFd.create({ semaphore: true });
  let src;
  {
    await using s = pool.attach(efd, { name: "scoped" });
    src = s;
    efd.write(3);
    await deadline(s.until(3), S, "until");
  }
  assert.equal(src.attached, false);
  assert.equal(src.stats().handled, 3);
  await waitUntil(() => pool.stats().sources.length === 0, S, "forgotten");
});
