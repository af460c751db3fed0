/**
 * Argument checks for the io/ public API, built on the shared ones in
 * `ffi/_validate.ts`: each throws a `TypeError` or `RangeError` naming the
 * argument and showing the value, before any kernel object is touched.
 *
 * @module
 * @internal
 */

import { ClosedError } from "../errors.ts";
import { checkInt, checkOptions, show } from "../ffi/_validate.ts";
import { DIRECT_ALIGN, ReadFile } from "./file.ts";
import {
  checkFunction,
  checkHandler,
  checkString,
} from "../workers/_validate.ts";

/** Largest fd number. */
export const MAX_FD = 2 ** 31 - 1;

/** Most slots a source may have. */
export const MAX_DEPTH = 32768;
/** Largest `blockSize`: 1 GiB per slot. */
export const MAX_BLOCK = 2 ** 30;

/** A source's `depth` and `blockSize`, checked and with defaults. */
export function checkSourceOptions(
  options: unknown,
): { depth: number; blockSize: number } {
  // Only an absent field takes the default: `null` is a bad value.
  const { depth = 64, blockSize = 65536 } = checkOptions(
    "options",
    options as object | undefined,
  ) as { depth?: unknown; blockSize?: unknown };
  return {
    depth: checkInt("options.depth", depth, 1, MAX_DEPTH),
    blockSize: checkInt("options.blockSize", blockSize, 0, MAX_BLOCK),
  };
}

/**
 * A submit call's `tag`: a safe integer (it round-trips exactly through the
 * slot table's float64 record, and is meant as a block index or sequence
 * number), default 0.
 */
export function checkTag(tag: unknown): number {
  if (tag === undefined) return 0;
  return checkInt(
    "options.tag",
    tag,
    Number.MIN_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER,
  );
}

/** The options of a submit call that takes only a tag: the tag, checked. */
export function checkTagOptions(options: unknown): number {
  const o = checkOptions("options", options as object | undefined) as {
    tag?: unknown;
  };
  return checkTag(o.tag);
}

/**
 * `attach()`'s arguments: something with an `attach` method (a
 * `WorkerPool`), and options with a handler and an optional name and
 * callbacks.
 */
export function checkAttachArgs(pool: unknown, options: unknown): void {
  if (typeof (pool as { attach?: unknown } | null)?.attach !== "function") {
    throw new TypeError(`pool must be a WorkerPool, got ${show(pool)}`);
  }
  const o = checkOptions("options", options as object | undefined) as {
    handler?: unknown;
    name?: unknown;
    onResult?: unknown;
    onError?: unknown;
  };
  checkHandler("options.handler", o.handler);
  if (o.name !== undefined) checkString("options.name", o.name);
  checkFunction("options.onResult", o.onResult);
  checkFunction("options.onError", o.onError);
}

/** The io_uring operations a source knows. */
export const OP_NAMES = ["read", "poll", "timeout", "nop"] as const;

/** An operation name: one of {@linkcode OP_NAMES}. */
export function checkOpName(op: unknown): (typeof OP_NAMES)[number] {
  if (!OP_NAMES.includes(op as never)) {
    throw new (typeof op === "string" ? RangeError : TypeError)(
      `op must be one of ${OP_NAMES.map((n) => `"${n}"`).join(", ")}, got ${
        show(op)
      }`,
    );
  }
  return op as (typeof OP_NAMES)[number];
}

/**
 * `openForRead`'s arguments: the path as a string (a `file:` URL is turned
 * into its path) and the `direct` mode.
 */
export function checkOpenArgs(
  path: unknown,
  options: unknown,
): { path: string; direct: boolean | "auto" } {
  let p: string;
  if (path instanceof URL) {
    if (path.protocol !== "file:" || path.host !== "") {
      throw new TypeError(
        `path must be a local file: URL, got ${show(path.href)}`,
      );
    }
    try {
      p = decodeURIComponent(path.pathname);
    } catch {
      throw new TypeError(`path is a malformed file: URL: ${show(path.href)}`);
    }
  } else if (typeof path === "string") {
    p = path;
  } else {
    throw new TypeError(
      `path must be a string or a file: URL, got ${show(path)}`,
    );
  }
  if (p === "" || p.includes("\0")) {
    throw new RangeError(
      `path must be non-empty and free of NUL bytes, got ${show(p)}`,
    );
  }
  const o = checkOptions("options", options as object | undefined) as {
    direct?: unknown;
  };
  const { direct = "auto" } = o;
  if (direct !== "auto" && typeof direct !== "boolean") {
    throw new TypeError(
      `options.direct must be a boolean or "auto", got ${show(direct)}`,
    );
  }
  return { path: p, direct };
}

/** The fd of a `ReadFile` or an fd number, checked. */
function checkFile(file: unknown): number {
  if (typeof file === "number") {
    checkInt("file", file, 0, MAX_FD);
    return file;
  }
  if (file instanceof ReadFile) return file.fd;
  throw new TypeError(
    `file must be a ReadFile (openForRead) or an fd number, got ${show(file)}`,
  );
}

/**
 * A block read's arguments, as every source's `read(file, offset, options)`
 * takes them: the fd, the length (default and at most `blockSize`) and the
 * tag. An O_DIRECT file needs aligned offsets and lengths.
 */
export function checkRead(
  file: unknown,
  offset: unknown,
  options: unknown,
  blockSize: number,
): { fd: number; offset: number; length: number; tag: number } {
  const fd = checkFile(file);
  checkInt("offset", offset, 0, Number.MAX_SAFE_INTEGER);
  const { length = blockSize, tag: rawTag } = checkOptions(
    "options",
    options as object | undefined,
  ) as { length?: unknown; tag?: unknown };
  if (typeof length !== "number") {
    throw new TypeError(
      `options.length must be a number, got ${show(length)}`,
    );
  }
  if (!Number.isInteger(length) || length < 0 || length > blockSize) {
    throw new RangeError(
      `options.length must be an integer within 0..${blockSize} (the blockSize), got ${
        show(length)
      }`,
    );
  }
  const tag = checkTag(rawTag);
  if (file instanceof ReadFile) {
    if (fd < 0) throw new ClosedError("file", `read ${file.path}`);
    const at = offset as number;
    if (file.direct && (at % DIRECT_ALIGN || length % DIRECT_ALIGN)) {
      throw new RangeError(
        `O_DIRECT reads need offset and length in multiples of ${DIRECT_ALIGN}, got ${at} and ${length}`,
      );
    }
  }
  return { fd, offset: offset as number, length, tag };
}
