/**
 * `IoUringSource`: io_uring as an efdpool source.
 *
 * The ring's registered eventfd is the source's semaphore eventfd, but the
 * kernel signals it once per batch of CQEs it posts, not once per CQE
 * (measured on 6.18: 64 reads, polls or timeouts completing together add
 * 1 to the count; see tests/io_uring_test.ts). So a unit means "look at the
 * CQ": the worker claims one CQE with a CAS on the CQ head and, if more
 * remain, adds a unit to recruit a peer (see uring_worker.ts). Every CQE is
 * claimed by exactly one worker; some units find the CQ empty.
 *
 * @module
 */

import { ClosedError } from "../errors.ts";
import { EventFd } from "../ffi/eventfd.ts";
import { ERRNO, ErrnoError } from "../ffi/errno.ts";
import { libc } from "../ffi/_libc.ts";
import {
  IoLimitError,
  IoUnavailableError,
  UnsupportedFeatureError,
} from "./errors.ts";
import type { OpName, SlotOp } from "./_slots.ts";
import { IoSource, type IoSourceOptions, type TagOptions } from "./source.ts";
import { checkMs } from "../workers/_validate.ts";
import {
  checkOpName,
  checkSourceOptions,
  checkTagOptions,
} from "./_validate.ts";
import { addressOf, sys, sysRaw } from "./_sys.ts";
import {
  CqClaimer,
  IORING_FEAT_NODROP,
  mapRings,
  PARAMS_SIZE,
  type RingLayout,
  SqWriter,
  unmapRings,
} from "./_uring_ring.ts";

const IORING_OP_NOP = 0;
const IORING_OP_POLL_ADD = 6;
const IORING_OP_TIMEOUT = 11;
const IORING_OP_READ = 22;
const IORING_REGISTER_EVENTFD = 4;
const IORING_REGISTER_PROBE = 8;
const IORING_REGISTER_SYNC_CANCEL = 24;
const IO_URING_OP_SUPPORTED = 1;
const { ENOSYS, EPERM, ENOMEM, EINVAL, EINTR, EAGAIN, EBUSY } = ERRNO;

/** Which operations this source uses, and the kernel that brought each. */
const OPS: Record<OpName, { code: number; since: string }> = {
  read: { code: IORING_OP_READ, since: "Linux 5.6" },
  poll: { code: IORING_OP_POLL_ADD, since: "Linux 5.1" },
  timeout: { code: IORING_OP_TIMEOUT, since: "Linux 5.4" },
  nop: { code: IORING_OP_NOP, since: "Linux 5.1" },
};

/** What workers need to claim CQEs: the ring layout. */
export type UringKernelData = RingLayout;

/** Reads `kernel.io_uring_disabled`, or null if it cannot be read. */
function disabledSysctl(): number | null {
  try {
    return Number(
      Deno.readTextFileSync("/proc/sys/kernel/io_uring_disabled").trim(),
    );
  } catch {
    return null;
  }
}

/**
 * Turns io_uring_setup's errno into the error a user can act on.
 *
 * @param errno The errno io_uring_setup left.
 * @param entries The entries asked for.
 * @param disabled `kernel.io_uring_disabled` (null if unreadable).
 */
export function setupError(
  errno: number,
  entries: number,
  disabled: number | null,
): Error {
  const cause = new ErrnoError("io_uring_setup", errno, `${entries}`);
  if (errno === ENOSYS) {
    return new IoUnavailableError(
      "io_uring",
      "this kernel has no io_uring (ENOSYS: older than 5.1, or built without it)",
      { cause },
    );
  }
  if (errno === EPERM) {
    const why = disabled === 2
      ? "disabled system-wide (kernel.io_uring_disabled = 2)"
      : disabled === 1
      ? "restricted to the kernel.io_uring_group group (kernel.io_uring_disabled = 1)"
      : "not permitted (EPERM): a seccomp or container policy blocks it";
    return new IoUnavailableError("io_uring", why, { cause });
  }
  if (errno === ENOMEM) {
    return new IoLimitError(
      "io_uring",
      `no memory for a ring of ${entries} entries (ENOMEM): kernels before 5.12 charge rings to RLIMIT_MEMLOCK; raise it (ulimit -l) or lower depth`,
      { cause },
    );
  }
  return cause;
}

/**
 * io_uring as a source: reads, polls, timeouts and nops, completed by the
 * kernel and handled by a pool's workers, each CQE exactly once.
 *
 * @example A timeout handled in a worker
 * ```ts
 * import { IoUringSource, WorkerPool } from "@efdpool/efdpool";
 * const handler = "data:text/javascript,export const handle = (c) => c.op;";
 * await using pool = new WorkerPool({ workers: 2 });
 * const ring = IoUringSource.create({ depth: 8, blockSize: 0 });
 * pool.attach(ring, { handler, onResult: (op) => console.log(op) }); // "timeout"
 * ring.timeout(5);
 * await ring.close();
 * ```
 */
export class IoUringSource extends IoSource {
  /** Always "io_uring". */
  readonly backend = "io_uring" as const;
  readonly #layout: RingLayout;
  readonly #sq: SqWriter;
  readonly #cq: CqClaimer;
  readonly #supported: Set<number>;
  /** A __kernel_timespec per slot, read by the kernel when it preps a timeout. */
  readonly #timespecs: BigInt64Array;
  readonly #timespecBase: bigint;
  readonly #cancelReg = new DataView(new ArrayBuffer(64));
  #flushScheduled = false;

  private constructor(
    options: IoSourceOptions,
    layout: RingLayout,
    efd: EventFd,
    supported: Set<number>,
  ) {
    super(options, efd);
    this.#layout = layout;
    this.#sq = new SqWriter(layout);
    this.#cq = new CqClaimer(layout);
    this.#supported = supported;
    this.#timespecs = new BigInt64Array(this.depth * 2);
    this.#timespecBase = addressOf(this.#timespecs);
  }

  /**
   * Sets up a ring for `depth` operations and registers a semaphore eventfd
   * with it. Throws `IoUnavailableError` when io_uring is missing, disabled
   * (`kernel.io_uring_disabled`) or blocked, and `IoLimitError` for limits.
   *
   * @example
   * ```ts
   * import { IoUringSource } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * await using ring = IoUringSource.create({ depth: 32 });
   * assert.equal(ring.backend, "io_uring");
   * assert.equal(ring.depth, 32);
   * ```
   */
  static create(options: IoSourceOptions = {}): IoUringSource {
    const { depth } = checkSourceOptions(options);
    const params = new Uint8Array(PARAMS_SIZE);
    const r = sysRaw("io_uring_setup", [depth, addressOf(params)]);
    if (r < 0n) throw setupError(Number(-r), depth, disabledSysctl());
    const fd = Number(r);
    let layout: RingLayout | undefined;
    let efd: EventFd | undefined;
    try {
      layout = mapRings(fd, params);
      if (!(layout.features & IORING_FEAT_NODROP)) {
        throw new UnsupportedFeatureError(
          "io_uring without CQ drops",
          "Linux 5.5",
        );
      }
      efd = EventFd.create({ semaphore: true });
      const arg = new Int32Array([efd.fd]);
      sys(
        "io_uring_register",
        [fd, IORING_REGISTER_EVENTFD, addressOf(arg), 1],
        "eventfd",
      );
      return new IoUringSource(options, layout, efd, probe(fd));
    } catch (e) {
      efd?.close();
      if (layout) unmapRings(layout);
      libc().close(fd);
      throw e;
    }
  }

  /**
   * Whether this kernel supports `op` (from IORING_REGISTER_PROBE; kernels
   * before 5.6 have no probe, and only poll and nop are assumed). An `op`
   * other than "read", "poll", "timeout" or "nop" is a `TypeError` or
   * `RangeError`; a closed source throws `ClosedError`.
   *
   * @example
   * ```ts
   * import { IoUringSource } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * await using ring = IoUringSource.create({ depth: 2, blockSize: 0 });
   * assert.equal(typeof ring.supports("read"), "boolean"); // true on Linux 5.6+
   * ```
   */
  supports(op: OpName): boolean {
    const name = checkOpName(op);
    if (this.closed) {
      throw new ClosedError("source", `check support for ${name}`);
    }
    return this.#supported.has(OPS[name].code);
  }

  // Internal ops are valid and the source open: no checks on the hot path.
  #require(op: OpName): void {
    if (!this.#supported.has(OPS[op].code)) {
      throw new UnsupportedFeatureError(`io_uring ${op}`, OPS[op].since);
    }
  }

  /**
   * Submits a timer that completes after `ms` milliseconds (`res` 0), or
   * with an ECANCELED error when cancelled.
   *
   * @example
   * ```ts
   * import { IoUringSource } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * await using ring = IoUringSource.create({ depth: 2, blockSize: 0 });
   * const id = ring.timeout(60_000);
   * assert.equal(ring.cancel(id), true);
   * ```
   */
  timeout(ms: number, options: TagOptions = {}): number {
    checkMs("ms", ms);
    const tag = checkTagOptions(options);
    return this.submit({
      op: "timeout",
      tag,
      fd: -1,
      offset: 0,
      length: ms,
    });
  }

  /**
   * Submits a no-op, which completes at once: the cheapest completion, for
   * measuring the pool.
   *
   * @example
   * ```ts
   * import { IoUringSource } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * await using ring = IoUringSource.create({ depth: 2, blockSize: 0 });
   * assert.equal(ring.nop(), 1);
   * ```
   */
  nop(options: TagOptions = {}): number {
    const tag = checkTagOptions(options);
    return this.submit({
      op: "nop",
      tag,
      fd: -1,
      offset: 0,
      length: 0,
    });
  }

  /**
   * Queues an SQE for the slot's operation; a microtask submits the batch.
   *
   * @ignore
   */
  protected kernelSubmit(slot: number, op: SlotOp): void {
    this.#require(op.op);
    let addr = 0n;
    if (op.op === "read") addr = this.slots.address(slot);
    if (op.op === "timeout") {
      const ns = BigInt(Math.round(op.length * 1e6));
      this.#timespecs[slot * 2] = ns / 1_000_000_000n;
      this.#timespecs[slot * 2 + 1] = ns % 1_000_000_000n;
      addr = this.#timespecBase + BigInt(slot * 16);
    }
    const pushed = this.#sq.push((v, at) => {
      v.setUint8(at, OPS[op.op].code);
      v.setInt32(at + 4, op.fd, true);
      v.setBigUint64(at + 8, BigInt(op.op === "read" ? op.offset : 0), true);
      v.setBigUint64(at + 16, addr, true);
      // len: bytes for a read, timespec count (1) for a timeout.
      v.setUint32(
        at + 24,
        op.op === "read" ? op.length : op.op === "timeout" ? 1 : 0,
        true,
      );
      if (op.op === "poll") v.setUint32(at + 28, op.length, true);
      // user_data 0 is reserved for CQEs that are no operation's own.
      v.setBigUint64(at + 32, BigInt(slot + 1), true);
    });
    // The slots bound operations in flight to depth <= SQ entries.
    if (!pushed) {
      throw new Error("io_uring SQ full: more operations than slots");
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.#flush());
    }
  }

  /**
   * Enters the kernel once for all SQEs queued since the last flush: fewer
   * syscalls, and completions that arrive as one batch (one eventfd unit,
   * then relays) rather than one unit per CQE plus relays.
   */
  #flush(): void {
    this.#flushScheduled = false;
    for (;;) {
      // Closed: the rings are unmapped, and touching them would fault.
      if (this.closed) return;
      const n = this.#sq.queued();
      if (n === 0) return;
      const r = sysRaw("io_uring_enter", [this.#layout.fd, n, 0, 0, 0, 0]);
      if (r > 0n || r === -BigInt(EINTR)) continue;
      if (r === -BigInt(EAGAIN) || r === -BigInt(EBUSY)) {
        // Out of kernel resources for now: the SQEs stay queued; retry soon.
        this.#flushScheduled = true;
        setTimeout(() => this.#flush(), 1);
        return;
      }
      this.#sq.rollback();
      this.fail(
        new ErrnoError(
          "io_uring_enter",
          r < 0n ? Number(-r) : EINVAL,
          `${n} operations`,
        ),
      );
      return;
    }
  }

  /**
   * A synchronous cancel (IORING_REGISTER_SYNC_CANCEL, Linux 6.0): 0 means
   * the operation was found and cancelled, and its CQE (-ECANCELED) is
   * posted like any other.
   *
   * @ignore
   */
  protected kernelCancel(slot: number): boolean {
    this.#flush();
    const v = this.#cancelReg;
    for (let i = 0; i < 64; i += 8) v.setBigUint64(i, 0n);
    v.setBigUint64(0, BigInt(slot + 1), true); // addr: the user_data to match
    v.setInt32(8, -1, true); // fd: unused when matching user_data
    v.setBigInt64(16, -1n, true); // timeout: none
    v.setBigInt64(24, -1n, true);
    const r = sysRaw("io_uring_register", [
      this.#layout.fd,
      IORING_REGISTER_SYNC_CANCEL,
      addressOf(v),
      1,
    ]);
    if (r === -BigInt(EINVAL)) {
      throw new UnsupportedFeatureError(
        "io_uring synchronous cancel",
        "Linux 6.0",
      );
    }
    return r === 0n;
  }

  /** @ignore */
  protected kernelReady(): number {
    return this.#cq.pending();
  }

  /** @ignore */
  protected kernelData(): UringKernelData {
    return this.#layout;
  }

  /**
   * Unmapping and closing the ring cancels anything left in it.
   *
   * @ignore
   */
  protected kernelDestroy(): void {
    unmapRings(this.#layout);
    libc().close(this.#layout.fd);
  }
}

/** Which opcodes the kernel supports (IORING_REGISTER_PROBE, Linux 5.6). */
function probe(fd: number): Set<number> {
  const ops = 256;
  const buf = new Uint8Array(16 + ops * 8);
  const r = sysRaw("io_uring_register", [
    fd,
    IORING_REGISTER_PROBE,
    addressOf(buf),
    ops,
  ]);
  const supported = new Set<number>();
  if (r < 0n) {
    // Before 5.6 there is no probe, and only the original opcodes exist.
    for (const code of [IORING_OP_NOP, IORING_OP_POLL_ADD]) supported.add(code);
    return supported;
  }
  const count = buf[1];
  for (let i = 0; i < count; i++) {
    const at = 16 + i * 8;
    if (buf[at + 2] & IO_URING_OP_SUPPORTED) supported.add(buf[at]);
  }
  return supported;
}
