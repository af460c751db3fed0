/**
 * The /dev/efd_notify ABI as TypeScript numbers: ioctl requests, struct
 * sizes, limits and state bits. The source of truth is the uapi header
 * `kernel/efd_notify.h`; change both together (tests/kernel_vm_test.ts
 * compiles the header and compares every number here).
 *
 * @module
 */

/**
 * Path of the device node that the efd_notify module creates.
 *
 * @example
 * ```ts
 * import { EFD_NOTIFY_DEVICE } from "@efdpool/efdpool/kernel";
 * import assert from "node:assert/strict";
 * assert.equal(EFD_NOTIFY_DEVICE, "/dev/efd_notify");
 * ```
 */
export const EFD_NOTIFY_DEVICE = "/dev/efd_notify";

const IOC_MAGIC = 0xda;
const IOC_NONE = 0;
const IOC_WRITE = 1;
const IOC_READ = 2;

// Linux's generic _IOC() encoding (x86, arm, riscv): dir:2 size:14 type:8 nr:8.
function ioc(dir: number, nr: number, size: number): number {
  return ((dir << 30) | (size << 16) | (IOC_MAGIC << 8) | nr) >>> 0;
}

/**
 * Byte sizes of the ioctl argument structs (all fields naturally aligned, no
 * padding, identical for 32- and 64-bit callers).
 *
 * @example
 * ```ts
 * import { EFD_NOTIFY_SIZES } from "@efdpool/efdpool/kernel";
 * const stats = new Uint8Array(EFD_NOTIFY_SIZES.stats); // 24 bytes
 * console.log(stats.length);
 * ```
 */
export const EFD_NOTIFY_SIZES: {
  /** `struct efd_notify_attach { __s32 fd; __u32 flags; }` */
  readonly attach: 8;
  /** `struct efd_notify_fire { __u64 count; }` */
  readonly fire: 8;
  /** `struct efd_notify_periodic { __u64 period_ns, count; __u32 per_tick, flags; }` */
  readonly periodic: 24;
  /** `struct efd_notify_stats { __u32 state, reserved; __u64 fired, pending; }` */
  readonly stats: 24;
} = { attach: 8, fire: 8, periodic: 24, stats: 24 };

/**
 * The ioctl request numbers of `efd_notify.h`.
 *
 * @example
 * ```ts
 * import { EFD_NOTIFY_IOCTL } from "@efdpool/efdpool/kernel";
 * import assert from "node:assert/strict";
 * assert.equal(EFD_NOTIFY_IOCTL.ATTACH.toString(16), "4008da01");
 * ```
 */
export const EFD_NOTIFY_IOCTL: {
  /** `EFD_NOTIFY_IOC_ATTACH`: take an eventfd from the caller's file table. */
  readonly ATTACH: number;
  /** `EFD_NOTIFY_IOC_DETACH`: stop firing and drop the eventfd. */
  readonly DETACH: number;
  /** `EFD_NOTIFY_IOC_FIRE`: signal N units from a workqueue. */
  readonly FIRE: number;
  /** `EFD_NOTIFY_IOC_PERIODIC`: signal units from an hrtimer. */
  readonly PERIODIC: number;
  /** `EFD_NOTIFY_IOC_STOP`: cancel the burst and the timer. */
  readonly STOP: number;
  /** `EFD_NOTIFY_IOC_STATS`: read the channel's state and counters. */
  readonly STATS: number;
} = {
  ATTACH: ioc(IOC_WRITE, 1, EFD_NOTIFY_SIZES.attach),
  DETACH: ioc(IOC_NONE, 2, 0),
  FIRE: ioc(IOC_WRITE, 3, EFD_NOTIFY_SIZES.fire),
  PERIODIC: ioc(IOC_WRITE, 4, EFD_NOTIFY_SIZES.periodic),
  STOP: ioc(IOC_NONE, 5, 0),
  STATS: ioc(IOC_READ, 6, EFD_NOTIFY_SIZES.stats),
};

/**
 * Bounds the module enforces; requests outside them fail with EINVAL.
 *
 * @example
 * ```ts
 * import { EFD_NOTIFY_LIMITS } from "@efdpool/efdpool/kernel";
 * import assert from "node:assert/strict";
 * const count = Math.min(5e9, EFD_NOTIFY_LIMITS.maxCount);
 * assert.equal(count, 1000000000);
 * ```
 */
export const EFD_NOTIFY_LIMITS: {
  /** Most units one fire or periodic request (and a channel's backlog) may hold. */
  readonly maxCount: 1_000_000_000;
  /** Shortest hrtimer period, in nanoseconds. */
  readonly minPeriodNs: 10_000;
  /** Longest hrtimer period, in nanoseconds. */
  readonly maxPeriodNs: 60_000_000_000;
  /** Most units signalled on one timer expiry. */
  readonly maxPerTick: 1024;
} = {
  maxCount: 1_000_000_000,
  minPeriodNs: 10_000,
  maxPeriodNs: 60_000_000_000,
  maxPerTick: 1024,
};

/**
 * Bits of `efd_notify_stats.state`.
 *
 * @example
 * ```ts
 * import { EFD_NOTIFY_STATE } from "@efdpool/efdpool/kernel";
 * import assert from "node:assert/strict";
 * const state = 0x3;
 * assert.equal((state & EFD_NOTIFY_STATE.BURST) !== 0, true);
 * ```
 */
export const EFD_NOTIFY_STATE: {
  /** An eventfd is attached. */
  readonly ATTACHED: 0x1;
  /** Units are queued for the workqueue (bursts, and ticks beyond what one expiry signals itself). */
  readonly BURST: 0x2;
  /** The hrtimer still has units to fire. */
  readonly PERIODIC: 0x4;
  /** The eventfd was closed by user space and the channel detached itself. */
  readonly HUP: 0x8;
} = { ATTACHED: 0x1, BURST: 0x2, PERIODIC: 0x4, HUP: 0x8 };
