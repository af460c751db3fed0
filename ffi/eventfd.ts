/**
 * `EventFd`: a typed, safe handle on a Linux eventfd.
 *
 * @module
 */

import {
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  EFD_SEMAPHORE,
  F_GETFL,
  O_NONBLOCK,
  POLLERR,
  POLLIN,
  POLLNVAL,
  RWF_NOWAIT,
} from "./constants.ts";
import { ClosedError, EfdpoolError } from "../errors.ts";
import { ERRNO, ErrnoError, lastErrno, throwErrno } from "./errno.ts";
import { eventFdInfo } from "./_fdinfo.ts";
import { libc } from "./_libc.ts";
import {
  checkBoolean,
  checkFd,
  checkInt,
  checkOptions,
  checkSignal,
  show,
} from "./_validate.ts";
import { pollOffThread, type Waker, withWaker } from "./_wait.ts";

const { EBADF, EINTR, EAGAIN, EOPNOTSUPP } = ERRNO;
const U64_MAX = 0xffffffffffffffffn;

// Per-thread scratch: one u64 for the counter and an iovec pointing at it,
// made on first use because taking a pointer needs --allow-ffi.
const cell = new BigUint64Array(1);
let iovec: BigUint64Array | undefined;
function iov(): BigUint64Array {
  return iovec ??= new BigUint64Array([
    BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(cell))),
    8n,
  ]);
}

/** Options for {@linkcode EventFd.create}. */
export interface EventFdOptions {
  /** Initial counter value (default 0). */
  initval?: number;
  /** EFD_SEMAPHORE: each read takes 1 instead of the whole counter (default false). */
  semaphore?: boolean;
  /**
   * EFD_NONBLOCK: `read` of an empty counter and an over-full `write` throw
   * `ErrnoError` EAGAIN instead of blocking (default false). `tryRead` and
   * `readAsync` behave the same either way.
   */
  nonblocking?: boolean;
  /** EFD_CLOEXEC: not inherited by `exec`ed programs (default true). */
  cloexec?: boolean;
}

/** Options for {@linkcode EventFd.fromFd}. */
export interface FromFdOptions {
  /** Whether `close()` closes the fd (default true). */
  owned?: boolean;
  /**
   * Whether the eventfd was created with EFD_SEMAPHORE. The kernel's answer
   * (`/proc/self/fdinfo`) wins where it is readable; a contradicting value
   * is refused with a `TypeError`.
   */
  semaphore?: boolean;
}

/** Options for {@linkcode EventFd.readAsync}. */
export interface ReadAsyncOptions {
  /** Cancels the wait; a cancelled wait never consumes a unit. */
  signal?: AbortSignal;
}

/** `fromFd` was given an fd that is open but is not an eventfd. */
export class NotAnEventFdError extends EfdpoolError {
  /** The offending fd. */
  readonly fd: number;

  /**
   * Builds the error.
   *
   * @param fd The fd.
   * @param target What the fd refers to, as /proc shows it.
   *
   * @example
   * ```ts
   * import { NotAnEventFdError } from "@efdpool/efdpool";
   * console.log(new NotAnEventFdError(0, "/dev/null").message);
   * ```
   */
  constructor(fd: number, target: string) {
    super(`fd ${fd} is not an eventfd (it is ${target})`);
    this.name = "NotAnEventFdError";
    this.fd = fd;
  }
}

function toCount(n: unknown, what: string): bigint {
  if (typeof n === "bigint") {
    if (n < 0n || n > U64_MAX) {
      throw new RangeError(`${what} must be within 0..2^64-1, got ${show(n)}`);
    }
    return n;
  }
  // The common case first: a producer calls this once per write.
  if (typeof n === "number" && Number.isSafeInteger(n) && n >= 0) {
    return BigInt(n);
  }
  const rule = `${what} must be a non-negative safe integer or a bigint`;
  if (typeof n !== "number") throw new TypeError(`${rule}, got ${show(n)}`);
  throw new RangeError(`${rule}, got ${show(n)}`);
}

/** What /proc says an fd points at, read through libc so no --allow-read is needed. */
function fdTarget(fd: number): string | null {
  const path = new TextEncoder().encode(`/proc/self/fd/${fd}\0`);
  const out = new Uint8Array(256);
  const n = Number(libc().readlink(path, out, BigInt(out.length)));
  return n < 0 ? null : new TextDecoder().decode(out.subarray(0, n));
}

/**
 * A Linux eventfd: a kernel u64 counter that threads, processes and the
 * kernel itself use to signal events. Counter values are `bigint` at the
 * boundary, so none of the 64 bits is lost.
 *
 * @example A semaphore eventfd: every unit is taken once
 * ```ts
 * import { EventFd } from "@efdpool/efdpool";
 * import assert from "node:assert/strict";
 * using efd = EventFd.create({ semaphore: true });
 * efd.write(2);
 * assert.deepEqual([efd.read(), efd.tryRead(), efd.tryRead()], [1n, 1n, null]);
 * ```
 */
export class EventFd {
  #fd: number;
  readonly #owned: boolean;
  readonly #nonblocking: boolean;
  /** Whether reads take one unit (EFD_SEMAPHORE); `undefined` when adopted without being told. */
  readonly semaphore: boolean | undefined;
  readonly #waiters = new Set<Waker>();

  private constructor(
    fd: number,
    owned: boolean,
    nonblocking: boolean,
    semaphore?: boolean,
  ) {
    this.#fd = fd;
    this.#owned = owned;
    this.#nonblocking = nonblocking;
    this.semaphore = semaphore;
  }

  /**
   * Creates a new eventfd.
   *
   * @example
   * ```ts
   * import { EventFd } from "@efdpool/efdpool";
   * const efd = EventFd.create({ semaphore: true, nonblocking: true });
   * console.log(efd.fd >= 0);
   * efd.close();
   * ```
   */
  static create(options?: EventFdOptions): EventFd {
    const o = checkOptions("EventFd.create options", options);
    const initval = checkInt(
      "initval",
      o.initval === undefined ? 0 : o.initval,
      0,
      0xffffffff,
    );
    const semaphore = checkBoolean("semaphore", o.semaphore, false);
    const nonblocking = checkBoolean("nonblocking", o.nonblocking, false);
    const cloexec = checkBoolean("cloexec", o.cloexec, true);
    const flags = (semaphore ? EFD_SEMAPHORE : 0) |
      (nonblocking ? EFD_NONBLOCK : 0) |
      (cloexec ? EFD_CLOEXEC : 0);
    const fd = libc().eventfd(initval, flags);
    if (fd < 0) throwErrno("eventfd", `${initval}, ${flags}`);
    return new EventFd(fd, true, nonblocking, semaphore);
  }

  /**
   * Adopts an eventfd obtained elsewhere (inherited, received over a socket,
   * created by C code). Throws `NotAnEventFdError` if it is something else,
   * and `ErrnoError` (EBADF) if it is not open.
   *
   * @example
   * ```ts
   * import { EventFd } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * const a = EventFd.create();
   * const b = EventFd.fromFd(a.fd, { owned: false });
   * b.write(5);
   * assert.equal(a.read(), 5n);
   * a.close();
   * ```
   */
  static fromFd(fd: number, options: FromFdOptions = {}): EventFd {
    checkFd("fd", fd);
    checkOptions("EventFd.fromFd options", options);
    checkBoolean("owned", options.owned, true);
    checkBoolean("semaphore", options.semaphore, false);
    const fl = libc().fcntl(fd, F_GETFL, 0n);
    if (fl < 0) throwErrno("fcntl", `fd ${fd}`);
    const target = fdTarget(fd);
    if (target !== null && target !== "anon_inode:[eventfd]") {
      throw new NotAnEventFdError(fd, target);
    }
    // The kernel knows whether it is a semaphore: a pool must not mistake a
    // plain eventfd for one (one read would take every unit at once).
    const semaphore = eventFdInfo(fd)?.semaphore;
    if (
      semaphore !== undefined && options.semaphore !== undefined &&
      semaphore !== options.semaphore
    ) {
      throw new TypeError(
        `fd ${fd} is ${
          semaphore ? "" : "not "
        }an EFD_SEMAPHORE eventfd, but semaphore: ${options.semaphore} was given`,
      );
    }
    return new EventFd(
      fd,
      options.owned ?? true,
      (fl & O_NONBLOCK) !== 0,
      semaphore ?? options.semaphore,
    );
  }

  /** The file descriptor number; -1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  #open(op: string): number {
    if (this.#fd < 0) throw new ClosedError("eventfd", op);
    return this.#fd;
  }

  /**
   * Adds `n` (default 1) to the counter, waking readers. Throws RangeError
   * for 0, negatives and non-integers, and TypeError for anything but a
   * number or a bigint, before any syscall; the kernel rejects
   * 2^64-1 with EINVAL, and an overflow blocks (or fails with EAGAIN on a
   * nonblocking fd, leaving the counter unchanged).
   *
   * @example
   * ```ts
   * import { EventFd } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * using efd = EventFd.create();
   * efd.write(3);
   * efd.write(0xfffn);
   * assert.equal(efd.read(), 4098n);
   * ```
   */
  write(n: number | bigint = 1): void {
    const v = toCount(n, "write count");
    if (v === 0n) {
      throw new RangeError("write count must be at least 1: 0 adds no unit");
    }
    const fd = this.#open("write");
    cell[0] = v;
    for (;;) {
      if (libc().write(fd, cell, 8n) === 8n) return;
      const e = lastErrno();
      if (e !== EINTR) throw new ErrnoError("write", e, `fd ${fd}, ${v}`);
    }
  }

  /**
   * Blocks the calling thread until the counter is non-zero, then takes
   * 1 (semaphore) or all of it. Meant for Workers; on the main thread use
   * `readAsync`. On a `nonblocking` fd an empty counter throws `ErrnoError`
   * EAGAIN at once instead, as `man 2 eventfd` says; `tryRead` returns
   * `null` there on any fd.
   *
   * @example
   * ```ts
   * import { EventFd } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * using efd = EventFd.create({ initval: 7 });
   * assert.equal(efd.read(), 7n);
   * ```
   */
  read(): bigint {
    const fd = this.#open("read");
    for (;;) {
      if (libc().read(fd, cell, 8n) === 8n) return cell[0];
      const e = lastErrno();
      if (e === EAGAIN) {
        throw new ErrnoError(
          "read",
          e,
          `fd ${fd}: counter is 0, fd is nonblocking`,
        );
      }
      if (e !== EINTR) throw new ErrnoError("read", e, `fd ${fd}`);
    }
  }

  /**
   * Takes a value if the counter is non-zero, else returns `null` at once,
   * whether or not the fd is nonblocking.
   *
   * @example
   * ```ts
   * import { EventFd } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * using efd = EventFd.create({ semaphore: true });
   * assert.equal(efd.tryRead(), null);
   * efd.write(1);
   * assert.equal(efd.tryRead(), 1n);
   * ```
   */
  tryRead(): bigint | null {
    const fd = this.#open("read");
    for (;;) {
      if (libc().preadv2(fd, iov(), 1, -1n, RWF_NOWAIT) === 8n) return cell[0];
      const e = lastErrno();
      if (e === EAGAIN) return null;
      if (e === EINTR) continue;
      if (e === EOPNOTSUPP && this.#nonblocking) {
        // Kernels before 5.12 lack RWF_NOWAIT on eventfds; O_NONBLOCK does the same.
        if (libc().read(fd, cell, 8n) === 8n) return cell[0];
        const e2 = lastErrno();
        if (e2 === EAGAIN) return null;
        throw new ErrnoError("read", e2, `fd ${fd}`);
      }
      throw new ErrnoError("preadv2", e, `fd ${fd}, RWF_NOWAIT`);
    }
  }

  /**
   * Waits without blocking the event loop, then takes a value. Readiness is
   * awaited off-thread; the unit is taken on this thread, so a wait that is
   * aborted (or whose `EventFd` is closed) never consumes anything.
   *
   * @example
   * ```ts
   * import { EventFd } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * using efd = EventFd.create({ semaphore: true });
   * setTimeout(() => efd.write(1), 10);
   * assert.equal(await efd.readAsync({ signal: AbortSignal.timeout(1000) }), 1n);
   * ```
   */
  async readAsync(options?: ReadAsyncOptions): Promise<bigint> {
    const o = checkOptions("readAsync options", options);
    const signal = checkSignal("signal", o.signal);
    this.#open("read"); // a closed fd is the caller's first problem
    signal?.throwIfAborted();
    const first = this.tryRead();
    if (first !== null) return first;
    return await withWaker(signal, async (waker) => {
      this.#waiters.add(waker);
      try {
        for (;;) {
          const fds = [{ fd: this.#open("read"), events: POLLIN }];
          const [rev] = await pollOffThread(fds, -1, waker);
          this.#open("read");
          signal?.throwIfAborted();
          if (rev & POLLNVAL) {
            throw new ErrnoError("poll", EBADF, `fd ${this.#fd}`);
          }
          if (rev & (POLLIN | POLLERR)) {
            const v = this.tryRead();
            if (v !== null) return v;
          }
          // Another reader took the unit first, or the waker fired spuriously.
          waker.reset();
        }
      } finally {
        this.#waiters.delete(waker);
      }
    });
  }

  /**
   * Closes the fd (if owned) and rejects pending `readAsync` calls with
   * `ClosedError`. A second `close()` does nothing.
   *
   * @example
   * ```ts
   * import { EventFd } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * const efd = EventFd.create();
   * efd.close();
   * assert.equal(efd.closed, true);
   * ```
   */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    for (const w of this.#waiters) w.wake();
    if (this.#owned && libc().close(fd) < 0) throwErrno("close", `fd ${fd}`);
  }

  /**
   * Closes the fd, for `using`.
   *
   * @example
   * ```ts
   * import { EventFd } from "@efdpool/efdpool";
   * {
   *   using efd = EventFd.create();
   *   efd.write(1);
   * } // closed here
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }
}
