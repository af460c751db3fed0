// poll/pollAsync and Epoll: readiness is reported, never consumed.
import assert from "node:assert/strict";
import {
  ClosedError,
  Epoll,
  EPOLLET,
  EPOLLEXCLUSIVE,
  EPOLLIN,
  EPOLLONESHOT,
  EPOLLOUT,
  ErrnoError,
  EventFd,
  poll,
  pollAsync,
  POLLIN,
  POLLNVAL,
  POLLOUT,
} from "../mod.ts";

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
const isAbort = (e: unknown) =>
  e instanceof DOMException && e.name === "AbortError";
const isErrno = (code: string) => (e: unknown) =>
  e instanceof ErrnoError && e.code === code;

Deno.test("poll: reports each fd in order and takes nothing", () => {
  using ready = EventFd.create({ initval: 2 });
  using empty = EventFd.create();
  const fds = [
    { fd: empty.fd, events: POLLIN },
    { fd: ready.fd, events: POLLIN },
    { fd: empty.fd, events: POLLOUT },
  ];
  assert.deepEqual(poll(fds, 0), [
    { fd: empty.fd, revents: 0 },
    { fd: ready.fd, revents: POLLIN },
    { fd: empty.fd, revents: POLLOUT },
  ]);
  assert.equal(ready.tryRead(), 2n);
});

Deno.test("poll: a timeout with nothing ready reports 0; a closed fd POLLNVAL", () => {
  using empty = EventFd.create();
  assert.deepEqual(poll([{ fd: empty.fd, events: POLLIN }], 5), [{
    fd: empty.fd,
    revents: 0,
  }]);
  const gone = EventFd.create();
  const fd = gone.fd;
  gone.close();
  assert.equal(poll([{ fd, events: POLLIN }], 0)[0].revents, POLLNVAL);
});

Deno.test("poll: timeouts must be integers >= -1", async () => {
  for (const t of [-2, 1.5, NaN, 2 ** 31]) {
    assert.throws(() => poll([], t), RangeError, `timeout ${t}`);
    await assert.rejects(pollAsync([], t), RangeError, `async timeout ${t}`);
  }
});

Deno.test("pollAsync: ready at once, woken by a write, or timed out", async () => {
  using efd = EventFd.create({ semaphore: true, initval: 1 });
  const watch = [{ fd: efd.fd, events: POLLIN }];
  assert.deepEqual(await pollAsync(watch, -1), [{
    fd: efd.fd,
    revents: POLLIN,
  }]);
  assert.equal(efd.tryRead(), 1n);
  assert.deepEqual(await pollAsync(watch, 5), [{ fd: efd.fd, revents: 0 }]);
  const woken = pollAsync(watch, -1);
  await tick();
  efd.write(1);
  assert.deepEqual(await woken, [{ fd: efd.fd, revents: POLLIN }]);
  assert.equal(efd.tryRead(), 1n);
});

Deno.test("pollAsync: a signal cancels the wait with its reason", async () => {
  using efd = EventFd.create({ semaphore: true });
  const watch = [{ fd: efd.fd, events: POLLIN }];
  const ac = new AbortController();
  const waiting = pollAsync(watch, -1, { signal: ac.signal });
  await tick();
  const reason = new Error("stop watching");
  ac.abort(reason);
  await assert.rejects(waiting, (e) => e === reason);
  efd.write(1);
  await assert.rejects(
    pollAsync(watch, -1, { signal: AbortSignal.abort() }),
    isAbort,
  );
  assert.equal(efd.tryRead(), 1n);
});

Deno.test("epoll: add, wait, modify, delete", () => {
  using a = EventFd.create({ initval: 1 });
  using b = EventFd.create();
  using ep = Epoll.create();
  assert.ok(ep.fd >= 0);
  ep.add(a.fd, EPOLLIN, 1001);
  ep.add(b.fd, EPOLLIN);
  assert.deepEqual(ep.wait(0), [{ events: EPOLLIN, data: 1001 }]);
  // Level-triggered: still ready, nothing was taken.
  assert.deepEqual(ep.wait(0), [{ events: EPOLLIN, data: 1001 }]);
  assert.equal(a.tryRead(), 1n);
  assert.deepEqual(ep.wait(5), []);

  ep.modify(b.fd, EPOLLIN | EPOLLOUT, 2002);
  b.write(3);
  assert.deepEqual(ep.wait(0), [{ events: EPOLLIN | EPOLLOUT, data: 2002 }]);

  ep.delete(b.fd);
  assert.deepEqual(ep.wait(0), []);
  a.write(1);
  b.write(1);
  assert.deepEqual(ep.wait(0, 1), [{ events: EPOLLIN, data: 1001 }]);
});

Deno.test("epoll: misuse is reported by errno or RangeError", () => {
  using efd = EventFd.create();
  using other = EventFd.create();
  using ep = Epoll.create();
  ep.add(efd.fd, EPOLLIN);
  assert.throws(() => ep.add(efd.fd, EPOLLIN), isErrno("EEXIST"));
  assert.throws(() => ep.modify(other.fd, EPOLLIN), isErrno("ENOENT"));
  assert.throws(() => ep.delete(other.fd), isErrno("ENOENT"));
  assert.throws(() => ep.add(other.fd, EPOLLIN, -1), RangeError);
  assert.throws(() => ep.add(other.fd, EPOLLIN, 0.5), RangeError);
  for (const max of [0, -1, 1.5, 65537]) {
    assert.throws(() => ep.wait(0, max), RangeError, `maxEvents ${max}`);
  }
  const closed = Epoll.create();
  closed.close();
  assert.throws(() => closed.add(efd.fd, EPOLLIN), ClosedError);
  assert.throws(() => closed.wait(0), ClosedError);
});

Deno.test("epoll: EPOLLEXCLUSIVE is accepted, and like the kernel refuses modify", () => {
  using efd = EventFd.create({ semaphore: true });
  using ep1 = Epoll.create();
  using ep2 = Epoll.create();
  ep1.add(efd.fd, EPOLLIN | EPOLLEXCLUSIVE);
  ep2.add(efd.fd, EPOLLIN | EPOLLEXCLUSIVE);
  efd.write(1);
  assert.deepEqual(ep1.wait(0), [{ events: EPOLLIN, data: efd.fd }]);
  assert.deepEqual(ep2.wait(0), [{ events: EPOLLIN, data: efd.fd }]);
  assert.throws(() => ep1.modify(efd.fd, EPOLLIN), isErrno("EINVAL"));
  ep1.delete(efd.fd);
  ep1.add(efd.fd, EPOLLIN);
  assert.equal(efd.tryRead(), 1n);
});

Deno.test("epoll: edge-triggered and one-shot entries", () => {
  using efd = EventFd.create();
  using et = Epoll.create();
  using once = Epoll.create();
  et.add(efd.fd, EPOLLIN | EPOLLET);
  once.add(efd.fd, EPOLLIN | EPOLLONESHOT);
  efd.write(1);
  assert.equal(et.wait(0).length, 1);
  assert.equal(et.wait(0).length, 0);
  assert.equal(once.wait(0).length, 1);
  assert.equal(once.wait(0).length, 0);
  efd.write(1);
  assert.equal(et.wait(0).length, 1);
  assert.equal(once.wait(0).length, 0);
  once.modify(efd.fd, EPOLLIN | EPOLLONESHOT);
  assert.equal(once.wait(0).length, 1);
  assert.equal(efd.tryRead(), 2n);
});

Deno.test("epoll: waitAsync is ready at once, woken by a write, or timed out", async () => {
  using efd = EventFd.create({ semaphore: true });
  using ep = Epoll.create();
  ep.add(efd.fd, EPOLLIN, 7);
  assert.deepEqual(await ep.waitAsync(5), []);
  const woken = ep.waitAsync(-1);
  await tick();
  efd.write(1);
  assert.deepEqual(await woken, [{ events: EPOLLIN, data: 7 }]);
  assert.deepEqual(await ep.waitAsync(-1), [{ events: EPOLLIN, data: 7 }]);
  assert.equal(efd.tryRead(), 1n);
});

Deno.test("epoll: waitAsync is cancelled by its signal", async () => {
  using efd = EventFd.create({ semaphore: true });
  using ep = Epoll.create();
  ep.add(efd.fd, EPOLLIN | EPOLLEXCLUSIVE);
  const ac = new AbortController();
  const waiting = ep.waitAsync(-1, 64, { signal: ac.signal });
  await tick();
  ac.abort();
  await assert.rejects(waiting, isAbort);
  efd.write(1);
  assert.equal(ep.wait(0).length, 1);
  assert.equal(efd.tryRead(), 1n);
});
