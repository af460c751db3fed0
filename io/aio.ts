/**
 * `AioSource`: Linux native AIO (io_setup/io_submit) as an efdpool source.
 *
 * Each iocb carries `IOCB_FLAG_RESFD`, so the kernel's `aio_complete` adds
 * exactly one unit to the source's semaphore eventfd per completion, after
 * the event is in the completion ring. A worker that takes a unit therefore
 * always finds an event to reap with `io_getevents(ctx, 1, 1)`, and the
 * kernel hands each event to one caller only.
 *
 * @module
 */

import { EventFd } from "../ffi/eventfd.ts";
import { ERRNO, ErrnoError } from "../ffi/errno.ts";
import { IoLimitError, IoUnavailableError } from "./errors.ts";
import type { SlotOp } from "./_slots.ts";
import { IoSource, type IoSourceOptions } from "./source.ts";
import { addressOf, sys, sysRaw, viewMemory } from "./_sys.ts";
import { checkSourceOptions } from "./_validate.ts";

const IOCB_CMD_PREAD = 0;
const IOCB_CMD_POLL = 5;
const IOCB_FLAG_RESFD = 1;
const IOCB_SIZE = 64;
const { EINPROGRESS, EAGAIN, ENOSYS, ENOMEM } = ERRNO;

/** What a worker needs to reap AIO events: the context, process-wide. */
export interface AioKernelData {
  /** The aio_context_t from io_setup. */
  ctx: bigint;
}

function readSysctl(name: string): string {
  try {
    return Deno.readTextFileSync(`/proc/sys/${name}`).trim();
  } catch {
    return "?";
  }
}

/**
 * Linux AIO as a source: reads (buffered or `O_DIRECT`) and `IOCB_CMD_POLL`
 * on any pollable fd, one eventfd unit per completion.
 *
 * @example Reading a file through a pool
 * ```ts
 * import { AioSource, openForRead, WorkerPool } from "@efdpool/efdpool";
 * const handler = "data:text/javascript,export const handle = (c) => c.res;";
 * await using pool = new WorkerPool({ workers: 2 });
 * const aio = AioSource.create({ depth: 16, blockSize: 4096 });
 * pool.attach(aio, { handler, onResult: (bytes) => console.log(bytes) });
 * using f = openForRead("/etc/hostname");
 * aio.read(f, 0);
 * await aio.close();
 * ```
 */
export class AioSource extends IoSource {
  /** Always "aio". */
  readonly backend = "aio" as const;
  readonly #ctx: bigint;
  readonly #iocbs: Uint8Array;
  readonly #iocbView: DataView;
  readonly #iocbBase: bigint;
  readonly #ptr = new BigUint64Array(1);
  readonly #ring: Uint32Array;
  readonly #event = new BigInt64Array(4);

  private constructor(options: IoSourceOptions, ctx: bigint, efd: EventFd) {
    super(options, efd);
    this.#ctx = ctx;
    this.#iocbs = new Uint8Array(this.depth * IOCB_SIZE);
    this.#iocbView = new DataView(this.#iocbs.buffer);
    this.#iocbBase = addressOf(this.#iocbs);
    // The context id is the address of the kernel's completion ring, mapped
    // into this process: its header tells how many events wait (see stats).
    this.#ring = new Uint32Array(viewMemory(ctx, 16));
  }

  /**
   * Creates an AIO context for `depth` operations and a semaphore eventfd.
   * Throws `IoLimitError` when `fs.aio-max-nr` would be exceeded, and
   * `IoUnavailableError` on kernels built without AIO.
   *
   * @example
   * ```ts
   * import { AioSource } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * await using aio = AioSource.create({ depth: 32, blockSize: 65536 });
   * assert.equal(aio.backend, "aio");
   * assert.equal(aio.depth, 32);
   * ```
   */
  static create(options: IoSourceOptions = {}): AioSource {
    const { depth } = checkSourceOptions(options);
    const cell = new BigUint64Array(1);
    const r = sysRaw("io_setup", [depth, addressOf(cell)]);
    if (r < 0n) {
      const errno = Number(-r);
      const cause = new ErrnoError("io_setup", errno, `${depth}`);
      if (errno === EAGAIN) {
        throw new IoLimitError(
          "aio",
          `AIO limit reached: ${depth} more events would exceed fs.aio-max-nr ` +
            `(${readSysctl("fs/aio-nr")} of ${
              readSysctl("fs/aio-max-nr")
            } in use); lower depth or raise the sysctl`,
          { cause },
        );
      }
      if (errno === ENOSYS) {
        throw new IoUnavailableError(
          "aio",
          "this kernel was built without AIO (ENOSYS)",
          { cause },
        );
      }
      if (errno === ENOMEM) {
        throw new IoLimitError(
          "aio",
          `no kernel memory for ${depth} AIO events (ENOMEM)`,
          { cause },
        );
      }
      throw cause;
    }
    const ctx = cell[0];
    let efd: EventFd | undefined;
    try {
      efd = EventFd.create({ semaphore: true });
      return new AioSource(options, ctx, efd);
    } catch (e) {
      efd?.close();
      sysRaw("io_destroy", [ctx]);
      throw e;
    }
  }

  #iocbAddress(slot: number): bigint {
    return this.#iocbBase + BigInt(slot * IOCB_SIZE);
  }

  /**
   * Fills the slot's iocb and submits it.
   *
   * @ignore
   */
  protected kernelSubmit(slot: number, op: SlotOp): void {
    const v = this.#iocbView;
    const at = slot * IOCB_SIZE;
    this.#iocbs.fill(0, at, at + IOCB_SIZE);
    v.setBigUint64(at, BigInt(slot), true); // aio_data
    if (op.op === "read") {
      v.setUint16(at + 16, IOCB_CMD_PREAD, true);
      v.setBigUint64(at + 24, this.slots.address(slot), true);
      v.setBigUint64(at + 32, BigInt(op.length), true);
      v.setBigInt64(at + 40, BigInt(op.offset), true);
    } else if (op.op === "poll") {
      v.setUint16(at + 16, IOCB_CMD_POLL, true);
      v.setBigUint64(at + 24, BigInt(op.length), true); // the events mask
    } else {
      throw new TypeError(`AIO has no ${op.op} operation; use IoUringSource`);
    }
    v.setUint32(at + 20, op.fd, true);
    v.setUint32(at + 56, IOCB_FLAG_RESFD, true);
    v.setUint32(at + 60, this.eventfd.fd, true);
    this.#ptr[0] = this.#iocbAddress(slot);
    sys(
      "io_submit",
      [this.#ctx, 1, addressOf(this.#ptr)],
      `${op.op} on fd ${op.fd}`,
    );
  }

  /**
   * io_cancel answers EINPROGRESS when it accepted: the cancelled event is
   * then posted to the ring (and signalled) like any other. Reads of
   * regular files are not cancellable (EINVAL).
   *
   * @ignore
   */
  protected kernelCancel(slot: number): boolean {
    const r = sysRaw("io_cancel", [
      this.#ctx,
      this.#iocbAddress(slot),
      addressOf(this.#event),
    ]);
    return r === -BigInt(EINPROGRESS);
  }

  /**
   * struct aio_ring starts { id, nr, head, tail }.
   *
   * @ignore
   */
  protected kernelReady(): number {
    const nr = this.#ring[1];
    return (Atomics.load(this.#ring, 3) - Atomics.load(this.#ring, 2) + nr) %
      nr;
  }

  /** @ignore */
  protected kernelData(): AioKernelData {
    return { ctx: this.#ctx };
  }

  /**
   * io_destroy waits for operations in flight and frees the ring, with any
   * events still in it: by now the pool has handled all of them.
   *
   * @ignore
   */
  protected kernelDestroy(): void {
    sysRaw("io_destroy", [this.#ctx]);
  }
}
