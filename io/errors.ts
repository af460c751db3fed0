/**
 * Typed errors of the I/O sources: each names its cause and, where one
 * exists, the way out.
 *
 * @module
 */

import { EfdpoolError } from "../errors.ts";
import { ErrnoError } from "../ffi/errno.ts";

/** Which kernel interface a source uses. */
export type IoBackend = "aio" | "io_uring";

/**
 * A completion that the kernel reported as failed (a negative result). The
 * handler receives it as `completion.error`; nothing is thrown.
 */
export class CompletionError extends ErrnoError {
  /** The id `submit` returned for the operation. */
  readonly id: number;
  /** The operation, e.g. `"read"`. */
  readonly op: string;

  /**
   * Builds the error.
   *
   * @param op The operation.
   * @param id The operation's id.
   * @param errno The errno the kernel reported.
   * @param detail What the operation was about, for the message.
   *
   * @example
   * ```ts
   * import { CompletionError } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * const e = new CompletionError("read", 7, 22, "fd 5 at 4097");
   * assert.equal(e.code, "EINVAL");
   * assert.equal(e.message, "read#7(fd 5 at 4097) failed: EINVAL (errno 22)");
   * ```
   */
  constructor(op: string, id: number, errno: number, detail: string) {
    super(`${op}#${id}`, errno, detail);
    this.id = id;
    this.op = op;
  }
}

/**
 * AIO or io_uring cannot be used on this host at all: not built into the
 * kernel, disabled by `kernel.io_uring_disabled`, or blocked by a seccomp
 * policy (containers often block io_uring).
 */
export class IoUnavailableError extends EfdpoolError {
  /** The interface that is unavailable. */
  readonly backend: IoBackend;

  /**
   * Builds the error.
   *
   * @param backend The interface.
   * @param reason Why, in words.
   * @param options The syscall's `ErrnoError`, as `cause`.
   *
   * @example
   * ```ts
   * import { IoUnavailableError } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * const e = new IoUnavailableError("io_uring", "disabled by kernel.io_uring_disabled=2");
   * assert.equal(e.message, "io_uring is unavailable: disabled by kernel.io_uring_disabled=2");
   * ```
   */
  constructor(backend: IoBackend, reason: string, options?: ErrorOptions) {
    super(`${backend} is unavailable: ${reason}`, options);
    this.backend = backend;
  }
}

/**
 * A system-wide or per-process limit stopped the source from being created:
 * `fs.aio-max-nr` reached (io_setup's EAGAIN), too many io_uring entries, or
 * the locked-memory limit of older kernels.
 */
export class IoLimitError extends EfdpoolError {
  /** The interface whose limit was hit. */
  readonly backend: IoBackend;

  /**
   * Builds the error.
   *
   * @param backend The interface.
   * @param message What limit, its numbers, and how to raise it.
   * @param options The syscall's `ErrnoError`, as `cause`.
   *
   * @example
   * ```ts
   * import { IoLimitError } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * assert.equal(new IoLimitError("aio", "fs.aio-max-nr reached").backend, "aio");
   * ```
   */
  constructor(backend: IoBackend, message: string, options?: ErrorOptions) {
    super(message, options);
    this.backend = backend;
  }
}

/** The running kernel is too old for a feature the caller asked for. */
export class UnsupportedFeatureError extends EfdpoolError {
  /** The feature, e.g. `"io_uring timeout"`. */
  readonly feature: string;

  /**
   * Builds the error.
   *
   * @param feature The feature.
   * @param needs What kernel version brings it.
   *
   * @example
   * ```ts
   * import { UnsupportedFeatureError } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * const e = new UnsupportedFeatureError("io_uring read", "Linux 5.6");
   * assert.equal(e.message, "this kernel does not support io_uring read (needs Linux 5.6 or later)");
   * ```
   */
  constructor(feature: string, needs: string) {
    super(`this kernel does not support ${feature} (needs ${needs} or later)`);
    this.feature = feature;
  }
}

/** A file could not be opened for reading: missing, not permitted, or a directory. */
export class FileOpenError extends ErrnoError {
  /** The path. */
  readonly path: string;

  /**
   * Builds the error.
   *
   * @param path The path.
   * @param errno ENOENT, EACCES, EISDIR, … (EACCES also for a missing Deno permission).
   * @param hint What to do about it.
   *
   * @example
   * ```ts
   * import { FileOpenError } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * const e = new FileOpenError("/nope", 2);
   * assert.equal(e.code, "ENOENT");
   * assert.equal(e.message, "cannot open /nope: ENOENT (no such file)");
   * ```
   */
  constructor(path: string, errno: number, hint?: string) {
    super("open", errno, path);
    const why = FILE_ERRNO_TEXT[errno] ?? `errno ${errno}`;
    this.message = `cannot open ${path}: ${this.code} (${hint ?? why})`;
    this.path = path;
  }
}

const FILE_ERRNO_TEXT: Record<number, string> = {
  2: "no such file",
  13: "permission denied",
  20: "a path component is not a directory",
  21: "is a directory, expected a file",
  40: "too many symbolic links",
};
