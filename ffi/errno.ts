/**
 * errno capture and the `ErrnoError` class.
 *
 * @module
 */

import { libc } from "./libc.ts";
import { checkInt } from "./validate.ts";

const NAMES: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  3: "ESRCH",
  4: "EINTR",
  5: "EIO",
  6: "ENXIO",
  7: "E2BIG",
  9: "EBADF",
  10: "ECHILD",
  11: "EAGAIN",
  12: "ENOMEM",
  13: "EACCES",
  14: "EFAULT",
  16: "EBUSY",
  17: "EEXIST",
  19: "ENODEV",
  20: "ENOTDIR",
  21: "EISDIR",
  22: "EINVAL",
  23: "ENFILE",
  24: "EMFILE",
  25: "ENOTTY",
  28: "ENOSPC",
  32: "EPIPE",
  34: "ERANGE",
  38: "ENOSYS",
  61: "ENODATA",
  62: "ETIME",
  75: "EOVERFLOW",
  95: "EOPNOTSUPP",
  107: "ENOTCONN",
  110: "ETIMEDOUT",
  125: "ECANCELED",
};

/**
 * Maps an errno number to its symbolic name, e.g. `11` → `"EAGAIN"`.
 *
 * @example
 * ```ts
 * import { errnoName } from "./errno.ts";
 * console.log(errnoName(9)); // "EBADF"
 * ```
 */
export function errnoName(errno: number): string {
  // Linux errno values are 1..4095 (the kernel's MAX_ERRNO).
  return nameOf(checkInt("errno", errno, 0, 4095));
}

// Unchecked, for ErrnoError: building an error must never throw another.
function nameOf(errno: number): string {
  return Object.hasOwn(NAMES, errno) ? NAMES[errno] : `E${errno}`;
}

/** A failed libc call: which call, the errno and its name. */
export class ErrnoError extends Error {
  /** The numeric errno, e.g. `9`. */
  readonly errno: number;
  /** The symbolic errno, e.g. `"EBADF"`. */
  readonly code: string;
  /** The libc function or syscall that failed, e.g. `"read"`. */
  readonly syscall: string;

  /**
   * Builds the error.
   *
   * @param syscall The call that failed.
   * @param errno The errno it left.
   * @param detail What the caller was doing, for the message.
   *
   * @example Matching on the errno name
   * ```ts
   * import { ErrnoError } from "./errno.ts";
   * const e = new ErrnoError("read", 9, "fd 42");
   * console.log(e.code, e.message); // EBADF read(fd 42) failed: EBADF (errno 9)
   * ```
   */
  constructor(syscall: string, errno: number, detail?: string) {
    const code = nameOf(errno);
    super(`${syscall}(${detail ?? ""}) failed: ${code} (errno ${errno})`);
    this.name = "ErrnoError";
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
  }
}

/**
 * Reads this thread's errno. Call it right after the failing call, before any
 * other FFI call on the same thread can overwrite it.
 *
 * @example
 * ```ts
 * import { lastErrno } from "./errno.ts";
 * import { libc } from "./libc.ts";
 * if (libc().close(-1) < 0) console.log(lastErrno()); // 9
 * ```
 */
export function lastErrno(): number {
  // errno is thread-local; __errno_location is stable per thread but cheap.
  const p = libc().__errno_location();
  return new Deno.UnsafePointerView(p!).getInt32();
}

/**
 * Throws an `ErrnoError` for the last failed call on this thread.
 *
 * @example
 * ```ts
 * import { throwErrno } from "./errno.ts";
 * import { libc } from "./libc.ts";
 * try {
 *   if (libc().close(-1) < 0) throwErrno("close", "fd -1");
 * } catch (e) {
 *   console.log((e as Error).message);
 * }
 * ```
 */
export function throwErrno(syscall: string, detail?: string): never {
  throw new ErrnoError(syscall, lastErrno(), detail);
}
