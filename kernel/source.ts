/**
 * `EfdNotifySource`: block reads with the efd_notify kernel module as the
 * notifier. This thread reads each block into a shared slot and asks the
 * module to signal the source's eventfd once; the worker the kernel wakes
 * claims the next queued block and runs the handler on it, as an
 * `IoSource`'s handler runs on a completion.
 *
 * @module
 */

import { ClosedError, FullError } from "../errors.ts";
import { ERRNO, lastErrno } from "../ffi/errno.ts";
import { EventFd } from "../ffi/eventfd.ts";
import { libc } from "../ffi/_libc.ts";
import type { BlockSource } from "../io/block_source.ts";
import type { ReadFile } from "../io/file.ts";
import { Slots } from "../io/_slots.ts";
import {
  attachEnveloped,
  type AttachSourceOptions,
  type IoSourceOptions,
  type ReadOptions,
} from "../io/source.ts";
import {
  checkAttachArgs,
  checkRead,
  checkSourceOptions,
} from "../io/_validate.ts";
import { attachTo } from "../workers/attachable.ts";
import type { WorkerPool } from "../workers/pool.ts";
import type { PoolSource } from "../workers/source.ts";
import { type EfdNotifySourceData, RESULTS } from "./_source_worker.ts";
import { EfdNotifyChannel } from "./client.ts";

const { EINTR } = ERRNO;

/** What signals the source's eventfd: an `EfdNotifyChannel`, or a stand-in. */
export interface BlockNotifier {
  /** Takes the eventfd to signal. */
  attach(eventfd: EventFd): void;
  /** Adds `count` units to it. */
  fire(count: number): void;
  /** Stops signalling and lets the eventfd go. */
  close(): void;
}

/**
 * A block source whose units come from `/dev/efd_notify`: `read` reads the
 * k-th block into slot `k mod depth` on this thread, then has the module
 * fire one unit. Slots are taken in ring order, so `inFlight` counts the
 * slots up to the oldest block not yet handled. Needs the efd_notify module
 * loaded (`kernel/README.md`).
 *
 * @example
 * ```ts ignore
 * import { EfdNotifySource, openForRead, WorkerPool } from "@efdpool/efdpool";
 * await using pool = new WorkerPool({ workers: 2 });
 * const src = EfdNotifySource.create({ depth: 8, blockSize: 65536 });
 * pool.attach(src, {
 *   handler: "data:text/javascript,export const handle = (c) => c.data.length;",
 *   onResult: (n, { tag }) => console.log(tag, n),
 * });
 * using f = openForRead("/etc/hostname", { direct: false });
 * src.read(f, 0, { length: f.size });
 * await src.close(); // drains first
 * ```
 */
export class EfdNotifySource implements BlockSource {
  /** The source's kind, and its default name in the pool's stats. */
  readonly backend = "efd_notify";
  /** The semaphore eventfd the module signals. */
  readonly eventfd: EventFd;
  /** Slots, i.e. most blocks queued and not handled. */
  readonly depth: number;
  /** Largest read in bytes. */
  readonly blockSize: number;
  readonly #slots: Slots;
  readonly #control: Int32Array;
  readonly #notifier: BlockNotifier;
  readonly #iov = new BigUint64Array(2);
  #queued = 0;
  #attached?: PoolSource;
  #closed = false;
  #closing?: Promise<void>;
  #failure?: Error;

  private constructor(
    depth: number,
    blockSize: number,
    eventfd: EventFd,
    notifier: BlockNotifier,
  ) {
    this.depth = depth;
    this.blockSize = blockSize;
    this.eventfd = eventfd;
    this.#notifier = notifier;
    this.#slots = Slots.create(depth, blockSize);
    this.#control = new Int32Array(
      new SharedArrayBuffer(4 * (RESULTS + depth)),
    );
  }

  /**
   * Opens a channel of `/dev/efd_notify` (or uses `notifier`, a stand-in
   * where the module cannot be loaded) and points it at a new semaphore
   * eventfd. Throws `ModuleNotLoadedError` or `DevicePermissionError` when
   * the module cannot be used.
   *
   * @example
   * ```ts ignore
   * import { EfdNotifySource } from "@efdpool/efdpool";
   * const src = EfdNotifySource.create({ depth: 32, blockSize: 256 << 10 });
   * await src.close();
   * ```
   */
  static create(
    options: IoSourceOptions = {},
    notifier?: BlockNotifier,
  ): EfdNotifySource {
    const { depth, blockSize } = checkSourceOptions(options);
    const n = notifier ?? EfdNotifyChannel.open();
    const efd = EventFd.create({ semaphore: true });
    try {
      n.attach(efd);
      return new EfdNotifySource(depth, blockSize, efd, n);
    } catch (e) {
      n.close();
      efd.close();
      throw e;
    }
  }

  /** Blocks queued and not handled, counted up to the oldest unhandled one. */
  get inFlight(): number {
    let free = 0;
    while (
      free < this.depth &&
      !this.#slots.busy((this.#queued + free) % this.depth)
    ) free++;
    return this.depth - free;
  }

  /**
   * Reads the block on this thread into the next slot, then has the module
   * signal one unit. A failed read is queued too: its handler sees the
   * error. Throws `FullError` while that slot's block is unhandled.
   */
  read(
    file: ReadFile | number,
    offset: number,
    options: ReadOptions = {},
  ): number {
    const { fd, length, tag } = checkRead(
      file,
      offset,
      options,
      this.blockSize,
    );
    if (this.#failure) throw this.#failure;
    if (this.#closed) throw new ClosedError("source", "read");
    const slot = this.#queued % this.depth;
    if (this.#slots.busy(slot)) {
      throw new FullError("source", this.depth, "operations in flight");
    }
    const id = this.#queued + 1;
    // Only this thread takes slots, always the one after the last it took,
    // so the free slot `slot` is the one acquire picks.
    this.#slots.acquire({ id, tag, op: "read", fd, offset, length });
    this.#iov[0] = this.#slots.address(slot);
    this.#iov[1] = BigInt(length);
    let res: number;
    do {
      res = Number(libc().preadv2(fd, this.#iov, 1, BigInt(offset), 0));
      if (res < 0) res = -lastErrno();
    } while (res === -EINTR);
    Atomics.store(this.#control, RESULTS + slot, res);
    try {
      this.#notifier.fire(1);
    } catch (e) {
      // No unit stands for the block and the ring is out of step: give up.
      this.#slots.abandon(slot);
      this.#failure = e as Error;
      throw e;
    }
    this.#queued++;
    return id;
  }

  /**
   * Resolves when the next `slots` reads (default 1) cannot throw
   * `FullError`.
   */
  async ready(options: { slots?: number } = {}): Promise<void> {
    const want = Math.min(Math.max(1, options.slots ?? 1), this.depth);
    for (;;) {
      const seen = this.#slots.handled;
      if (this.depth - this.inFlight >= want) return;
      await this.#slots.waitHandled(seen);
    }
  }

  /**
   * Resolves once every queued block has been handled and its result
   * delivered (needs the source attached).
   */
  async drain(): Promise<void> {
    if (this.#failure) throw this.#failure;
    await this.#attached?.until(this.#queued);
  }

  /**
   * Called by `pool.attach(source, options)`: for each unit one worker
   * claims a block and calls the `handler` module's `handle(completion, ctx)`,
   * as an `IoSource`'s handler is called.
   */
  [attachTo](pool: WorkerPool, options: AttachSourceOptions): PoolSource {
    checkAttachArgs(pool, options);
    if (this.#closed) throw new ClosedError("source", "attach");
    if (this.#attached) {
      throw new TypeError(
        "the source is attached already; close it and make another",
      );
    }
    const data: EfdNotifySourceData = {
      slots: this.#slots.init,
      control: this.#control.buffer as SharedArrayBuffer,
      handler: String(options.handler),
      userData: options.data,
    };
    const worker = new URL("./_source_worker.ts", import.meta.url);
    const name = options.name ?? this.backend;
    return this.#attached = attachEnveloped(pool, this.eventfd, worker, data, {
      ...options,
      name,
    });
  }

  /**
   * Drains, detaches from the pool, closes the channel (the module stops
   * and drops the eventfd) and the eventfd. Close it before its pool; a
   * second call waits for the first.
   */
  close(): Promise<void> {
    return this.#closing ??= this.#close();
  }

  async #close(): Promise<void> {
    this.#closed = true;
    try {
      if (this.#attached) {
        try {
          if (!this.#failure) await this.drain();
        } finally {
          await this.#attached.detach();
        }
      }
    } finally {
      this.#notifier.close();
      this.eventfd.close();
    }
  }
}
