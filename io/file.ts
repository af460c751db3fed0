/**
 * Opening files for kernel-completed reads, with `O_DIRECT` where the
 * filesystem allows it and a stated fallback where it does not.
 *
 * @module
 */

import { O_CLOEXEC, O_DIRECT } from "../ffi/constants.ts";
import { ERRNO, lastErrno } from "../ffi/errno.ts";
import { libc } from "../ffi/_libc.ts";
import { FileOpenError } from "./errors.ts";
import { checkOpenArgs } from "./_validate.ts";

const { EINVAL, EACCES, ENOENT, EISDIR, ENOTDIR, ELOOP, EINTR } = ERRNO;

/** Alignment of offsets, lengths and buffers for `O_DIRECT` reads. */
export const DIRECT_ALIGN = 4096;

/** Options for {@linkcode openForRead}. */
export interface OpenForReadOptions {
  /**
   * Bypass the page cache with `O_DIRECT`: `true` requires it, `false`
   * never uses it, `"auto"` (default) tries it and falls back to buffered
   * reads, saying so in `directFallback`.
   */
  direct?: boolean | "auto";
}

/** A file open for reading by a source: its fd, size and I/O mode. */
export class ReadFile {
  /** The path it was opened with. */
  readonly path: string;
  /** Size in bytes when opened. */
  readonly size: number;
  /** Whether reads bypass the page cache (`O_DIRECT`). */
  readonly direct: boolean;
  /** Why `O_DIRECT` was wanted but not used, if it was. */
  readonly directFallback?: string;
  #fd: number;

  /**
   * Made by {@linkcode openForRead}.
   *
   * @example
   * ```ts
   * import { openForRead } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * using f = openForRead("/etc/hostname", { direct: false });
   * assert.ok(f.fd >= 0);
   * assert.equal(f.direct, false);
   * ```
   */
  constructor(
    path: string,
    fd: number,
    size: number,
    direct: boolean,
    directFallback?: string,
  ) {
    this.path = path;
    this.#fd = fd;
    this.size = size;
    this.direct = direct;
    if (directFallback) this.directFallback = directFallback;
  }

  /** The file descriptor; -1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  /**
   * Closes the fd; operations still in flight on it complete normally.
   *
   * @example
   * ```ts
   * import { openForRead } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * const f = openForRead("/etc/hostname");
   * f.close();
   * assert.equal(f.fd, -1);
   * ```
   */
  close(): void {
    if (this.#fd < 0) return;
    libc().close(this.#fd);
    this.#fd = -1;
  }

  /**
   * Closes the fd, for `using`.
   *
   * @example
   * ```ts
   * import { openForRead } from "@efdpool/efdpool";
   * {
   *   using f = openForRead("/etc/hostname");
   * } // closed here
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }
}

function openRaw(path: string, flags: number): number {
  const c = new TextEncoder().encode(path + "\0");
  for (;;) {
    const fd = libc().open(c, flags | O_CLOEXEC, 0);
    if (fd >= 0) return fd;
    const e = lastErrno();
    if (e !== EINTR) return -e;
  }
}

/**
 * Stats `path`, turning "missing" and "not permitted" (by the OS or by
 * Deno's `--allow-read`) into `FileOpenError`.
 *
 * @example
 * ```ts
 * import { statPath } from "@efdpool/efdpool/io";
 * import assert from "node:assert/strict";
 * assert.equal(statPath("/etc").isDirectory, true);
 * ```
 */
export function statPath(path: string): Deno.FileInfo {
  try {
    return Deno.statSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new FileOpenError(path, ENOENT);
    }
    if (e instanceof Deno.errors.NotADirectory) {
      throw new FileOpenError(path, ENOTDIR);
    }
    if (e instanceof Deno.errors.FilesystemLoop) {
      throw new FileOpenError(path, ELOOP);
    }
    if (e instanceof Deno.errors.NotCapable) {
      throw new FileOpenError(
        path,
        EACCES,
        "Deno has no read permission for it: run with --allow-read",
      );
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      throw new FileOpenError(path, EACCES);
    }
    throw e;
  }
}

/**
 * Opens a file for reads through a source. Fails with `FileOpenError` for a
 * missing file, a directory, no permission (the OS's, or Deno's
 * `--allow-read`), or `direct: true` on a filesystem without `O_DIRECT`.
 * `path` is a string or a `file:` URL; any other `path`, or a `direct`
 * that is not a boolean or `"auto"`, is a `TypeError`/`RangeError`.
 *
 * @example
 * ```ts
 * import { openForRead } from "@efdpool/efdpool";
 * using f = openForRead("/etc/hostname");
 * console.log(f.size > 0, f.direct || f.directFallback !== undefined);
 * ```
 */
export function openForRead(
  path: string | URL,
  options: OpenForReadOptions = {},
): ReadFile {
  const checked = checkOpenArgs(path, options);
  return openChecked(checked.path, checked.direct);
}

function openChecked(path: string, direct: boolean | "auto"): ReadFile {
  const info = statPath(path);
  if (info.isDirectory) throw new FileOpenError(path, EISDIR);
  let fallback: string | undefined;
  if (direct !== false) {
    const fd = openRaw(path, O_DIRECT);
    if (fd >= 0) return new ReadFile(path, fd, info.size, true);
    if (fd !== -EINVAL) throw new FileOpenError(path, -fd);
    if (direct === true) {
      throw new FileOpenError(
        path,
        EINVAL,
        "its filesystem does not support O_DIRECT",
      );
    }
    fallback = "its filesystem does not support O_DIRECT; using buffered reads";
  }
  const fd = openRaw(path, 0);
  if (fd < 0) throw new FileOpenError(path, -fd);
  return new ReadFile(path, fd, info.size, false, fallback);
}
