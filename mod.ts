/**
 * efdpool: Linux eventfd notifications — above all ones raised by the
 * kernel — spread over a pool of Web Workers, with EFD_SEMAPHORE semantics:
 * every unit added to the counter is handled by exactly one worker, once.
 *
 * The root export holds what an application needs: `EventFd`, `poll` and
 * `Epoll`, `WorkerPool` and its types, the kernel-completion sources and the
 * errors. The rest is in subpath exports: `@efdpool/efdpool/ffi` (errno,
 * flag tables, pidfd), `@efdpool/efdpool/io` (source internals, files),
 * `@efdpool/efdpool/kernel` (the efd_notify ABI) and
 * `@efdpool/efdpool/jetstream`.
 *
 * Permissions: `--allow-ffi` (libc), and for a `WorkerPool` also
 * `--allow-read` (its workers load efdpool's worker module and your handler
 * module from disk).
 *
 * @example Semaphore reads take one unit each
 * ```ts
 * import { EventFd } from "@efdpool/efdpool";
 * import assert from "node:assert/strict";
 * using efd = EventFd.create({ semaphore: true });
 * efd.write(3);
 * assert.equal(efd.read(), 1n);
 * assert.equal(efd.read(), 1n);
 * ```
 *
 * @module
 */

export {
  ClosedError,
  EfdpoolError,
  FullError,
  MissingPermissionError,
} from "./errors.ts";
export {
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  EFD_SEMAPHORE,
  EPOLLERR,
  EPOLLET,
  EPOLLEXCLUSIVE,
  EPOLLHUP,
  EPOLLIN,
  EPOLLONESHOT,
  EPOLLOUT,
  EVENTFD_MAX,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLNVAL,
  POLLOUT,
  POLLPRI,
} from "./ffi/constants.ts";
export { ErrnoError } from "./ffi/errno.ts";
export { FfiUnavailableError } from "./ffi/_libc.ts";
export {
  EventFd,
  type EventFdOptions,
  type FromFdOptions,
  NotAnEventFdError,
  type ReadAsyncOptions,
} from "./ffi/eventfd.ts";
export {
  poll,
  pollAsync,
  type PollAsyncOptions,
  type PollFd,
  type PollResult,
} from "./ffi/poll.ts";
export {
  Epoll,
  type EpollEvent,
  type EpollWaitAsyncOptions,
} from "./ffi/epoll.ts";
export { WorkerPool } from "./workers/pool.ts";
export { type Attachable, attachTo } from "./workers/attachable.ts";
export { PoolSource } from "./workers/source.ts";
export {
  HandlerLoadError,
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
export { AioSource } from "./io/aio.ts";
export type { BlockSource } from "./io/block_source.ts";
export { IoUringSource } from "./io/uring.ts";
export type { Completion, CompletionHandler } from "./io/completion.ts";
export {
  CompletionError,
  FileOpenError,
  type IoBackend,
  IoLimitError,
  IoUnavailableError,
  UnsupportedFeatureError,
} from "./io/errors.ts";
export type { OpName } from "./io/_slots.ts";
export { openForRead, type OpenForReadOptions, ReadFile } from "./io/file.ts";
export type {
  AttachSourceOptions,
  CompletionInfo,
  IoSource,
  IoSourceOptions,
  IoSourceStats,
  ReadOptions,
  TagOptions,
} from "./io/source.ts";
export {
  EfdNotifyChannel,
  type EfdNotifyOpenOptions,
  type EfdNotifyStats,
  type PeriodicOptions,
} from "./kernel/client.ts";
export { type BlockNotifier, EfdNotifySource } from "./kernel/source.ts";
export {
  DevicePermissionError,
  ModuleNotLoadedError,
  NotAttachedError,
} from "./kernel/errors.ts";
export * from "./stats/serve.ts";
