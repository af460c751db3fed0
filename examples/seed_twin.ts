/**
 * The user-space twin of the seed's kernel module: given only a pid and an
 * fd number, obtain that process's eventfd with `pidfd_open` +
 * `pidfd_getfd` and signal it.
 *
 *   deno run --allow-ffi examples/seed_twin.ts --pid 1234 --efd 3 [--units 3] [--each 1]
 *
 * `--units` is how many units to add (default 1); `--each` splits them into
 * writes of that many (default: one write), so a semaphore reader sees
 * them arrive one by one. Prints `signalled pid=P efd=F units=N` and exits 0;
 * on failure prints why (e.g. ptrace rights) and exits 1.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { NotAnEventFdError } from "../mod.ts";
import { grabEventFd, GrabFdError } from "./pidfd.ts";

const { values } = parseArgs({
  options: {
    pid: { type: "string" },
    efd: { type: "string" },
    units: { type: "string", default: "1" },
    each: { type: "string" },
  },
});
const pid = Number(values.pid);
const fd = Number(values.efd);
const units = Number(values.units);
const each = Number(values.each ?? units);
if (
  !Number.isInteger(pid) || pid <= 0 || !Number.isInteger(fd) || fd < 0 ||
  !Number.isInteger(units) || units < 1 || !Number.isInteger(each) || each < 1
) {
  console.error(
    "usage: seed_twin.ts --pid PID --efd FD [--units N] [--each K]",
  );
  Deno.exit(2);
}

try {
  using efd = grabEventFd(pid, fd);
  for (let left = units; left > 0; left -= each) {
    efd.write(Math.min(each, left));
  }
  console.log(`signalled pid=${pid} efd=${fd} units=${units}`);
} catch (e) {
  if (e instanceof GrabFdError) console.error(`seed_twin: ${e.message}`);
  else if (e instanceof NotAnEventFdError) {
    // The message names our duplicate of the fd; say which one was asked for.
    console.error(`seed_twin: fd ${fd} of pid ${pid}: ${e.message}`);
  } else throw e;
  Deno.exit(1);
}
