/**
 * Argument checks for the io/ public API, built on the shared ones in
 * `ffi/validate.ts`: each throws a `TypeError` or `RangeError` naming the
 * argument and showing the value, before any kernel object is touched.
 *
 * @module
 * @internal
 */

import { checkInt, checkOptions, show } from "../ffi/validate.ts";
import {
  checkFunction,
  checkHandler,
  checkString,
} from "../workers/validate.ts";

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
