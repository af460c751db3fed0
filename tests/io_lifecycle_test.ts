// I/O sources across faults: a worker dying mid-completion hands the
// completion to the unit the pool gives back (AIO never reaps another unit's
// event for it), close() is one promise however many callers, a source
// whose pool is gone stops waiting, and bad arguments fail before the kernel.
import assert from "node:assert/strict";
import { POLLIN } from "../ffi/constants.ts";
import { EventFd } from "../ffi/eventfd.ts";
import { AioSource } from "../io/aio.ts";
import { ClosedError } from "../errors.ts";
import { openForRead } from "../io/file.ts";
import type { IoSource } from "../io/source.ts";
import { IoUringSource } from "../io/uring.ts";
import { WorkerPool } from "../workers/pool.ts";
import { attachTo } from "../workers/attachable.ts";
import { deadline } from "./_deadline.ts";
import { blocksFile } from "./io_fixtures.ts";

const dir = Deno.makeTempDirSync({ prefix: "efdpool-iolife-" });
const path = `${dir}/blocks.bin`;
const BLOCK = 4096;
const BLOCKS = 400;
blocksFile(path, BLOCKS, BLOCK);
const DIES_ONCE = new URL("./fixtures/io_dies_once.ts", import.meta.url);
const ECHO = "data:text/javascript,export const handle = (c) => c.id;";
const S = 20_000;

const backends: [string, () => IoSource][] = [
  ["aio", () => AioSource.create({ depth: 32, blockSize: BLOCK })],
  ["io_uring", () => IoUringSource.create({ depth: 32, blockSize: BLOCK })],
];

for (const [name, make] of backends) {
  Deno.test(`${name}: a worker dying mid-completion — the completion is handled once more, close() ends`, async () => {
    await using pool = new WorkerPool({ workers: 3 });
    const src = make();
    const flag = new SharedArrayBuffer(4);
    const seen = new Map<number, number>();
    let redelivered = 0;
    pool.attach(src, {
      handler: DIES_ONCE,
      data: { dieAt: 123, flag },
      onResult(v, info) {
        const { tag } = v as { tag: number };
        seen.set(tag, (seen.get(tag) ?? 0) + 1);
        if (info.redelivered) redelivered++;
      },
    });
    using f = openForRead(path, { direct: false });
    for (let b = 0; b < BLOCKS; b++) {
      await deadline(src.ready(), S, "ready");
      src.read(f, b * BLOCK, { tag: b });
    }
    await deadline(src.close(), S, "close");
    assert.equal(Atomics.load(new Int32Array(flag), 0), 1, "a worker died");
    assert.equal(seen.size, BLOCKS, "every completion handled");
    assert.ok([...seen.values()].every((c) => c === 1), "none twice");
    assert.equal(redelivered, 1);
    assert.equal(src.stats().inFlight, 0);
    assert.equal(pool.stats().workers.reduce((a, w) => a + w.restarts, 0), 1);
  });

  Deno.test(`${name}: concurrent close() calls share one promise and both wait for the work in flight`, async () => {
    await using pool = new WorkerPool({ workers: 2 });
    const src = make();
    let handled = 0;
    pool.attach(src, { handler: ECHO, onResult: () => handled++ });
    using f = openForRead(path, { direct: false });
    for (let b = 0; b < 20; b++) src.read(f, b * BLOCK, { tag: b });
    const a = src.close();
    const b = src.close();
    assert.equal(a, b);
    await deadline(b, S, "second close");
    assert.equal(handled, 20, "the second close waited too");
    assert.equal(src.stats().inFlight, 0);
  });

  Deno.test(`${name}: a source whose pool was destroyed stops waiting in close()`, async () => {
    const pool = new WorkerPool({ workers: 1 });
    const src = make();
    pool.attach(src, { handler: ECHO });
    using efd = EventFd.create();
    src.poll(efd.fd, POLLIN); // never ready
    await deadline(pool.destroy(), S, "destroy");
    const e = await deadline(src.close().catch((e) => e), S, "close");
    // The poll was cancelled, but no worker is left to handle its completion.
    assert.ok(e instanceof ClosedError, String(e));
  });

  Deno.test(`${name}: bad arguments fail before the kernel, naming the argument`, async () => {
    await using pool = new WorkerPool({ workers: 1 });
    const src = make();
    using f = openForRead(path, { direct: false });
    const bad: [() => unknown, ErrorConstructor, RegExp][] = [
      [() => src.read(NaN, 0), RangeError, /file/],
      [() => src.read(-1, 0), RangeError, /file/],
      [() => src.read("3" as never, 0), TypeError, /file/],
      [() => src.read({ fd: 0 } as never, 0), TypeError, /file/],
      [() => src.read(f, NaN), RangeError, /offset/],
      [() => src.read(f, 0, { length: 1.5 }), RangeError, /options\.length/],
      [() => src.read(f, 0, { tag: NaN }), RangeError, /options\.tag/],
      [() => src.read(f, 0, 7 as never), TypeError, /options/],
      [() => src.poll(Infinity, POLLIN), RangeError, /fd/],
      [() => src.poll(0, 1.5), RangeError, /events/],
      [() => src.cancel("1" as never), TypeError, /id/],
      [() => pool.attach(src, {} as never), TypeError, /options\.handler/],
      [
        () => src[attachTo]({} as never, { handler: ECHO }),
        TypeError,
        /^pool /,
      ],
      [
        () => pool.attach(src, { handler: ECHO, onResult: 1 as never }),
        TypeError,
        /options\.onResult/,
      ],
      [() => src.read(f, 0, { tag: 0.5 }), RangeError, /options\.tag.*0\.5/],
      [() => src.poll(0, POLLIN, { tag: null as never }), TypeError, /tag/],
      [() => src.poll(0, POLLIN, [] as never), TypeError, /options/],
    ];
    if (src instanceof IoUringSource) {
      bad.push(
        [() => src.timeout(NaN), RangeError, /ms/],
        [() => src.timeout(5, { tag: Infinity }), RangeError, /options\.tag/],
        [() => src.nop(3 as never), TypeError, /options/],
        [() => src.nop({ tag: 2 ** 53 }), RangeError, /options\.tag/],
        [() => src.timeout(2 ** 31), RangeError, /ms/],
        [() => src.supports("write" as never), RangeError, /op must be/],
        [() => src.supports({} as never), TypeError, /op must be/],
      );
    }
    for (const [fn, type, arg] of bad) {
      assert.throws(fn, (e: Error) => e instanceof type && arg.test(e.message));
    }
    const rejects: [() => Promise<unknown>, ErrorConstructor, RegExp][] = [
      [() => src.close([] as never), TypeError, /options/],
      [() => src.ready({ slots: 0 }), RangeError, /options\.slots/],
      [() => src.ready({ signal: {} as never }), TypeError, /options\.signal/],
      [() => src.drain({ signal: 1 as never }), TypeError, /options\.signal/],
      [() => src.close({ signal: "x" as never }), TypeError, /options\.signal/],
    ];
    for (const [fn, type, arg] of rejects) {
      await assert.rejects(
        fn,
        (e: Error) => e instanceof type && arg.test(e.message),
      );
    }
    assert.equal(src.stats().submitted, 0, "nothing reached the kernel");
    await deadline(src.close(), S, "close");
    if (src instanceof IoUringSource) {
      assert.throws(() => src.supports("nop"), ClosedError);
    }
  });
}

Deno.test("create: options are an object with integer depth and blockSize, checked before the kernel", () => {
  for (const make of [AioSource.create, IoUringSource.create]) {
    const bad: [unknown, ErrorConstructor, RegExp][] = [
      [[], TypeError, /^options must be an object, got an array/],
      ["", TypeError, /^options must be an object/],
      [{ depth: null }, TypeError, /^options\.depth .*got null$/],
      [{ depth: 0 }, RangeError, /^options\.depth .*1\.\.32768, got 0$/],
      [{ depth: 32769 }, RangeError, /^options\.depth/],
      [{ blockSize: -1 }, RangeError, /^options\.blockSize .*got -1$/],
      [{ blockSize: 0.5 }, RangeError, /^options\.blockSize/],
      [{ depth: {}, blockSize: () => 1 }, TypeError, /^options\.depth/],
    ];
    for (const [o, type, message] of bad) {
      assert.throws(
        () => make(o as never),
        (e: Error) => e instanceof type && message.test(e.message),
      );
    }
  }
});
