/**
 * The libc layer: eventfd, poll and epoll, wrapped in typed, safe APIs,
 * with the errno and flag tables they use.
 *
 * @module
 */

export * from "./constants.ts";
export { ERRNO, ErrnoError, errnoName } from "./errno.ts";
export { FfiUnavailableError } from "./_libc.ts";
export {
  EventFd,
  type EventFdOptions,
  type FromFdOptions,
  NotAnEventFdError,
  type ReadAsyncOptions,
} from "./eventfd.ts";
export {
  poll,
  pollAsync,
  type PollAsyncOptions,
  type PollFd,
  type PollResult,
} from "./poll.ts";
export { Epoll, type EpollEvent, type EpollWaitAsyncOptions } from "./epoll.ts";
export { allowAnyTracer, grabEventFd, GrabFdError } from "./pidfd.ts";
