/**
 * `poll(2)`, synchronous and as an event-loop-friendly async twin.
 *
 * @module
 */

import {
  checkInt,
  checkOptions,
  checkSignal,
  INT_MAX,
  show,
} from "./_validate.ts";
import { pollOffThread, pollSync, withWaker } from "./_wait.ts";

/** Most fds one `poll` call takes; past that, use an `Epoll`. */
const POLL_MAX_FDS = 65536;

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

/**
 * Checks `fds` and copies it, so a getter or a later change cannot make the
 * fds polled differ from the fds checked. A negative fd is allowed: poll(2)
 * ignores it and reports 0.
 */
function checkFds(fds: unknown): PollFd[] {
  if (!Array.isArray(fds)) {
    throw new TypeError(
      `fds must be an array of { fd, events }, got ${show(fds)}`,
    );
  }
  if (fds.length > POLL_MAX_FDS) {
    throw new RangeError(
      `fds must hold at most ${POLL_MAX_FDS} entries, got ${fds.length}`,
    );
  }
  const out: PollFd[] = [];
  for (let i = 0; i < fds.length; i++) {
    const entry: unknown = fds[i];
    if (typeof entry !== "object" || entry === null) {
      throw new TypeError(
        `fds[${i}] must be an object { fd, events }, got ${show(entry)}`,
      );
    }
    const { fd, events } = entry as Record<string, unknown>;
    out.push({
      fd: checkInt(`fds[${i}].fd`, fd, -INT_MAX - 1, INT_MAX),
      events: checkInt(`fds[${i}].events`, events, 0, 0xffff),
    });
  }
  return out;
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

/** Throws unless `timeoutMs` is an integer within -1..2^31-1 (poll's int; -1: forever). */
export function checkTimeout(timeoutMs: unknown): void {
  checkInt("timeoutMs", timeoutMs, -1, INT_MAX);
}

/**
 * Waits until one of `fds` is ready or `timeoutMs` passes (-1: forever),
 * blocking the calling thread. Returns one result per input, in order.
 *
 * @example
 * ```ts
 * import { EventFd, poll, POLLIN } from "@efdpool/efdpool";
 * import assert from "node:assert/strict";
 * using efd = EventFd.create({ initval: 1 });
 * const [r] = poll([{ fd: efd.fd, events: POLLIN }], 0);
 * assert.equal((r.revents & POLLIN) !== 0, true);
 * ```
 */
export function poll(
  fds: readonly PollFd[],
  timeoutMs: number,
): PollResult[] {
  fds = checkFds(fds);
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
 * import { EventFd, pollAsync, POLLIN } from "@efdpool/efdpool";
 * import assert from "node:assert/strict";
 * using efd = EventFd.create();
 * setTimeout(() => efd.write(1), 5);
 * const [r] = await pollAsync([{ fd: efd.fd, events: POLLIN }], 1000);
 * assert.equal(r.revents, 1);
 * ```
 */
export async function pollAsync(
  fds: readonly PollFd[],
  timeoutMs: number,
  options?: PollAsyncOptions,
): Promise<PollResult[]> {
  fds = checkFds(fds);
  checkTimeout(timeoutMs);
  const signal = checkSignal(
    "signal",
    checkOptions("pollAsync options", options).signal,
  );
  const revents = await withWaker(
    signal,
    (waker) => pollOffThread(fds, timeoutMs, waker),
  );
  signal?.throwIfAborted();
  return fds.map(({ fd }, i) => ({ fd, revents: revents[i] }));
}
