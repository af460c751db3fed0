/**
 * efdpool: Linux eventfd notifications — above all ones raised by the
 * kernel — spread over a pool of Web Workers, with EFD_SEMAPHORE semantics:
 * every unit added to the counter is handled by exactly one worker, once.
 *
 * Needs `--allow-ffi` (efdpool calls libc directly).
 *
 * @example
 * ```ts
 * import { EventFd } from "@efdpool/efdpool";
 * using efd = EventFd.create({ semaphore: true });
 * efd.write(3);
 * console.log(efd.read()); // 1n
 * ```
 *
 * @module
 */

export * from "./ffi/mod.ts";
export { WorkerPool } from "./workers/pool.ts";
export { PoolSource } from "./workers/source.ts";
export {
  HandlerLoadError,
  PoolClosedError,
  QueueFullError,
  SourceDetachedError,
  TaskFailedError,
  TaskTimeoutError,
  UnknownTaskError,
  WorkerDiedError,
} from "./workers/errors.ts";
export {
  ListenedEventTarget,
  type PoolEventMap,
  WorkerErrorEvent,
  WorkerExitEvent,
  type WorkerExitReason,
  WorkerStartEvent,
} from "./workers/events.ts";
export type {
  AttachOptions,
  HandlerContext,
  Notification,
  Percentiles,
  PoolOptions,
  PoolStats,
  RunOptions,
  SourceStats,
  WorkerStats,
} from "./workers/types.ts";
export * from "./kernel/mod.ts";
export * from "./io/mod.ts";
export * from "./stats/serve.ts";
