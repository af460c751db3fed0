/**
 * errno capture and the `ErrnoError` class.
 *
 * @module
 */

import { EfdpoolError } from "../errors.ts";
import { libc } from "./_libc.ts";
import { checkInt } from "./_validate.ts";

/**
 * The Linux errno values efdpool names or tests for: the one table every
 * module takes its errno constants from.
 *
 * @example
 * ```ts
 * import { ERRNO, errnoName } from "@efdpool/efdpool/ffi";
 * import assert from "node:assert/strict";
 * assert.equal(errnoName(ERRNO.EAGAIN), "EAGAIN");
 * ```
 */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  ENOSPC: 28,
  EPIPE: 32,
  ERANGE: 34,
  ENOSYS: 38,
  ELOOP: 40,
  ENODATA: 61,
  ETIME: 62,
  EOVERFLOW: 75,
  EOPNOTSUPP: 95,
  ENOTCONN: 107,
  ETIMEDOUT: 110,
  EINPROGRESS: 115,
  ECANCELED: 125,
} as const;

const NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(ERRNO).map(([name, n]) => [n, name]),
);

/**
 * Maps an errno number to its symbolic name, e.g. `11` → `"EAGAIN"`.
 *
 * @example
 * ```ts
 * import { errnoName } from "@efdpool/efdpool/ffi";
 * import assert from "node:assert/strict";
 * assert.equal(errnoName(9), "EBADF");
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
export class ErrnoError extends EfdpoolError {
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
   * import { ErrnoError } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * const e = new ErrnoError("read", 9, "fd 42");
   * assert.equal(e.code, "EBADF");
   * assert.equal(e.message, "read(fd 42) failed: EBADF (errno 9)");
   * ```
   */
  constructor(syscall: string, errno: number, detail?: string) {
    const code = nameOf(errno);
    super(`${syscall}(${detail ?? ""}) failed: ${code} (errno ${errno})`);
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
  }
}

/**
 * Reads this thread's errno. Call it right after the failing call, before any
 * other FFI call on the same thread can overwrite it.
 */
export function lastErrno(): number {
  // errno is thread-local; __errno_location is stable per thread but cheap.
  const p = libc().__errno_location();
  return new Deno.UnsafePointerView(p!).getInt32();
}

/**
 * Throws an `ErrnoError` for the last failed call on this thread.
 */
export function throwErrno(syscall: string, detail?: string): never {
  throw new ErrnoError(syscall, lastErrno(), detail);
}
