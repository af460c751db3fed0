/**
 * `EfdNotifyChannel`: the TypeScript side of the efd_notify kernel module.
 *
 * Each open of `/dev/efd_notify` is a channel that signals one eventfd from
 * kernel context, in bursts (workqueue) or periodically (hrtimer). Attach the
 * eventfd a `WorkerPool` reads and the pool handles every unit exactly once.
 *
 * @module
 */

import { O_CLOEXEC, O_RDWR } from "../ffi/constants.ts";
import { ERRNO, ErrnoError, lastErrno } from "../ffi/errno.ts";
import { ClosedError } from "../errors.ts";
import { EventFd } from "../ffi/eventfd.ts";
import { libc } from "../ffi/_libc.ts";
import { checkFd, checkInt, checkOptions, show } from "../ffi/_validate.ts";
import {
  EFD_NOTIFY_DEVICE,
  EFD_NOTIFY_IOCTL,
  EFD_NOTIFY_LIMITS,
  EFD_NOTIFY_SIZES,
  EFD_NOTIFY_STATE,
} from "./constants.ts";
import {
  DevicePermissionError,
  ModuleNotLoadedError,
  NotAttachedError,
} from "./errors.ts";

const { EPERM, ENOENT, EINTR, ENXIO, EACCES, ENODEV, ENOTCONN } = ERRNO;

/** Options for {@linkcode EfdNotifyChannel.open}. */
export interface EfdNotifyOpenOptions {
  /** Device node to open; default `/dev/efd_notify`. */
  path?: string;
}

/** Options for {@linkcode EfdNotifyChannel.startPeriodic}. */
export interface PeriodicOptions {
  /** Timer period in nanoseconds, 10 µs to 60 s. */
  periodNs: number;
  /** Units to signal in total, 1 to 10^9. */
  count: number;
  /** Units per expiry, 1 to 1024; default 1. */
  perTick?: number;
}

/** A channel's state, as `EFD_NOTIFY_IOC_STATS` reports it. */
export interface EfdNotifyStats {
  /** An eventfd is attached. */
  attached: boolean;
  /** Units wait for the workqueue (bursts, and ticks beyond 16 units). */
  bursting: boolean;
  /** The hrtimer still has units to fire. */
  periodic: boolean;
  /** The eventfd was closed by its owner, so the channel detached itself. */
  hangup: boolean;
  /** Units signalled since the last attach (counted after each batch). */
  fired: number;
  /** Units requested but not signalled yet, burst and periodic together. */
  pending: number;
}

/**
 * One channel of `/dev/efd_notify`.
 *
 * @example Firing a burst into a semaphore eventfd
 * ```ts ignore
 * import { EfdNotifyChannel, EventFd } from "@efdpool/efdpool";
 * using efd = EventFd.create({ semaphore: true });
 * using ch = EfdNotifyChannel.open();
 * ch.attach(efd);
 * ch.fire(3);
 * console.log(await efd.readAsync()); // 1n, three times over
 * ```
 */
export class EfdNotifyChannel implements Disposable {
  #fd: number;
  readonly #buf = new Uint8Array(24);
  readonly #view = new DataView(this.#buf.buffer);

  private constructor(fd: number) {
    this.#fd = fd;
  }

  /**
   * Opens a new channel. Throws `ModuleNotLoadedError` when the device is
   * missing, `DevicePermissionError` when this user may not open it, and
   * `ErrnoError` otherwise (ENOSPC: the module's `max_channels` channels, 128
   * by default, are all open).
   *
   * @example
   * ```ts ignore
   * import { EfdNotifyChannel } from "@efdpool/efdpool";
   * using ch = EfdNotifyChannel.open();
   * console.log(ch.stats().attached); // false
   * ```
   */
  static open(options?: EfdNotifyOpenOptions): EfdNotifyChannel {
    const { path = EFD_NOTIFY_DEVICE } = checkOptions("open options", options);
    if (typeof path !== "string") {
      throw new TypeError(`path must be a string, got ${show(path)}`);
    }
    if (path === "" || path.includes("\0")) {
      throw new RangeError(
        `path must be non-empty without NUL, got ${show(path)}`,
      );
    }
    const cpath = new TextEncoder().encode(path + "\0");
    for (;;) {
      const fd = libc().open(cpath, O_RDWR | O_CLOEXEC, 0);
      if (fd >= 0) return new EfdNotifyChannel(fd);
      const errno = lastErrno();
      if (errno === EINTR) continue;
      const cause = new ErrnoError("open", errno, path);
      if (errno === ENOENT || errno === ENODEV || errno === ENXIO) {
        throw new ModuleNotLoadedError(path, { cause });
      }
      if (errno === EACCES || errno === EPERM) {
        throw new DevicePermissionError(path, modeOf(path), { cause });
      }
      throw cause;
    }
  }

  /** The channel's file descriptor; -1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  #ioctl(request: number, name: string, arg?: Uint8Array): void {
    if (this.#fd < 0) throw new ClosedError("channel", name);
    const ret = arg
      ? libc().ioctl(this.#fd, BigInt(request), arg)
      : libc().ioctlInt(this.#fd, BigInt(request), 0n);
    if (ret === 0) return;
    const errno = lastErrno();
    if (errno === ENOTCONN) throw new NotAttachedError(name);
    throw new ErrnoError("ioctl", errno, name);
  }

  /**
   * Attaches an eventfd (an `EventFd` or a raw descriptor of this process).
   * The module holds its own reference, so the descriptor may be closed
   * afterwards; closing the last one detaches the channel (`stats().hangup`).
   * Throws `ErrnoError` EBADF for a closed descriptor, EINVAL for one that is
   * not an eventfd, EBUSY when one is attached already.
   *
   * @example
   * ```ts ignore
   * import { EfdNotifyChannel, EventFd } from "@efdpool/efdpool";
   * using efd = EventFd.create({ semaphore: true });
   * using ch = EfdNotifyChannel.open();
   * ch.attach(efd);
   * ```
   */
  attach(eventfd: EventFd | number): void {
    if (eventfd instanceof EventFd && eventfd.closed) {
      throw new ClosedError("eventfd", "attach");
    }
    const fd = eventfd instanceof EventFd
      ? eventfd.fd
      : checkFd("eventfd (an EventFd or an fd number)", eventfd);
    this.#view.setInt32(0, fd, true);
    this.#view.setUint32(4, 0, true);
    this.#ioctl(
      EFD_NOTIFY_IOCTL.ATTACH,
      "EFD_NOTIFY_IOC_ATTACH",
      this.#buf.subarray(0, EFD_NOTIFY_SIZES.attach),
    );
  }

  /**
   * Stops firing and drops the eventfd. Throws `NotAttachedError` when none
   * is attached.
   *
   * @example
   * ```ts ignore
   * import { EfdNotifyChannel, EventFd } from "@efdpool/efdpool";
   * using efd = EventFd.create();
   * using ch = EfdNotifyChannel.open();
   * ch.attach(efd);
   * ch.detach();
   * ```
   */
  detach(): void {
    this.#ioctl(EFD_NOTIFY_IOCTL.DETACH, "EFD_NOTIFY_IOC_DETACH");
  }

  /**
   * Signals `count` units from a kernel workqueue, asynchronously: returns at
   * once, `stats().pending` counts down. Bursts add up.
   *
   * @example
   * ```ts ignore
   * import { EfdNotifyChannel, EventFd } from "@efdpool/efdpool";
   * using efd = EventFd.create({ semaphore: true });
   * using ch = EfdNotifyChannel.open();
   * ch.attach(efd);
   * ch.fire(100_000);
   * ```
   */
  fire(count: number): void {
    checkInt("count", count, 1, EFD_NOTIFY_LIMITS.maxCount);
    this.#view.setBigUint64(0, BigInt(count), true);
    this.#ioctl(
      EFD_NOTIFY_IOCTL.FIRE,
      "EFD_NOTIFY_IOC_FIRE",
      this.#buf.subarray(0, EFD_NOTIFY_SIZES.fire),
    );
  }

  /**
   * Signals `count` units from a softirq hrtimer, `perTick` per period (an
   * expiry signals up to 16 itself and hands the rest to the workqueue).
   * Throws `ErrnoError` EBUSY while a previous periodic run is going.
   *
   * @example
   * ```ts ignore
   * import { EfdNotifyChannel, EventFd } from "@efdpool/efdpool";
   * using efd = EventFd.create({ semaphore: true });
   * using ch = EfdNotifyChannel.open();
   * ch.attach(efd);
   * ch.startPeriodic({ periodNs: 1_000_000, count: 1000 }); // 1 kHz for 1 s
   * ```
   */
  startPeriodic(options: PeriodicOptions): void {
    if (options === undefined) {
      throw new TypeError(
        "startPeriodic options { periodNs, count } are required",
      );
    }
    const { periodNs, count, perTick = 1 } = checkOptions(
      "startPeriodic options",
      options,
    );
    const { minPeriodNs, maxPeriodNs, maxCount, maxPerTick } =
      EFD_NOTIFY_LIMITS;
    const ns = checkInt("periodNs", periodNs, minPeriodNs, maxPeriodNs);
    const n = checkInt("count", count, 1, maxCount);
    checkInt("perTick", perTick, 1, maxPerTick);
    this.#view.setBigUint64(0, BigInt(ns), true);
    this.#view.setBigUint64(8, BigInt(n), true);
    this.#view.setUint32(16, perTick, true);
    this.#view.setUint32(20, 0, true);
    this.#ioctl(
      EFD_NOTIFY_IOCTL.PERIODIC,
      "EFD_NOTIFY_IOC_PERIODIC",
      this.#buf.subarray(0, EFD_NOTIFY_SIZES.periodic),
    );
  }

  /**
   * Cancels the burst and the timer; units not yet signalled are dropped.
   *
   * @example
   * ```ts ignore
   * import { EfdNotifyChannel } from "@efdpool/efdpool";
   * using ch = EfdNotifyChannel.open();
   * ch.stop();
   * console.log(ch.stats().pending); // 0
   * ```
   */
  stop(): void {
    this.#ioctl(EFD_NOTIFY_IOCTL.STOP, "EFD_NOTIFY_IOC_STOP");
  }

  /**
   * Reads the channel's state and counters.
   *
   * @example
   * ```ts ignore
   * import { EfdNotifyChannel } from "@efdpool/efdpool";
   * using ch = EfdNotifyChannel.open();
   * const { attached, fired, pending } = ch.stats();
   * console.log(attached, fired, pending); // false 0 0
   * ```
   */
  stats(): EfdNotifyStats {
    this.#buf.fill(0);
    this.#ioctl(
      EFD_NOTIFY_IOCTL.STATS,
      "EFD_NOTIFY_IOC_STATS",
      this.#buf.subarray(0, EFD_NOTIFY_SIZES.stats),
    );
    const state = this.#view.getUint32(0, true);
    return {
      attached: (state & EFD_NOTIFY_STATE.ATTACHED) !== 0,
      bursting: (state & EFD_NOTIFY_STATE.BURST) !== 0,
      periodic: (state & EFD_NOTIFY_STATE.PERIODIC) !== 0,
      hangup: (state & EFD_NOTIFY_STATE.HUP) !== 0,
      fired: Number(this.#view.getBigUint64(8, true)),
      pending: Number(this.#view.getBigUint64(16, true)),
    };
  }

  /**
   * Closes the channel: the module cancels its work and timer, then drops the
   * eventfd. Idempotent.
   *
   * @example
   * ```ts ignore
   * import { EfdNotifyChannel } from "@efdpool/efdpool";
   * const ch = EfdNotifyChannel.open();
   * ch.close();
   * console.log(ch.closed); // true
   * ```
   */
  close(): void {
    if (this.#fd < 0) return;
    libc().close(this.#fd);
    this.#fd = -1;
  }

  /**
   * Same as `close()`, for `using`.
   *
   * @example
   * ```ts ignore
   * import { EfdNotifyChannel } from "@efdpool/efdpool";
   * {
   *   using ch = EfdNotifyChannel.open();
   * } // closed here
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }
}

function modeOf(path: string): number | undefined {
  try {
    return (Deno.statSync(path).mode ?? 0) & 0o7777;
  } catch {
    // Without --allow-read the message simply leaves the mode out.
    return undefined;
  }
}
