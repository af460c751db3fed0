/**
 * `poll(2)`, synchronous and as an event-loop-friendly async twin.
 *
 * @module
 */

import { pollOffThread, pollSync, withWaker } from "./wait.ts";

/** One fd to watch and the events of interest (`POLLIN`, `POLLOUT`, …). */
export interface PollFd {
  /** The file descriptor. */
  fd: number;
  /** Requested events bit mask. */
  events: number;
}

/** What `poll` reported for one fd. */
export interface PollResult {
  /** The file descriptor. */
  fd: number;
  /** Returned events bit mask; 0 when the fd is not ready. */
  revents: number;
}

/** Options for {@linkcode pollAsync}. */
export interface PollAsyncOptions {
  /** Cancels the wait; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

function encode(fds: readonly PollFd[]): Int32Array {
  const buf = new Int32Array(fds.length * 2);
  const view = new DataView(buf.buffer);
  fds.forEach(({ fd, events }, i) => {
    view.setInt32(i * 8, fd, true);
    view.setInt16(i * 8 + 4, events, true);
  });
  return buf;
}

/** Throws RangeError unless `timeoutMs` is an integer >= -1 that fits poll's int. */
export function checkTimeout(timeoutMs: number): void {
  if (
    !Number.isInteger(timeoutMs) || timeoutMs < -1 || timeoutMs > 0x7fffffff
  ) {
    throw new RangeError(
      `timeoutMs must be an integer >= -1, got ${timeoutMs}`,
    );
  }
}

/**
 * Waits until one of `fds` is ready or `timeoutMs` passes (-1: forever),
 * blocking the calling thread. Returns one result per input, in order.
 *
 * @example
 * ```ts
 * import { EventFd, poll, POLLIN } from "../mod.ts";
 * using efd = EventFd.create({ initval: 1 });
 * const [r] = poll([{ fd: efd.fd, events: POLLIN }], 0);
 * console.log((r.revents & POLLIN) !== 0); // true
 * ```
 */
export function poll(fds: readonly PollFd[], timeoutMs: number): PollResult[] {
  checkTimeout(timeoutMs);
  const buf = encode(fds);
  pollSync(buf, fds.length, timeoutMs);
  const view = new DataView(buf.buffer);
  return fds.map(({ fd }, i) => ({
    fd,
    revents: view.getInt16(i * 8 + 6, true),
  }));
}

/**
 * The async twin of {@linkcode poll}: the wait runs off the JS thread, so the
 * event loop keeps turning, and `signal` cancels it.
 *
 * @example
 * ```ts
 * import { EventFd, pollAsync, POLLIN } from "../mod.ts";
 * using efd = EventFd.create();
 * setTimeout(() => efd.write(1), 5);
 * const [r] = await pollAsync([{ fd: efd.fd, events: POLLIN }], 1000);
 * console.log(r.revents); // 1
 * ```
 */
export async function pollAsync(
  fds: readonly PollFd[],
  timeoutMs: number,
  options: PollAsyncOptions = {},
): Promise<PollResult[]> {
  checkTimeout(timeoutMs);
  const { signal } = options;
  const revents = await withWaker(
    signal,
    (waker) => pollOffThread(fds, timeoutMs, waker),
  );
  signal?.throwIfAborted();
  return fds.map(({ fd }, i) => ({ fd, revents: revents[i] }));
}
