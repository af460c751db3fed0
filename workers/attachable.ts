/**
 * The one way anything is put under a pool: `pool.attach(x, options)`.
 * An `EventFd` is attached as it is; a source (AIO, io_uring, efd_notify,
 * JetStream) implements {@linkcode attachTo} and the pool hands itself over.
 *
 * @module
 */

import type { WorkerPool } from "./pool.ts";

/**
 * The method key a source implements so that `pool.attach(source, options)`
 * can put it under the pool. Not for calling directly.
 */
export const attachTo: unique symbol = Symbol("efdpool.attachTo");

/**
 * Something `pool.attach` accepts besides an `EventFd`: `O` is its options
 * type, `R` what attaching returns.
 */
export interface Attachable<O, R> {
  /** Puts the source under `pool`; called by `pool.attach(source, options)`. */
  [attachTo](pool: WorkerPool, options?: O): R;
}

/** Whether `x` implements {@linkcode Attachable}. */
export function isAttachable(x: unknown): x is Attachable<unknown, unknown> {
  return typeof x === "object" && x !== null &&
    typeof (x as Partial<Attachable<unknown, unknown>>)[attachTo] ===
      "function";
}
