/**
 * Pattern 1, the seed demo in Deno: make an eventfd, print its fd and our
 * pid, wait in poll(), and read the counter when someone signals it.
 *
 * With the kernel module (inside the VM suite, or any host that has it):
 *
 *   deno run --allow-ffi examples/seed_demo.ts --expect 3
 *   sudo insmod kernel/efd_notify.ko pid=PID efd=FD count=3   # in another terminal
 *
 * Without it, `--twin` spawns the user-space twin (`seed_twin.ts`), a second
 * process that is given only the pid and fd, obtains the same eventfd with
 * pidfd_open + pidfd_getfd, and signals it:
 *
 *   deno run --allow-ffi --allow-run=deno examples/seed_demo.ts --twin
 *
 * Prints `efd=FD pid=PID` (the line scripts parse), then each value read,
 * then `done: produced=3 consumed=3 duplicates=0 lost=0`.
 *
 * @module
 */

import { countSpec, exampleArgs } from "./args.ts";
import { EventFd, pollAsync, POLLIN } from "../mod.ts";
import { allowAnyTracer } from "../ffi/mod.ts";
import { doneLine } from "./tally.ts";

const args = exampleArgs(
  "seed_demo.ts",
  "The seed demo: wait for units on an eventfd that insmod (or the twin) signals",
  {
    twin: {
      type: "boolean",
      description: "spawn the user-space twin (seed_twin.ts)",
    },
    expect: countSpec("units to wait for (default 3)"),
  },
);
const expect = BigInt(args.int("expect", 3, 1));

// Like the seed's eventfd(0, 0): a plain counter, so one read takes every
// unit signalled so far.
using efd = EventFd.create();

// Under Yama ptrace_scope=1 a process may grab only its descendants' fds;
// the twin is our child, so we must invite it. Harmless without Yama.
const yama = allowAnyTracer();

console.log(`efd=${efd.fd} pid=${Deno.pid}`);
console.log(
  yama === "allowed"
    ? "ptrace: PR_SET_PTRACER_ANY set, so the twin may grab our fd under Yama"
    : "ptrace: no Yama on this kernel; a same-user process may grab our fd",
);
console.log("waiting in poll()...");

// The twin's failure (no ptrace rights, say) must end our wait, or we would
// wait forever for a signal that cannot come.
const gaveUp = new AbortController();
const twin = args.flag("twin") ? spawnTwin(expect) : undefined;
twin?.status.then((s) => {
  if (!s.success) gaveUp.abort(new Error(`the twin exited with ${s.code}`));
});

let consumed = 0n;
try {
  while (consumed < expect) {
    await pollAsync([{ fd: efd.fd, events: POLLIN }], -1, {
      signal: gaveUp.signal,
    });
    const value = efd.tryRead(); // null only if the wake-up was spurious
    if (value === null) continue;
    console.log(`poll() returned, read value=${value}`);
    consumed += value;
  }
} catch (e) {
  if (!gaveUp.signal.aborted) throw e;
  console.error(
    "seed_demo: the twin could not signal our eventfd (see its message " +
      "above); on a Yama host check /proc/sys/kernel/yama/ptrace_scope",
  );
  Deno.exit(1);
}
await twin?.status;
// Whatever arrived past what we expected was delivered twice.
consumed += efd.tryRead() ?? 0n;

console.log(doneLine({
  produced: expect,
  consumed,
  duplicates: consumed > expect ? consumed - expect : 0,
  lost: expect > consumed ? expect - consumed : 0,
}));

function spawnTwin(units: bigint): Deno.ChildProcess {
  return new Deno.Command("deno", {
    args: [
      "run",
      "--allow-ffi",
      new URL("./seed_twin.ts", import.meta.url).href,
      `--pid=${Deno.pid}`,
      `--efd=${efd.fd}`,
      `--units=${units}`,
    ],
    stdin: "null",
  }).spawn();
}
