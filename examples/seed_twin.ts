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

import { countSpec, exampleArgs } from "./args.ts";
import { NotAnEventFdError } from "../mod.ts";
import { grabEventFd, GrabFdError } from "../ffi/mod.ts";

const args = exampleArgs(
  "seed_twin.ts",
  "The module's seed mode in user space: add units to another process's eventfd",
  {
    pid: {
      type: "string",
      value: "PID",
      description: "the process holding the eventfd (required)",
    },
    efd: {
      type: "string",
      value: "FD",
      description: "its eventfd's number there (required)",
    },
    units: countSpec("units to add (default 1)"),
    each: countSpec("units per write (default: all at once)"),
  },
);
const pid = args.int("pid", undefined, 1);
const fd = args.int("efd", undefined, 0);
const units = args.int("units", 1, 1);
const each = args.int("each", units, 1);

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
