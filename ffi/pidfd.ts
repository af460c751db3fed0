/**
 * The seed's idea without a kernel module: a pid and an fd number identify
 * an open file, and `pidfd_open` + `pidfd_getfd` (Linux 5.6+) let another
 * process obtain that very eventfd and signal it.
 *
 * @module
 */

import { ERRNO, ErrnoError, errnoName, lastErrno } from "./errno.ts";
import { EventFd } from "./eventfd.ts";
import { libc } from "./_libc.ts";

const SYS_PIDFD_OPEN = 434n; // Same number on every architecture.
const SYS_PIDFD_GETFD = 438n;
const SYS_PRCTL = 157n; // x86_64, like the rest of efdpool
const PR_SET_PTRACER = 0x59616d61;
const PR_SET_PTRACER_ANY = -1;
const { EINVAL } = ERRNO;

/**
 * `pidfd_getfd` was refused or could not find the process or the fd.
 *
 * @example Telling the cause apart
 * ```ts
 * import { GrabFdError, grabEventFd } from "@efdpool/efdpool/ffi";
 * import assert from "node:assert/strict";
 * // No process has this pid (above the kernel's pid_max limit).
 * assert.throws(
 *   () => grabEventFd(4_194_305, 3),
 *   (e) => e instanceof GrabFdError && e.code === "ESRCH",
 * );
 * ```
 */
export class GrabFdError extends ErrnoError {
  /**
   * Builds the error with a message that says what to do about `errno`.
   *
   * @param syscall `pidfd_open` or `pidfd_getfd`.
   * @param errno The errno it left.
   * @param pid The target process.
   * @param fd The fd number in the target.
   */
  constructor(syscall: string, errno: number, pid: number, fd: number) {
    const code = errnoName(errno);
    const why: Record<string, string> = {
      EPERM: `this process may not ptrace pid ${pid}. Under Yama ` +
        `(/proc/sys/kernel/yama/ptrace_scope = 1) only ancestors may, unless ` +
        `the target calls prctl(PR_SET_PTRACER, …) as seed_demo.ts does; at ` +
        `ptrace_scope 2 or 3 only CAP_SYS_PTRACE (or nothing) helps. A ` +
        `different user id, or a target that is not dumpable, refuses too`,
      ESRCH: `no process has pid ${pid}`,
      EBADF: `pid ${pid} has no open fd ${fd}`,
      ENOSYS: "this kernel lacks pidfd_open/pidfd_getfd (Linux 5.6+)",
    };
    super(syscall, errno, `pid ${pid}, fd ${fd}`);
    this.message = `${syscall}(pid ${pid}, fd ${fd}) failed: ${code}: ${
      why[code] ?? "unexpected error"
    }`;
  }
}

/**
 * Duplicates fd `fd` of process `pid` into this process, as an `EventFd`
 * over the same kernel counter. Throws `GrabFdError` with the cause and the
 * cure, and `NotAnEventFdError` when that fd is something else.
 *
 * @example Grabbing our own eventfd by pid and fd number
 * ```ts
 * import { EventFd } from "@efdpool/efdpool";
 * import { grabEventFd } from "@efdpool/efdpool/ffi";
 * import assert from "node:assert/strict";
 * using mine = EventFd.create({ semaphore: true });
 * using twin = grabEventFd(Deno.pid, mine.fd);
 * twin.write(2); // the same kernel counter
 * assert.equal(mine.read(), 1n);
 * assert.equal(twin.semaphore, true);
 * ```
 */
export function grabEventFd(
  pid: number,
  fd: number,
  semaphore?: boolean,
): EventFd {
  const pidfd = sys(SYS_PIDFD_OPEN, pid, 0);
  if (pidfd < 0) throw new GrabFdError("pidfd_open", lastErrno(), pid, fd);
  try {
    const mine = sys(SYS_PIDFD_GETFD, pidfd, fd, 0);
    if (mine < 0) throw new GrabFdError("pidfd_getfd", lastErrno(), pid, fd);
    try {
      return EventFd.fromFd(mine, { semaphore });
    } catch (e) {
      libc().close(mine);
      throw e;
    }
  } finally {
    libc().close(pidfd);
  }
}

/**
 * Lets any process of ours grab our fds under Yama `ptrace_scope=1`, where
 * even a child may not ptrace its parent otherwise. Returns what happened:
 * `"allowed"`, or `"no-yama"` when the kernel has no Yama (nothing to allow:
 * same-user processes may already).
 *
 * @example
 * ```ts
 * import { allowAnyTracer } from "@efdpool/efdpool/ffi";
 * import assert from "node:assert/strict";
 * assert.ok(["allowed", "no-yama"].includes(allowAnyTracer()));
 * ```
 */
export function allowAnyTracer(): "allowed" | "no-yama" {
  const r = sys(SYS_PRCTL, PR_SET_PTRACER, PR_SET_PTRACER_ANY);
  if (r === 0) return "allowed";
  const e = lastErrno();
  if (e === EINVAL) return "no-yama";
  throw new ErrnoError("prctl", e, "PR_SET_PTRACER, ANY");
}

/** A raw syscall through the libc table; returns -1 with errno set on failure. */
function sys(nr: bigint, ...args: number[]): number {
  const a = Array.from({ length: 6 }, (_, i) => BigInt(args[i] ?? 0));
  return Number(libc().syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]));
}
