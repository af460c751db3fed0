/**
 * `IoSource`: what AIO and io_uring sources share — slots, ids, submit
 * bookkeeping, attaching to a pool, draining and closing.
 *
 * @module
 */

import { ClosedError, FullError } from "../errors.ts";
import type { EventFd } from "../ffi/eventfd.ts";
import { type Attachable, attachTo } from "../workers/attachable.ts";
import type { WorkerPool } from "../workers/pool.ts";
import type { PoolSource } from "../workers/source.ts";
import type { BlockSource } from "./block_source.ts";
import type { AttachOptions, Notification } from "../workers/types.ts";
import type { IoBackend } from "./errors.ts";
import type { ReadFile } from "./file.ts";
import { type SlotOp, Slots, type SlotsInit } from "./_slots.ts";
import { checkInt, checkOptions, checkSignal } from "../ffi/_validate.ts";
import {
  checkAttachArgs,
  checkRead,
  checkSourceOptions,
  checkTagOptions,
  MAX_FD,
} from "./_validate.ts";

/** Options shared by {@linkcode AioSource.create} and {@linkcode IoUringSource.create}. */
export interface IoSourceOptions {
  /** Most operations in flight at once: 1..32768 (default 64). */
  depth?: number;
  /**
   * Largest read, in bytes: 0..2^30; each slot gets a buffer this big
   * (default 65536).
   */
  blockSize?: number;
}

/** Options for {@linkcode IoSource.read}. */
export interface ReadOptions {
  /** Bytes to read (default: the source's `blockSize`, at most that). */
  length?: number;
  /**
   * A safe integer handed back in the completion, e.g. a block index
   * (default 0).
   */
  tag?: number;
}

/** Options for submit calls that take only a tag. */
export interface TagOptions {
  /** A safe integer handed back in the completion (default 0). */
  tag?: number;
}

/**
 * What the main thread learns about each handled completion: the pool's
 * {@linkcode Notification} for the unit that carried it, plus the
 * operation's id and tag.
 */
export interface CompletionInfo extends Notification {
  /** The operation's id. */
  id: number;
  /** The operation's tag. */
  tag: number;
}

/** Options for `pool.attach(source, options)` with an I/O or efd_notify source. */
export interface AttachSourceOptions {
  /**
   * Module whose `handle(completion, ctx)` export (or default export) runs
   * in a worker for each completion; see {@linkcode Completion}.
   */
  handler: string | URL;
  /** Name in the pool's stats (default: the backend, "aio" or "io_uring"). */
  name?: string;
  /** Structured-cloneable value given to the handler as `ctx.data`. */
  data?: unknown;
  /** Called on the main thread with each handler's return value. */
  onResult?: (result: unknown, info: CompletionInfo) => void;
  /** Called on the main thread when a handler throws. */
  onError?: (error: Error, notification: Notification) => void;
}

/** The pool method a source uses (a `WorkerPool` has it). */
export interface PoolLike {
  /** Attaches a semaphore eventfd; see `WorkerPool.attach`. */
  attach(eventfd: EventFd, options: AttachOptions): PoolSource;
}

/** A snapshot of a source's counters. */
export interface IoSourceStats {
  /** "aio" or "io_uring". */
  backend: IoBackend;
  /** Slots, i.e. most operations in flight. */
  depth: number;
  /** Operations submitted since creation. */
  submitted: number;
  /** Completions whose handler has finished. */
  handled: number;
  /** Operations submitted and not yet handled. */
  inFlight: number;
  /** Completions posted by the kernel and not yet taken by a worker. */
  completed: number;
  /** Units that found no completion (io_uring only: see `relays`). */
  emptyUnits: number;
  /** Units workers added to recruit a peer for a batch of CQEs (io_uring only). */
  relays: number;
}

/** The value a source's worker handler posts back: which operation, and its result. */
export interface Envelope {
  id: number;
  tag: number;
  value: unknown;
}

/** What the pool hands the source handler module as `ctx.data`. */
export interface SourceData {
  backend: IoBackend;
  slots: SlotsInit;
  eventfd: number;
  handler: string;
  userData: unknown;
  kernel: unknown;
}

/**
 * Attaches a slot-based source's eventfd to `pool` with `worker` as the
 * pool handler module (it posts {@linkcode Envelope}s) and `data` as its
 * `ctx.data`; unwraps each envelope for the user's `onResult`.
 *
 * @example
 * ```ts ignore
 * const src = attachEnveloped(pool, eventfd, new URL("./_handler.ts", import.meta.url), data, {
 *   ...options,
 *   name: options.name ?? "aio",
 * });
 * ```
 */
export function attachEnveloped(
  pool: PoolLike,
  eventfd: EventFd,
  worker: URL,
  data: unknown,
  options: Omit<AttachSourceOptions, "handler" | "data"> & {
    name: string;
    onWorkerLost?: (worker: number) => void;
  },
): PoolSource {
  const { onResult } = options;
  return pool.attach(eventfd, {
    name: options.name,
    handler: worker,
    data,
    onWorkerLost: options.onWorkerLost,
    onResult: onResult &&
      ((env, notification) => {
        const e = env as Envelope | null;
        if (e) onResult(e.value, { ...notification, id: e.id, tag: e.tag });
      }),
    onError: options.onError,
  });
}

/**
 * The part of AIO and io_uring sources that does not depend on the kernel
 * interface. Operations are submitted on the creating thread; completions
 * are reaped and handled in the workers of the pool the source is attached
 * to, exactly once each.
 */
export abstract class IoSource
  implements Attachable<AttachSourceOptions, PoolSource>, BlockSource {
  /** "aio" or "io_uring". */
  abstract readonly backend: IoBackend;
  /** The semaphore eventfd the kernel signals (attach the source, not this eventfd). */
  readonly eventfd: EventFd;
  /** Most operations in flight. */
  readonly depth: number;
  /** Largest read in bytes. */
  readonly blockSize: number;
  /**
   * The slot table; subclasses write the kernel's view of each slot.
   *
   * @ignore
   */
  protected readonly slots: Slots;
  #nextId = 1;
  #submitted = 0;
  #state: "open" | "closing" | "closed" = "open";
  #attached?: PoolSource;
  #closing?: Promise<void>;
  #failure?: Error;

  /**
   * Validates options and allocates the eventfd and slots.
   *
   * @ignore
   */
  protected constructor(options: IoSourceOptions, eventfd: EventFd) {
    const { depth, blockSize } = checkSourceOptions(options);
    this.depth = depth;
    this.blockSize = blockSize;
    this.eventfd = eventfd;
    this.slots = Slots.create(depth, blockSize);
  }

  /**
   * Hands the kernel the operation in `slot`; throws if it was refused.
   *
   * @ignore
   */
  protected abstract kernelSubmit(slot: number, op: SlotOp): void;
  /**
   * Asks the kernel to cancel the operation in `slot`; whether it will.
   *
   * @ignore
   */
  protected abstract kernelCancel(slot: number): boolean;
  /**
   * Completions posted and not yet reaped.
   *
   * @ignore
   */
  protected abstract kernelReady(): number;
  /**
   * What workers need to reap: posted once to each.
   *
   * @ignore
   */
  protected abstract kernelData(): unknown;
  /**
   * Frees the kernel objects; every completion has been handled (or discarded).
   *
   * @ignore
   */
  protected abstract kernelDestroy(): void;

  /**
   * Whether the kernel objects are gone.
   *
   * @ignore
   */
  protected get closed(): boolean {
    return this.#state === "closed";
  }

  /**
   * Marks the source broken by an error found outside any caller's call
   * (a deferred submit): every later submit, `ready` and `drain` throws it.
   *
   * @ignore
   */
  protected fail(error: Error): void {
    this.#failure ??= error;
  }

  /**
   * Records and submits an operation; returns its id.
   *
   * @ignore
   */
  protected submit(op: Omit<SlotOp, "id">): number {
    if (this.#failure) throw this.#failure;
    if (this.#state !== "open") {
      throw new ClosedError("source", `submit ${op.op}`);
    }
    const id = this.#nextId;
    const slot = this.slots.acquire({ ...op, id });
    if (slot < 0) {
      throw new FullError("source", this.depth, "operations in flight");
    }
    try {
      this.kernelSubmit(slot, { ...op, id });
    } catch (e) {
      this.slots.abandon(slot);
      throw e;
    }
    this.#nextId++;
    this.#submitted++;
    return id;
  }

  /**
   * Submits a read of `file` at `offset`; the completion carries the bytes.
   * With an `O_DIRECT` file, offset and length must be multiples of 4096.
   * Throws `FullError` when `depth` operations are in flight.
   *
   * @example
   * ```ts
   * import { AioSource, openForRead } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * const aio = AioSource.create({ depth: 4, blockSize: 4096 });
   * using f = openForRead("/etc/hostname", { direct: false });
   * const id = aio.read(f, 0, { tag: 0 });
   * assert.equal(id, 1);
   * await aio.close(); // not attached: the completion is discarded
   * ```
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
    return this.submit({ op: "read", tag, fd, offset, length });
  }

  /**
   * Submits a one-shot wait until `fd` is ready for `events` (`POLLIN`,
   * `POLLOUT`, …); the completion's `res` is the ready events. Cancellable.
   *
   * @example
   * ```ts
   * import { AioSource, EventFd, POLLIN } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * const aio = AioSource.create({ depth: 4, blockSize: 0 });
   * using efd = EventFd.create();
   * const id = aio.poll(efd.fd, POLLIN);
   * assert.equal(aio.cancel(id), true);
   * await aio.close();
   * ```
   */
  poll(fd: number, events: number, options: TagOptions = {}): number {
    checkInt("fd", fd, 0, MAX_FD);
    checkInt("events", events, 0, 0xffff);
    const tag = checkTagOptions(options);
    return this.submit({
      op: "poll",
      tag,
      fd,
      offset: 0,
      length: events,
    });
  }

  /**
   * Cancels an operation in flight. True means the kernel accepted: the
   * operation completes (exactly once, like any other) with an ECANCELED
   * error. False means it has completed already or cannot be cancelled
   * (reads of regular files): its completion arrives as usual.
   *
   * @example
   * ```ts
   * import { EventFd, IoUringSource, POLLIN } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * const ring = IoUringSource.create({ depth: 4, blockSize: 0 });
   * using efd = EventFd.create();
   * assert.equal(ring.cancel(ring.poll(efd.fd, POLLIN)), true);
   * await ring.close();
   * ```
   */
  cancel(id: number): boolean {
    checkInt("id", id, 0, Number.MAX_SAFE_INTEGER);
    // Closed: the kernel objects are gone, and their fd number may be reused.
    if (this.#state === "closed") return false;
    for (let s = 0; s < this.slots.count; s++) {
      if (!this.slots.busy(s) || this.slots.op(s).id !== id) continue;
      this.slots.markCancelled(s);
      return this.kernelCancel(s);
    }
    return false;
  }

  /** Operations submitted and not yet handled. */
  get inFlight(): number {
    return (this.#submitted - this.slots.handled) >>> 0;
  }

  /**
   * Resolves when `slots` slots (default 1) are free, so that many submits
   * cannot throw `FullError`. Waiting for several at once and then
   * submitting them together means fewer wake-ups of this thread, and for
   * io_uring one syscall for the lot.
   *
   * @example
   * ```ts
   * import { AioSource } from "@efdpool/efdpool";
   * const aio = AioSource.create({ depth: 4, blockSize: 0 });
   * await aio.ready({ slots: 4 }); // at once: nothing in flight
   * await aio.close();
   * ```
   */
  async ready(
    options: { slots?: number; signal?: AbortSignal } = {},
  ): Promise<void> {
    const { slots = 1, signal } = checkOptions("options", options);
    checkInt("options.slots", slots, 1, this.depth);
    checkSignal("options.signal", signal);
    const want = slots;
    while (this.depth - this.inFlight < want) {
      await this.#nextHandled(signal);
    }
  }

  /**
   * Resolves once every operation submitted so far has been handled (needs
   * the source attached; an operation that never completes, like a poll on
   * an fd that never becomes ready, keeps it waiting: cancel it or `close`).
   *
   * @example
   * ```ts
   * import { AioSource } from "@efdpool/efdpool";
   * const aio = AioSource.create({ depth: 1, blockSize: 0 });
   * await aio.drain(); // at once: nothing in flight
   * await aio.close();
   * ```
   */
  async drain(options: { signal?: AbortSignal } = {}): Promise<void> {
    const { signal } = checkOptions("options", options);
    checkSignal("options.signal", signal);
    const src = this.#attached;
    // A detached source (its pool closed or destroyed) handles nothing more.
    while (this.inFlight > 0 && (!src || src.attached)) {
      await this.#nextHandled(signal);
    }
    if (src && this.inFlight > 0) {
      throw new ClosedError(
        "pool",
        `drain the source (${this.inFlight} operations in flight)`,
      );
    }
    // The pool may still be posting the last results to onResult.
    // A unit whose worker died is never done; the one given back for it is.
    const { taken, redelivered } = src?.stats() ?? {};
    if (src?.attached) await src.until(taken! - redelivered!, { signal });
  }

  async #nextHandled(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.#failure) throw this.#failure;
    // Short waits keep the loop responsive to `signal` and to a detach
    // without a second wake-up path.
    await this.slots.waitHandled(this.slots.handled, signal ? 50 : 200);
  }

  /**
   * Called by `pool.attach(source, options)`: attaches the source's eventfd
   * to `pool`, so each completion is reaped by exactly one worker, which
   * calls the `handler` module's `handle(completion, ctx)`.
   */
  [attachTo](pool: WorkerPool, options: AttachSourceOptions): PoolSource {
    checkAttachArgs(pool, options);
    if (this.#state !== "open") throw new ClosedError("source", "attach");
    if (this.#attached) {
      throw new TypeError(
        "the source is attached already; close it and make another",
      );
    }
    const data: SourceData = {
      backend: this.backend,
      slots: this.slots.init,
      eventfd: this.eventfd.fd,
      handler: String(options.handler),
      userData: options.data,
      kernel: this.kernelData(),
    };
    const worker = new URL("./_handler.ts", import.meta.url);
    const name = options.name ?? this.backend;
    return this.#attached = attachEnveloped(pool, this.eventfd, worker, data, {
      ...options,
      name,
      // A worker that died in a handler leaves its completion reaped: it
      // goes to the unit the pool gives back, so its slot is released.
      onWorkerLost: (w) => this.slots.orphanReapedBy(w),
    });
  }

  /**
   * A snapshot of the source's counters.
   *
   * @example
   * ```ts
   * import { AioSource } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * const aio = AioSource.create({ depth: 2, blockSize: 0 });
   * assert.equal(aio.stats().inFlight, 0);
   * await aio.close();
   * ```
   */
  stats(): IoSourceStats {
    const { empty, relays } = this.slots.relayStats;
    return {
      backend: this.backend,
      depth: this.depth,
      submitted: this.#submitted,
      handled: this.#submitted - this.inFlight,
      inFlight: this.inFlight,
      completed: this.#state === "closed" ? 0 : this.kernelReady(),
      emptyUnits: empty,
      relays,
    };
  }

  /**
   * Stops taking operations, cancels the cancellable ones in flight, waits
   * until every completion has been handled, detaches from the pool, and
   * frees the kernel objects and the eventfd. On a source never attached,
   * completions still in flight are discarded. Close sources before their
   * pool: a closed pool handles nothing, and the wait would not end.
   * `signal` cuts the wait short (e.g. a worker died mid-handler and its
   * completion will never be handled): the source is then detached and
   * destroyed with the rest unhandled, and close rejects with the reason.
   *
   * @example
   * ```ts
   * import { IoUringSource } from "@efdpool/efdpool";
   * const ring = IoUringSource.create({ depth: 2, blockSize: 0 });
   * await ring.close();
   * ```
   */
  close(options: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      checkSignal("options.signal", checkOptions("options", options).signal);
    } catch (e) {
      return Promise.reject(e);
    }
    // Every caller waits for the same close, however many there are.
    return this.#closing ??= this.#close(options);
  }

  async #close(options: { signal?: AbortSignal }): Promise<void> {
    this.#state = "closing";
    try {
      for (let s = 0; s < this.slots.count; s++) {
        if (!this.slots.busy(s)) continue;
        const { op } = this.slots.op(s);
        if (op === "poll" || op === "timeout") {
          this.slots.markCancelled(s);
          this.kernelCancel(s);
        }
      }
      if (this.#attached) {
        try {
          await this.drain(options);
        } finally {
          await this.#attached.detach();
        }
      }
    } finally {
      this.#state = "closed";
      this.kernelDestroy();
      this.eventfd.close();
    }
  }

  /**
   * Closes the source, for `await using`.
   *
   * @example
   * ```ts
   * import { AioSource } from "@efdpool/efdpool";
   * {
   *   await using aio = AioSource.create({ depth: 2, blockSize: 0 });
   * } // closed here
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
