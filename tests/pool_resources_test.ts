// Resources: a pool gives back every fd it opened, a program that closes
// its pool exits by itself, and a source's eventfd is in a worker's epoll
// only while that worker serves it.
import assert from "node:assert/strict";
import { EventFd, WorkerPool } from "../mod.ts";
import { eventFdInfo } from "../ffi/_fdinfo.ts";
import { deadline } from "./_deadline.ts";
import { runFixture } from "./fixtures/ffi_spawn.ts";

Deno.test("fds: none leak across a pool's life (close, destroy, failed start)", async () => {
  const run = await runFixture("pool_fds.ts", ["--allow-all"]);
  assert.equal(run.killed, false, `the process hung:\n${run.stderr}`);
  assert.equal(run.code, 0, run.stderr);
  const n = JSON.parse(run.stdout);
  assert.ok(n.running > n.before, "a running pool holds fds");
  assert.deepEqual(
    {
      afterClose: n.afterClose,
      afterDestroy: n.afterDestroy,
      afterFailedStart: n.afterFailedStart,
    },
    {
      afterClose: n.before,
      afterDestroy: n.before,
      afterFailedStart: n.before,
    },
  );
});

Deno.test("exit: a program that closes its pool exits by itself", async () => {
  const run = await runFixture("pool_exit.ts", ["--allow-ffi", "--allow-read"]);
  assert.equal(run.killed, false, `the process hung:\n${run.stderr}`);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), "done 1000 1000");
});

/** Each epoll fd of this process and the fds in its interest list, from /proc. */
function interestLists(): Map<number, number[]> {
  const lists = new Map<number, number[]>();
  for (const e of Deno.readDirSync("/proc/self/fd")) {
    let target = "";
    try {
      target = Deno.readLinkSync(`/proc/self/fd/${e.name}`);
    } catch {
      continue; // Closed meanwhile (the readDir's own fd, for one).
    }
    if (target !== "anon_inode:[eventpoll]") continue;
    const info = Deno.readTextFileSync(`/proc/self/fdinfo/${e.name}`);
    const tfds = [...info.matchAll(/^tfd:\s*(\d+)/gm)].map((m) => +m[1]);
    lists.set(Number(e.name), tfds.sort((a, b) => a - b));
  }
  return lists;
}

Deno.test("epoll: each worker adds a source's eventfd to its own epoll on attach and removes it on detach", async () => {
  const W = 3;
  await using pool = new WorkerPool({
    workers: W,
    handler: "data:text/javascript,export const handle = () => 1;",
  });
  await deadline(pool.started(), 20_000, "started");
  using efd = EventFd.create({ semaphore: true });
  const id = eventFdInfo(efd.fd)?.id;
  assert.ok(id !== undefined, "this kernel shows eventfd-id in fdinfo");
  const before = interestLists();
  const src = pool.attach(efd);
  await deadline(src.started(), 20_000, "source started");
  // The pool serves its own duplicate of the eventfd: find it by its id.
  const added = new Map<number, number[]>();
  for (const [ep, tfds] of interestLists()) {
    const extra = tfds.filter((fd) => !before.get(ep)?.includes(fd));
    if (extra.some((fd) => eventFdInfo(fd)?.id === id)) added.set(ep, extra);
  }
  assert.equal(added.size, W, "one epoll per worker watches the source");
  for (const extra of added.values()) assert.equal(extra.length, 1);
  await deadline(src.detach(), 20_000, "detach");
  // The user's fd keeps the eventfd open, so only an EPOLL_CTL_DEL by each
  // worker (not the close of the pool's duplicate) empties these entries.
  const after = interestLists();
  for (const ep of added.keys()) {
    assert.deepEqual(after.get(ep), before.get(ep));
  }
});
