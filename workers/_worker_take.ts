/**
 * Worker side: taking several units from a semaphore eventfd in one system
 * call. Each `read(2)` takes one unit, and a system call costs this machine
 * about 1.3 µs; io_uring runs a batch of reads in one `io_uring_enter`,
 * 0.16–0.26 µs a unit for 32 (measured side by side in one process).
 *
 * Every read carries RWF_NOWAIT, so one that finds the counter empty
 * completes at once with EAGAIN instead of waiting for a unit: a read left
 * pending would take a unit nobody runs. {@linkcode BatchTaker.create} checks
 * that on a private eventfd before a worker relies on it, and returns null
 * (the worker then reads one unit per call) where io_uring is missing,
 * disabled or does not honour RWF_NOWAIT.
 *
 * The pool's thread makes one ring per worker incarnation and frees it when
 * the incarnation ends; the worker builds its views over the same mapping
 * ({@linkcode BatchTaker.attach}) and touches it only while it takes units.
 * Every read completes within its `io_uring_enter`, so nothing is in flight
 * between two calls. A worker killed while serving may run on for a moment
 * after terminate(): its ring's fd is closed but the mapping stays (see
 * {@linkcode BatchTaker.close}).
 *
 * @module
 */

import { RWF_NOWAIT } from "../ffi/constants.ts";
import { ERRNO } from "../ffi/errno.ts";
import { libc } from "../ffi/_libc.ts";
import {
  mapRings,
  PARAMS_SIZE,
  type RingLayout,
  unmapRings,
} from "../io/_uring_ring.ts";
import { viewMemory } from "../io/_sys.ts";
import { TAKE_MAX } from "./_layout.ts";

/** Whether io_uring takes units here as it should (unknown until the first ring). */
let works: boolean | undefined;

const SYS_IO_URING_SETUP = 425;
const SYS_IO_URING_ENTER = 426;
const IORING_OP_READ = 22;
const IORING_ENTER_GETEVENTS = 1;
const EFD_SEMAPHORE = 1;
const EFD_NONBLOCK = 0o4000;
const { EAGAIN, EINTR } = ERRNO;

/** One worker's io_uring, used only to read units. */
export class BatchTaker {
  readonly #layout: RingLayout;
  readonly #ringFd: bigint;
  readonly #sq: Uint32Array;
  readonly #sqHead: number;
  readonly #sqTail: number;
  readonly #sqMask: number;
  readonly #cq: Int32Array;
  readonly #cqHead: number;
  readonly #cqTail: number;
  readonly #cqMask: number;
  readonly #cqes: number;
  readonly #sqe32: Uint32Array;
  /** Pool thread: where the units read land (C memory; their values are 1). */
  #sink: Deno.PointerValue = null;

  /** Views over the rings; touches no ring memory, so a worker killed here is harmless. */
  private constructor(layout: RingLayout) {
    this.#layout = layout;
    this.#ringFd = BigInt(layout.fd);
    const l = layout;
    this.#sq = new Uint32Array(viewMemory(l.sqRing, l.sqRingLength));
    this.#sqHead = l.sqOff.head / 4;
    this.#sqTail = l.sqOff.tail / 4;
    // Masks from the entry counts (powers of two), not read from the ring:
    // a worker killed while loading must not touch the mapping.
    this.#sqMask = l.sqEntries - 1;
    this.#cq = new Int32Array(
      viewMemory(l.cqRing, l.cqRingLength || l.sqRingLength),
    );
    this.#cqHead = l.cqOff.head / 4;
    this.#cqTail = l.cqOff.tail / 4;
    this.#cqMask = l.cqEntries - 1;
    this.#cqes = l.cqOff.cqes / 4;
    this.#sqe32 = new Uint32Array(viewMemory(l.sqes, l.sqesLength));
  }

  /**
   * Pool thread: every SQE is the same read but for its fd, so they are
   * filled once; the SQ array maps slot i to SQE i for good.
   */
  #fill(): boolean {
    const l = this.#layout;
    this.#sink = libc().malloc(BigInt(8 * TAKE_MAX));
    if (this.#sink === null) return false;
    const sink = BigInt(Deno.UnsafePointer.value(this.#sink));
    const sqe64 = new BigUint64Array(this.#sqe32.buffer);
    const array = l.sqOff.array / 4;
    for (let i = 0; i < l.sqEntries; i++) {
      sqe64.fill(0n, i * 8, i * 8 + 8);
      this.#sqe32[i * 16] = IORING_OP_READ; // opcode; flags, ioprio 0
      sqe64[i * 8 + 1] = 0xffffffffffffffffn; // off: -1, no position
      sqe64[i * 8 + 2] = sink + BigInt(8 * (i % TAKE_MAX)); // addr
      this.#sqe32[i * 16 + 6] = 8; // len
      this.#sqe32[i * 16 + 7] = RWF_NOWAIT; // rw_flags
      this.#sq[array + i] = i;
    }
    return true;
  }

  /** Pool thread: a ring for one worker, or null if io_uring cannot take units here. */
  static create(): BatchTaker | null {
    if (works === false) return null;
    const c = libc();
    const params = new Uint8Array(PARAMS_SIZE);
    const ptr = Deno.UnsafePointer.value(Deno.UnsafePointer.of(params));
    const fd = Number(
      c.syscall(
        BigInt(SYS_IO_URING_SETUP),
        BigInt(TAKE_MAX),
        ptr,
        0n,
        0n,
        0n,
        0n,
      ),
    );
    if (fd < 0) return null; // Maybe for now only (out of fds, say): no verdict.
    let taker: BatchTaker | undefined;
    try {
      taker = new BatchTaker(mapRings(fd, params));
    } catch {
      c.close(fd);
      return null;
    }
    // The kernel's answer does not change: probe on the first ring only.
    if (taker.#fill() && (works ??= taker.#probe())) return taker;
    taker.close(true);
    return null;
  }

  /**
   * Takes one unit of a fresh eventfd with two reads: one must come back
   * with the unit, the other with EAGAIN, and nothing may stay pending.
   */
  #probe(): boolean {
    const c = libc();
    const efd = c.eventfd(0, EFD_SEMAPHORE | EFD_NONBLOCK);
    if (efd < 0) return false;
    try {
      c.write(efd, new BigUint64Array([1n]), 8n);
      if (this.take(efd, 2) !== 1) return false;
      c.write(efd, new BigUint64Array([1n]), 8n);
      return c.read(efd, new BigUint64Array(1), 8n) === 8n;
    } finally {
      c.close(efd);
    }
  }

  /**
   * Takes up to `k` (≤ TAKE_MAX) units from eventfd `fd` without blocking:
   * the number taken, or a negative errno if none was and a read (or the
   * ring) failed other than on an empty counter.
   */
  take(fd: number, k: number): number {
    const sq = this.#sq;
    let tail = sq[this.#sqTail];
    for (let i = 0; i < k; i++) {
      this.#sqe32[((tail + i) & this.#sqMask) * 16 + 1] = fd;
    }
    tail = (tail + k) >>> 0;
    // Publishes the SQEs written above (a release store).
    Atomics.store(sq, this.#sqTail, tail);
    let expected = k;
    let error = 0;
    for (;;) {
      // SQEs the kernel has not consumed (none, unless interrupted).
      const submit = (tail - Atomics.load(sq, this.#sqHead)) >>> 0;
      const r = Number(
        libc().syscall(
          BigInt(SYS_IO_URING_ENTER),
          this.#ringFd,
          BigInt(submit),
          BigInt(expected - this.#reaped),
          BigInt(IORING_ENTER_GETEVENTS),
          0n,
          0n,
        ),
      );
      if (r < 0 && -r !== EINTR) {
        // The ring failed: withdraw what it did not consume (the kernel
        // reads the SQ tail only inside io_uring_enter). What it consumed
        // completed at once (RWF_NOWAIT): reap that and stop.
        const left = (tail - Atomics.load(sq, this.#sqHead)) >>> 0;
        Atomics.store(sq, this.#sqTail, Atomics.load(sq, this.#sqHead));
        expected -= left;
        error = -r;
      }
      this.#reap();
      if (this.#reaped >= expected || error) break;
    }
    const got = this.#got;
    const failed = this.#failed || error;
    this.#reaped = this.#got = this.#failed = 0;
    return got || !failed ? got : -failed;
  }

  #reaped = 0;
  #got = 0;
  #failed = 0;

  /** Counts the CQEs posted so far and frees their slots. */
  #reap(): void {
    const cq = this.#cq;
    let head = cq[this.#cqHead];
    const end = Atomics.load(cq, this.#cqTail);
    while (head !== end) {
      const res = cq[this.#cqes + ((head & this.#cqMask) >>> 0) * 4 + 2];
      if (res === 8) this.#got++;
      else if (res !== -EAGAIN) this.#failed = -res;
      head = (head + 1) | 0;
      this.#reaped++;
    }
    Atomics.store(cq, this.#cqHead, head);
  }

  /** What a worker needs to {@linkcode BatchTaker.attach} (plain data, postable). */
  get layout(): RingLayout {
    return this.#layout;
  }

  /** Worker: views over the ring the pool made (see {@linkcode BatchTaker.create}). */
  static attach(layout: RingLayout): BatchTaker {
    return new BatchTaker(layout);
  }

  /**
   * Pool thread: closes the ring fd and, if `unmap`, frees the rings and the
   * sink. A worker killed while serving may still run for a moment after
   * terminate() and be inside {@linkcode BatchTaker.take}: its ring's memory
   * must then stay mapped (about 12 KiB left behind per such death), and
   * the closed fd makes its next take fail instead.
   */
  close(unmap: boolean): void {
    libc().close(this.#layout.fd);
    if (!unmap) return;
    unmapRings(this.#layout);
    if (this.#sink !== null) libc().free(this.#sink);
  }
}
