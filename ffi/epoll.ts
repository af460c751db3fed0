/**
 * `Epoll`: an epoll instance, including `EPOLLEXCLUSIVE` for herd-free waits.
 *
 * @module
 */

import {
  EPOLL_CLOEXEC,
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  EPOLL_EVENT_SIZE,
  POLLIN,
} from "./constants.ts";
import { ClosedError } from "../errors.ts";
import { ERRNO, lastErrno, throwErrno } from "./errno.ts";
import { libc } from "./_libc.ts";
import { checkTimeout } from "./poll.ts";
import {
  checkFd,
  checkInt,
  checkOptions,
  checkSignal,
  INT_MAX,
} from "./_validate.ts";
import { pollOffThread, withWaker } from "./_wait.ts";

const { EINTR } = ERRNO;

/** One readiness event from {@linkcode Epoll.wait}. */
export interface EpollEvent {
  /** Ready events bit mask (`EPOLLIN`, `EPOLLERR`, …). */
  events: number;
  /** The `data` given when the fd was added (by default, the fd). */
  data: number;
}

/** Options for {@linkcode Epoll.waitAsync}. */
export interface EpollWaitAsyncOptions {
  /** Cancels the wait; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * An epoll instance. Add a shared fd with `EPOLLEXCLUSIVE` from several
 * threads' instances and the kernel wakes one idle waiter per event instead
 * of all of them (the eventfd thundering herd).
 *
 * @example
 * ```ts
 * import { Epoll, EPOLLIN, EventFd } from "@efdpool/efdpool";
 * import assert from "node:assert/strict";
 * using efd = EventFd.create();
 * using ep = Epoll.create();
 * ep.add(efd.fd, EPOLLIN);
 * efd.write(1);
 * assert.deepEqual(ep.wait(0), [{ events: EPOLLIN, data: efd.fd }]);
 * ```
 */
export class Epoll {
  #fd: number;
  #events = new Uint8Array(EPOLL_EVENT_SIZE * 64);
  readonly #ctl = new Uint8Array(EPOLL_EVENT_SIZE);

  private constructor(fd: number) {
    this.#fd = fd;
  }

  /**
   * Creates an epoll instance (close-on-exec).
   *
   * @example
   * ```ts
   * import { Epoll } from "@efdpool/efdpool";
   * const ep = Epoll.create();
   * ep.close();
   * ```
   */
  static create(): Epoll {
    const fd = libc().epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) throwErrno("epoll_create1");
    return new Epoll(fd);
  }

  /** The epoll fd; -1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  #open(op: string): number {
    if (this.#fd < 0) throw new ClosedError("epoll", op);
    return this.#fd;
  }

  #control(
    op: number,
    name: string,
    fd: number,
    events: number,
    data: number,
  ): void {
    checkFd("fd", fd);
    // EPOLLET is bit 31, so `1 << 31` (negative) and `2 ** 31` both mean it.
    checkInt("events", events, -INT_MAX - 1, 0xffffffff);
    checkInt("data", data, 0, Number.MAX_SAFE_INTEGER);
    const view = new DataView(this.#ctl.buffer);
    view.setUint32(0, events >>> 0, true);
    view.setBigUint64(4, BigInt(data), true);
    if (libc().epoll_ctl(this.#open(name), op, fd, this.#ctl) < 0) {
      throwErrno(name, `fd ${fd}, events 0x${(events >>> 0).toString(16)}`);
    }
  }

  /**
   * Watches `fd` for `events`; `data` comes back with each event (default: `fd`).
   *
   * @example
   * ```ts
   * import { Epoll, EPOLLEXCLUSIVE, EPOLLIN, EventFd } from "@efdpool/efdpool";
   * using efd = EventFd.create({ semaphore: true });
   * using ep = Epoll.create();
   * ep.add(efd.fd, EPOLLIN | EPOLLEXCLUSIVE, 7);
   * ```
   */
  add(fd: number, events: number, data: number = fd): void {
    this.#control(EPOLL_CTL_ADD, "epoll_ctl(ADD)", fd, events, data);
  }

  /**
   * Changes the events or data of a watched fd (not allowed for
   * `EPOLLEXCLUSIVE` entries: delete and add again).
   *
   * @example
   * ```ts
   * import { Epoll, EPOLLIN, EPOLLOUT, EventFd } from "@efdpool/efdpool";
   * using efd = EventFd.create();
   * using ep = Epoll.create();
   * ep.add(efd.fd, EPOLLIN);
   * ep.modify(efd.fd, EPOLLIN | EPOLLOUT);
   * ```
   */
  modify(fd: number, events: number, data: number = fd): void {
    this.#control(EPOLL_CTL_MOD, "epoll_ctl(MOD)", fd, events, data);
  }

  /**
   * Stops watching `fd`.
   *
   * @example
   * ```ts
   * import { Epoll, EPOLLIN, EventFd } from "@efdpool/efdpool";
   * using efd = EventFd.create();
   * using ep = Epoll.create();
   * ep.add(efd.fd, EPOLLIN);
   * ep.delete(efd.fd);
   * ```
   */
  delete(fd: number): void {
    this.#control(EPOLL_CTL_DEL, "epoll_ctl(DEL)", fd, 0, 0);
  }

  #ensure(maxEvents: number, timeoutMs: number): void {
    checkTimeout(timeoutMs);
    checkInt("maxEvents", maxEvents, 1, 65536);
    if (this.#events.length < maxEvents * EPOLL_EVENT_SIZE) {
      this.#events = new Uint8Array(maxEvents * EPOLL_EVENT_SIZE);
    }
  }

  #decode(n: number): EpollEvent[] {
    const view = new DataView(this.#events.buffer);
    const out: EpollEvent[] = [];
    for (let i = 0; i < n; i++) {
      out.push({
        events: view.getUint32(i * EPOLL_EVENT_SIZE, true),
        data: Number(view.getBigUint64(i * EPOLL_EVENT_SIZE + 4, true)),
      });
    }
    return out;
  }

  /**
   * Blocks the calling thread until events arrive or `timeoutMs` passes
   * (-1: forever; 0: just check). Meant for Workers; on the main thread use
   * `waitAsync`.
   *
   * @example
   * ```ts
   * import { Epoll, EPOLLIN, EventFd } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * using efd = EventFd.create({ initval: 1 });
   * using ep = Epoll.create();
   * ep.add(efd.fd, EPOLLIN);
   * assert.equal(ep.wait(100).length, 1);
   * ```
   */
  wait(timeoutMs: number, maxEvents = 64): EpollEvent[] {
    this.#ensure(maxEvents, timeoutMs);
    for (;;) {
      const n = libc().epoll_wait(
        this.#open("epoll_wait"),
        this.#events,
        maxEvents,
        timeoutMs,
      );
      if (n >= 0) return this.#decode(n);
      if (lastErrno() !== EINTR) throwErrno("epoll_wait", `epfd ${this.#fd}`);
    }
  }

  /**
   * Waits without blocking the event loop (the epoll fd is polled
   * off-thread), then collects events on this thread.
   *
   * @example
   * ```ts
   * import { Epoll, EPOLLIN, EventFd } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * using efd = EventFd.create();
   * using ep = Epoll.create();
   * ep.add(efd.fd, EPOLLIN);
   * setTimeout(() => efd.write(1), 5);
   * assert.equal((await ep.waitAsync(1000)).length, 1);
   * ```
   */
  async waitAsync(
    timeoutMs: number,
    maxEvents = 64,
    options?: EpollWaitAsyncOptions,
  ): Promise<EpollEvent[]> {
    this.#ensure(maxEvents, timeoutMs);
    const signal = checkSignal(
      "signal",
      checkOptions("waitAsync options", options).signal,
    );
    const fds = [{ fd: this.#open("epoll_wait"), events: POLLIN }];
    await withWaker(signal, (waker) => pollOffThread(fds, timeoutMs, waker));
    signal?.throwIfAborted();
    return this.wait(0, maxEvents);
  }

  /**
   * Closes the epoll fd. A second `close()` does nothing.
   *
   * @example
   * ```ts
   * import { Epoll } from "@efdpool/efdpool";
   * const ep = Epoll.create();
   * ep.close();
   * ```
   */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    if (libc().close(fd) < 0) throwErrno("close", `epfd ${fd}`);
  }

  /**
   * Closes the epoll fd, for `using`.
   *
   * @example
   * ```ts
   * import { Epoll } from "@efdpool/efdpool";
   * {
   *   using ep = Epoll.create();
   * }
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }
}
