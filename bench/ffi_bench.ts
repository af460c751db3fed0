// deno bench --allow-all bench/ffi_bench.ts
//
// The cost of the FFI layer's hot paths: a synchronous unit round trip, the
// empty probe, the async wake paths (the part readAsync adds over a plain
// read) and readiness checks with poll and epoll.
import { Epoll, EPOLLIN, EventFd, poll, pollAsync, POLLIN } from "../mod.ts";

const sem = EventFd.create({ semaphore: true });
const empty = EventFd.create({ semaphore: true });
const ready = EventFd.create({ semaphore: true, initval: 1 });
const epReady = Epoll.create();
epReady.add(ready.fd, EPOLLIN);
const epEmpty = Epoll.create();
epEmpty.add(empty.fd, EPOLLIN);

// A worker that echoes ping onto pong, so a write from another thread wakes
// the main thread's readAsync.
const ping = EventFd.create();
const pong = EventFd.create();
const STOP = 0xdeadn;
const echo = new Worker(
  new URL("../tests/fixtures/ffi_echo_worker.ts", import.meta.url),
  { type: "module" },
);
await new Promise((resolve) => {
  echo.onmessage = resolve;
  echo.postMessage({ ping: ping.fd, pong: pong.fd, stop: STOP });
});
// The worker blocks in read() where terminate() cannot reach it: tell it to stop.
globalThis.addEventListener("unload", () => {
  ping.write(STOP);
});

Deno.bench(
  "write(1) + read(), semaphore",
  { group: "sync", baseline: true },
  () => {
    sem.write(1);
    sem.read();
  },
);

Deno.bench("tryRead() on an empty counter", { group: "sync" }, () => {
  empty.tryRead();
});

Deno.bench(
  "write(1) + readAsync(), unit already there",
  { group: "sync" },
  async () => {
    sem.write(1);
    await sem.readAsync();
  },
);

Deno.bench("blocking read() woken by a Worker's write", {
  group: "wake from a Worker",
  baseline: true,
}, () => {
  ping.write(1);
  pong.read();
});

Deno.bench("readAsync() woken by a Worker's write", {
  group: "wake from a Worker",
}, async () => {
  ping.write(1);
  await pong.readAsync();
});

Deno.bench("setTimeout(0) alone", {
  group: "wake from a timer",
  baseline: true,
}, async () => {
  await new Promise((resolve) => setTimeout(resolve, 0));
});

Deno.bench("readAsync() woken by a setTimeout(0) write", {
  group: "wake from a timer",
}, async () => {
  setTimeout(() => sem.write(1), 0);
  await sem.readAsync();
});

Deno.bench("poll(), ready fd, timeout 0", {
  group: "readiness",
  baseline: true,
}, () => {
  poll([{ fd: ready.fd, events: POLLIN }], 0);
});

Deno.bench("poll(), empty fd, timeout 0", { group: "readiness" }, () => {
  poll([{ fd: empty.fd, events: POLLIN }], 0);
});

Deno.bench("Epoll.wait(), ready fd, timeout 0", { group: "readiness" }, () => {
  epReady.wait(0);
});

Deno.bench("Epoll.wait(), empty, timeout 0", { group: "readiness" }, () => {
  epEmpty.wait(0);
});

Deno.bench("pollAsync(), ready fd", { group: "readiness" }, async () => {
  await pollAsync([{ fd: ready.fd, events: POLLIN }], 0);
});

Deno.bench("Epoll.waitAsync(), ready fd", { group: "readiness" }, async () => {
  await epReady.waitAsync(0);
});
