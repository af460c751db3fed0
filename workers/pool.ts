/**
 * `WorkerPool`: eventfd units spread over Web Workers, exactly once each.
 *
 * @module
 */

import { EPOLLEXCLUSIVE, EPOLLIN } from "../ffi/constants.ts";
import { Epoll } from "../ffi/epoll.ts";
import { EventFd } from "../ffi/eventfd.ts";
import { decode, encode } from "./codec.ts";
import {
  HandlerLoadError,
  PoolClosedError,
  QueueFullError,
  TaskFailedError,
  TaskTimeoutError,
  WorkerDiedError,
} from "./errors.ts";
import {
  bucketLimit,
  BUCKETS,
  Ctl,
  doneWord,
  F,
  Layout,
  MAX_SOURCES,
  W,
} from "./layout.ts";
import {
  CONTROL_TAG,
  type InitMessage,
  type MailMessage,
  type SourceSpec,
  Status,
  TASK_TAG,
  type WorkerMessage,
} from "./protocol.ts";
import { ResultRing, type RingRecord, TaskQueue } from "./ring.ts";
import { PoolSource, type SourceHost } from "./source.ts";
import type {
  AttachOptions,
  Notification,
  Percentiles,
  PoolOptions,
  PoolStats,
  RunOptions,
  SourceStats,
} from "./types.ts";

type MailBody = MailMessage extends infer M
  ? M extends MailMessage ? Omit<M, "gen"> : never
  : never;
type Outcome = "completed" | "failed" | "cancelled" | "timedOut";

const QUEUE_BYTES = 4 << 20;
const RESULT_BYTES = 1 << 20;

interface Task {
  id: number;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  /** Queue position once pushed; -1 while in the backlog. */
  pos: number;
  payload?: ReturnType<typeof encode>;
  enqueuedAt: number;
  signal?: AbortSignal;
  onAbort?: () => void;
  timer?: ReturnType<typeof setTimeout>;
}

interface Slot {
  index: number;
  worker: Worker;
  epoll: Epoll;
  control: EventFd;
  results: ResultRing;
  ready: boolean;
  dead: boolean;
  /** Source indexes whose fd is in this slot's epoll. */
  watching: Set<number>;
  acks: Map<number, () => void>;
  exited?: () => void;
  restarts: number;
}

interface SourceEntry extends SourceSpec {
  efd: EventFd;
  onResult?: AttachOptions["onResult"];
  onError?: AttachOptions["onError"];
  redelivered: number;
  detaching?: Promise<void>;
}

function toUrl(h: string | URL): string {
  if (h instanceof URL) return h.href;
  try {
    return new URL(h).href;
  } catch {
    return new URL(h, `file://${Deno.cwd()}/`).href;
  }
}

/**
 * A pool of Web Workers fed by eventfds. Every unit on the pool's task
 * eventfd or on an attached semaphore eventfd wakes one idle worker (epoll
 * with `EPOLLEXCLUSIVE`: no thundering herd), which takes it and runs the
 * handler once. Results come back through per-worker shared rings.
 *
 * The pool keeps the process alive until `close()` or `destroy()`.
 *
 * @example Tasks
 * ```ts
 * import { WorkerPool } from "@efdpool/efdpool";
 * // handler.ts: export function handle(n: number) { return n * 2; }
 * await using pool = new WorkerPool({ workers: 4, handler: new URL("./handler.ts", import.meta.url) });
 * console.log(await pool.run(21)); // 42
 * ```
 */
export class WorkerPool extends EventTarget {
  /** Number of worker slots. */
  readonly size: number;
  readonly #name: string;
  readonly #handler: string | null;
  readonly #maxQueue: number;
  readonly #batch: number;
  readonly #lay: Layout;
  readonly #queue: TaskQueue;
  readonly #taskFd: EventFd;
  readonly #slots: Slot[] = [];
  readonly #tasks = new Map<number, Task>();
  /** Tasks waiting for room in the shared queue, oldest first from #backlogHead. */
  #backlog: Task[] = [];
  #backlogHead = 0;
  #backlogLive = 0;
  readonly #sources = new Map<number, SourceEntry>();
  readonly #handledWaiters = new Set<
    { index: number; count: number; resolve(): void }
  >();
  readonly #readyWaiters: (() => void)[] = [];
  readonly #idleWaiters: (() => void)[] = [];
  readonly #started: Promise<void>;
  readonly #startedAt = performance.now();
  #startResolve!: () => void;
  #startReject!: (e: unknown) => void;
  #nextId = 1;
  #nextSource = 0;
  #pushed = 0;
  #unitsToWrite = 0;
  #flushQueued = false;
  #pumping = false;
  #state: "open" | "closing" | "closed" = "open";
  #closing?: Promise<void>;
  #failure?: unknown;
  /** What each PoolSource may ask of its pool. */
  readonly #host: SourceHost = {
    sourceStats: (i) => this.#sourceStats(i),
    waitHandled: (i, n, signal) => this.#waitHandled(i, n, signal),
    detachSource: (i) => this.#detachSource(i),
  };
  readonly #outcomes = { completed: 0, failed: 0, cancelled: 0, timedOut: 0 };

  /**
   * Starts the workers. They load the handler module in the background;
   * `run()` may be called at once (tasks wait in the queue), and
   * `await pool.started()` tells when every worker is serving.
   *
   * @example
   * ```ts
   * import { WorkerPool } from "@efdpool/efdpool";
   * const pool = new WorkerPool({ workers: 2, handler: "data:text/javascript,export const handle = (x) => x + 1;" });
   * await pool.started();
   * console.log(await pool.run(1)); // 2
   * await pool.close();
   * ```
   */
  constructor(options: PoolOptions = {}) {
    super();
    const {
      workers = navigator.hardwareConcurrency,
      handler,
      maxQueue = 65536,
      batch = 32,
      name = "efdpool",
    } = options;
    if (!Number.isInteger(workers) || workers < 1 || workers > 1024) {
      throw new RangeError(
        `workers must be an integer within 1..1024, got ${workers}`,
      );
    }
    if (!(maxQueue >= 1)) {
      throw new RangeError(`maxQueue must be at least 1, got ${maxQueue}`);
    }
    if (!Number.isInteger(batch) || batch < 1) {
      throw new RangeError(`batch must be a positive integer, got ${batch}`);
    }
    this.size = workers;
    this.#name = name;
    this.#handler = handler ? toUrl(handler) : null;
    this.#maxQueue = maxQueue;
    this.#batch = batch;
    this.#lay = new Layout(workers);
    this.#queue = TaskQueue.create(QUEUE_BYTES);
    this.#taskFd = EventFd.create({ semaphore: true, nonblocking: true });
    this.#started = new Promise((resolve, reject) => {
      this.#startResolve = resolve;
      this.#startReject = reject;
    });
    // A pool that fails to start rejects its tasks; `started()` reports the same.
    this.#started.catch(() => {});
    for (let i = 0; i < workers; i++) this.#slots.push(this.#spawn(i));
  }

  /**
   * Resolves once every worker has loaded its handlers and is waiting for
   * units; rejects with `HandlerLoadError` if a handler cannot be loaded.
   *
   * @example
   * ```ts
   * import { WorkerPool } from "@efdpool/efdpool";
   * await using pool = new WorkerPool({ workers: 1, handler: "data:text/javascript,export const handle = () => 0;" });
   * await pool.started();
   * ```
   */
  started(): Promise<void> {
    return this.#started;
  }

  #spawn(index: number, old?: Slot): Slot {
    const slot: Slot = old ?? {
      index,
      worker: undefined as unknown as Worker,
      epoll: Epoll.create(),
      control: EventFd.create({ nonblocking: true }),
      results: ResultRing.create(RESULT_BYTES),
      ready: false,
      dead: false,
      watching: new Set(),
      acks: new Map(),
      restarts: 0,
    };
    if (!old) slot.epoll.add(slot.control.fd, EPOLLIN, CONTROL_TAG);
    slot.ready = false;
    slot.dead = false;
    this.#lay.resetLedger(index);
    const worker = new Worker(new URL("./worker.ts", import.meta.url), {
      type: "module",
      name: `${this.#name}-${index}`,
    });
    slot.worker = worker;
    worker.onmessage = (ev: MessageEvent<WorkerMessage>) =>
      this.#onMessage(slot, ev.data);
    worker.onerror = (ev: ErrorEvent) => {
      ev.preventDefault();
      const error = ev.error ?? new Error(ev.message);
      // Dying before serving means it cannot start at all (a missing
      // --allow-read for the worker module, say): a respawn would die again.
      if (slot.ready) this.#onDeath(slot, error);
      else {
        slot.dead = true; // Deno has ended it: no exit message will come.
        slot.exited?.();
        this.#fail(new HandlerLoadError(error));
      }
    };
    const init: InitMessage = {
      type: "init",
      slot: index,
      slots: this.size,
      ctl: this.#lay.sab,
      seq: this.#lay.seqSab,
      queue: this.#queue.sab,
      results: slot.results.sab,
      epfd: slot.epoll.fd,
      ctlfd: slot.control.fd,
      taskfd: this.#taskFd.fd,
      handler: this.#handler,
      batch: this.#batch,
      sources: [...this.#sources.values()].map((s) => this.#spec(s)),
    };
    worker.postMessage(init);
    return slot;
  }

  #spec(s: SourceEntry): SourceSpec {
    const { index, name, fd, handler, data, wantResults } = s;
    return { index, name, fd, handler, data, wantResults };
  }

  #onMessage(slot: Slot, msg: WorkerMessage): void {
    switch (msg.type) {
      case "ready": {
        slot.ready = true;
        if (!slot.watching.has(-1)) {
          slot.epoll.add(this.#taskFd.fd, EPOLLIN | EPOLLEXCLUSIVE, TASK_TAG);
          slot.watching.add(-1);
        }
        for (const s of this.#sources.values()) this.#watch(slot, s);
        for (const ack of slot.acks.values()) ack();
        slot.acks.clear();
        if (
          this.#slots.length === this.size && this.#slots.every((s) => s.ready)
        ) this.#startResolve();
        break;
      }
      case "init-error":
        // It idles outside its loop (so terminate() is safe) and would never exit.
        slot.dead = true;
        slot.worker.terminate();
        slot.exited?.();
        this.#fail(new HandlerLoadError(msg.error));
        break;
      case "ack":
        slot.acks.get(msg.gen)?.();
        slot.acks.delete(msg.gen);
        break;
      case "exit":
        slot.ready = false;
        if (slot.exited) slot.exited();
        else {this.#onDeath(
            slot,
            msg.closed ? new Error("the handler closed its worker") : undefined,
          );}
        break;
    }
  }

  #watch(slot: Slot, s: SourceEntry): void {
    if (slot.watching.has(s.index) || s.detaching) return;
    slot.epoll.add(s.fd, EPOLLIN | EPOLLEXCLUSIVE, s.index);
    slot.watching.add(s.index);
  }

  /** Posts a message to a worker's mailbox and wakes it; resolves on its acknowledgement. */
  #mail(slot: Slot, msg: MailBody): Promise<void> {
    const cell = this.#lay.w(slot.index, W.Mail);
    const gen = Atomics.load(this.#lay.i32, cell) + 1;
    const acked = new Promise<void>((r) => slot.acks.set(gen, r));
    slot.worker.postMessage({ ...msg, gen });
    Atomics.store(this.#lay.i32, cell, gen);
    slot.control.write(1);
    return acked;
  }

  #onDeath(slot: Slot, cause?: unknown): void {
    if (slot.dead) return;
    slot.dead = true;
    slot.ready = false;
    slot.worker.terminate();
    // Results it published before dying still count.
    slot.results.drain((r) => this.#onRecord(r));
    const lay = this.#lay;
    const kind = Atomics.load(lay.i32, lay.w(slot.index, W.HeldKind));
    const held = Atomics.load(lay.i32, lay.w(slot.index, W.HeldId));
    if (kind === 1) {
      const t = this.#tasks.get(held);
      if (t) {
        this.#settle(
          t,
          false,
          new WorkerDiedError(slot.index, cause),
          "failed",
        );
      }
    } else if (kind === 2) {
      const s = this.#sources.get(held);
      if (s && !s.efd.closed) {
        // Give the unit back: a later unit taken from this source is flagged redelivered.
        Atomics.add(lay.seq, MAX_SOURCES + held, 1n);
        s.redelivered++;
        s.efd.write(1);
      }
    }
    Atomics.store(lay.i32, lay.w(slot.index, W.HeldKind), 0);
    this.dispatchEvent(
      new ErrorEvent("workererror", {
        error: cause,
        message: `worker ${slot.index} died`,
      }),
    );
    if (this.#state === "closed" || this.#failure) return;
    slot.restarts++;
    for (const ack of slot.acks.values()) ack();
    slot.acks.clear();
    this.#spawn(slot.index, slot);
  }

  #fail(error: unknown): void {
    if (this.#failure) return;
    this.#failure = error;
    this.#startReject(error);
    for (const t of [...this.#tasks.values()]) {
      this.#settle(t, false, error, "failed");
    }
    void this.destroy();
  }

  /**
   * Queues a task: the payload goes through the shared queue, one unit on the
   * task eventfd wakes one idle worker, and the handler's return value (or
   * thrown error, as `TaskFailedError.cause`) settles the promise.
   *
   * @example
   * ```ts
   * import { WorkerPool } from "@efdpool/efdpool";
   * await using pool = new WorkerPool({ workers: 2, handler: "data:text/javascript,export const handle = (s) => s.toUpperCase();" });
   * console.log(await pool.run("hi", { timeout: 1000 })); // "HI"
   * ```
   */
  run<T = unknown>(payload: unknown, options: RunOptions = {}): Promise<T> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#state !== "open") {
      return Promise.reject(new PoolClosedError("closed"));
    }
    const { signal, timeout, transfer } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.queued >= this.#maxQueue) {
      return Promise.reject(new QueueFullError(this.#maxQueue));
    }
    if (timeout !== undefined && !(timeout >= 0)) {
      return Promise.reject(
        new RangeError(
          `timeout must be a non-negative number of ms, got ${timeout}`,
        ),
      );
    }
    let encoded;
    try {
      encoded = encode(payload);
    } catch (e) {
      return Promise.reject(
        new TypeError(
          `task payload cannot be sent to a worker: ${(e as Error).message}`,
        ),
      );
    }
    if ((encoded.bytes?.length ?? 0) > this.#queue.maxPayload) {
      return Promise.reject(
        new RangeError(
          `task payload of ${
            encoded.bytes!.length
          } bytes exceeds the ${this.#queue.maxPayload}-byte limit`,
        ),
      );
    }
    const id = this.#nextId;
    this.#nextId = this.#nextId >= 0x7fffffff ? 1 : this.#nextId + 1;
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    const task: Task = {
      id,
      resolve: resolve as (v: unknown) => void,
      reject,
      pos: -1,
      payload: encoded,
      enqueuedAt: performance.timeOrigin + performance.now(),
    };
    this.#tasks.set(id, task);
    if (this.#backlogLive || !this.#push(task)) {
      this.#backlog.push(task);
      this.#backlogLive++;
    }
    for (const b of transfer ?? []) b.transfer();
    if (signal) {
      task.signal = signal;
      task.onAbort = () => this.#cancel(task, signal.reason, "cancelled");
      signal.addEventListener("abort", task.onAbort, { once: true });
    }
    if (timeout !== undefined) {
      task.timer = setTimeout(
        () => this.#cancel(task, new TaskTimeoutError(timeout), "timedOut"),
        timeout,
      );
    }
    this.#pump();
    return promise;
  }

  #push(task: Task): boolean {
    const pos = this.#queue.push(
      {
        id: task.id,
        status: 0,
        source: -1,
        flags: 0,
        time: task.enqueuedAt,
        seq: 0,
      },
      task.payload!,
    );
    if (pos < 0) return false;
    task.pos = pos;
    task.payload = undefined;
    this.#pushed++;
    this.#unitsToWrite++;
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(() => this.#flush());
    }
    return true;
  }

  /** Writes the units of this turn's tasks: one write per worker that may be idle, so each wakes one. */
  #flush(): void {
    this.#flushQueued = false;
    const n = this.#unitsToWrite;
    if (!n || this.#taskFd.closed) return;
    this.#unitsToWrite = 0;
    const spread = Math.min(n, this.size);
    this.#taskFd.write(n - spread + 1);
    for (let i = 1; i < spread; i++) this.#taskFd.write(1);
  }

  #cancel(
    task: Task,
    reason: unknown,
    outcome: "cancelled" | "timedOut",
  ): void {
    if (!this.#tasks.has(task.id)) return;
    if (task.pos < 0) {
      task.pos = -2; // Skipped when the backlog drains.
      this.#backlogLive--;
    } else if (!this.#queue.cancel(task.pos, task.id)) {
      // Already running: tell its handler through ctx.signal.
      for (const slot of this.#slots) {
        const lay = this.#lay;
        if (
          Atomics.load(lay.i32, lay.w(slot.index, W.HeldKind)) === 1 &&
          Atomics.load(lay.i32, lay.w(slot.index, W.HeldId)) === task.id &&
          slot.ready
        ) {
          void this.#mail(slot, {
            type: "abort",
            id: task.id,
            reason: String((reason as Error)?.message ?? reason),
          });
        }
      }
    }
    this.#settle(task, false, reason, outcome);
  }

  #settle(task: Task, ok: boolean, value: unknown, outcome: Outcome): void {
    this.#tasks.delete(task.id);
    if (task.timer !== undefined) clearTimeout(task.timer);
    if (task.onAbort) task.signal!.removeEventListener("abort", task.onAbort);
    this.#outcomes[outcome]++;
    if (ok) task.resolve(value);
    else task.reject(value);
  }

  #onRecord(r: RingRecord): void {
    const value = decode(r.kind, r.num, r.bytes);
    if (r.id >= 0) {
      const t = this.#tasks.get(r.id);
      if (!t) return; // Cancelled or timed out while running: its result is moot.
      if (r.status === Status.Ok) this.#settle(t, true, value, "completed");
      else this.#settle(t, false, new TaskFailedError(value), "failed");
      return;
    }
    const s = this.#sources.get(r.source);
    if (!s) return;
    const n: Notification = {
      source: s.name,
      seq: r.seq,
      worker: r.flags >> 1,
      takenAt: r.time,
      redelivered: (r.flags & 1) === 1,
    };
    if (r.status === Status.Ok) s.onResult?.(value, n);
    else if (s.onError) {
      s.onError(value instanceof Error ? value : new Error(String(value)), n);
    } else {
      this.dispatchEvent(
        new ErrorEvent("error", {
          error: value,
          message: `handler of source ${s.name} failed`,
        }),
      );
    }
  }

  /** Tasks queued and not yet taken by a worker. */
  get queued(): number {
    return this.#backlogLive + this.#pushed -
      Atomics.load(this.#lay.i32, Ctl.Claimed);
  }

  #busy(): boolean {
    return this.#tasks.size > 0 || this.#handledWaiters.size > 0 ||
      this.#sources.size > 0 ||
      this.#idleWaiters.length > 0 || this.#readyWaiters.length > 0;
  }

  /** Drains results and wakes waiters while anything could still arrive; sleeps on a futex between. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    const i32 = this.#lay.i32;
    try {
      while (this.#state !== "closed" && this.#busy()) {
        const seen = Atomics.load(i32, Ctl.ResultSignal);
        if (this.#step()) continue;
        Atomics.store(i32, Ctl.PoolWaiting, 1);
        if (this.#step()) {
          Atomics.store(i32, Ctl.PoolWaiting, 0);
          continue;
        }
        const w = Atomics.waitAsync(i32, Ctl.ResultSignal, seen);
        if (w.async) await w.value;
        Atomics.store(i32, Ctl.PoolWaiting, 0);
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** One round of bookkeeping; true if it made progress. */
  #step(): boolean {
    let n = 0;
    for (const slot of this.#slots) {
      n += slot.results.drain((r) => this.#onRecord(r));
    }
    this.#queue.reclaim();
    n += this.#refill();
    if (this.#readyWaiters.length && this.queued < this.#maxQueue) {
      for (const r of this.#readyWaiters.splice(0)) r();
      n++;
    }
    n += this.#checkHandled();
    if (this.#idleWaiters.length && this.#tasks.size === 0) {
      for (const r of this.#idleWaiters.splice(0)) r();
      n++;
    }
    return n > 0;
  }

  /** Moves backlog tasks into the shared queue while it has room. */
  #refill(): number {
    let n = 0;
    while (this.#backlogHead < this.#backlog.length) {
      const t = this.#backlog[this.#backlogHead];
      if (t.pos === -1 && !this.#push(t)) break;
      this.#backlogHead++;
      if (t.pos >= 0) {
        this.#backlogLive--;
        n++;
      }
    }
    if (
      this.#backlogHead > 1024 && this.#backlogHead * 2 > this.#backlog.length
    ) {
      this.#backlog = this.#backlog.slice(this.#backlogHead);
      this.#backlogHead = 0;
    }
    return n;
  }

  /**
   * Resolves `until()` waiters whose count is reached, and tells workers the
   * nearest count still awaited per source, so they wake the pool then.
   */
  #checkHandled(): number {
    const i32 = this.#lay.i32;
    const nearest = new Map<number, number>();
    let n = 0;
    for (const w of this.#handledWaiters) {
      const done = Atomics.load(i32, doneWord(w.index));
      if (((done - w.count) | 0) >= 0 || !this.#sources.has(w.index)) {
        this.#handledWaiters.delete(w);
        w.resolve();
        n++;
      } else {
        const t = nearest.get(w.index);
        if (t === undefined || ((w.count - t) | 0) < 0) {
          nearest.set(w.index, w.count);
        }
      }
    }
    for (const index of this.#sources.keys()) {
      const at = doneWord(index);
      const target = nearest.get(index);
      if (target !== undefined) Atomics.store(i32, at + 2, target);
      Atomics.store(i32, at + 1, target === undefined ? 0 : 1);
    }
    return n;
  }

  /** Wakes the pump from the pool's own thread. */
  #poke(): void {
    Atomics.add(this.#lay.i32, Ctl.ResultSignal, 1);
    Atomics.notify(this.#lay.i32, Ctl.ResultSignal);
    this.#pump();
  }

  /**
   * Resolves when the queue has room (fewer than `maxQueue` tasks waiting).
   *
   * @example Backpressure
   * ```ts
   * import { WorkerPool } from "@efdpool/efdpool";
   * await using pool = new WorkerPool({ workers: 2, maxQueue: 64, handler: "data:text/javascript,export const handle = (x) => x;" });
   * const all = [];
   * for (let i = 0; i < 1000; i++) {
   *   await pool.ready();
   *   all.push(pool.run(i));
   * }
   * await Promise.all(all);
   * ```
   */
  ready(): Promise<void> {
    if (this.queued < this.#maxQueue) return Promise.resolve();
    const p = new Promise<void>((r) => this.#readyWaiters.push(r));
    this.#poke();
    return p;
  }

  /**
   * Puts an external semaphore eventfd under the pool: whatever signals it
   * (the kernel module, io_uring/AIO, another process, C code), each unit
   * becomes one handler call in one worker, with a {@linkcode Notification}.
   * The pool does not close the eventfd.
   *
   * @example
   * ```ts
   * import { EventFd, WorkerPool } from "@efdpool/efdpool";
   * await using pool = new WorkerPool({ workers: 2 });
   * using efd = EventFd.create({ semaphore: true });
   * let sum = 0;
   * const src = pool.attach(efd, {
   *   name: "jobs",
   *   handler: "data:text/javascript,export const handle = (n) => n.seq;",
   *   onResult: (seq) => sum += seq as number,
   * });
   * efd.write(10);
   * await src.until(10);
   * await src.detach();
   * console.log(sum); // 55
   * ```
   */
  attach(eventfd: EventFd, options: AttachOptions = {}): PoolSource {
    if (this.#state !== "open") throw new PoolClosedError("closed");
    if (eventfd.closed) throw new TypeError("cannot attach a closed EventFd");
    if (eventfd.semaphore === false) {
      throw new TypeError(
        "attach needs an EFD_SEMAPHORE eventfd: a plain one hands a worker all units in one read",
      );
    }
    const handlerRef = options.handler ?? this.#handler;
    if (!handlerRef) {
      throw new TypeError(
        "attach needs a handler: pass one here or to the pool",
      );
    }
    let index = -1;
    for (let i = 0; i < MAX_SOURCES; i++) {
      const k = (this.#nextSource + i) % MAX_SOURCES;
      if (!this.#sources.has(k)) {
        index = k;
        break;
      }
    }
    if (index < 0) {
      throw new RangeError(
        `a pool serves at most ${MAX_SOURCES} sources at once`,
      );
    }
    this.#nextSource = index + 1;
    this.#resetSource(index);
    const entry: SourceEntry = {
      index,
      name: options.name ?? `source-${index}`,
      fd: eventfd.fd,
      handler: toUrl(handlerRef),
      data: options.data,
      wantResults: options.onResult !== undefined,
      efd: eventfd,
      onResult: options.onResult,
      onError: options.onError,
      redelivered: 0,
    };
    this.#sources.set(index, entry);
    for (const slot of this.#slots) {
      // A worker still starting got an init without this source: it needs the mail too.
      if (slot.dead) continue;
      void this.#mail(slot, { type: "attach", source: this.#spec(entry) }).then(
        () => {
          if (this.#sources.get(index) === entry && slot.ready) {
            this.#watch(slot, entry);
          }
        },
      );
    }
    this.#pump();
    return new PoolSource(this.#host, index, entry.name, eventfd);
  }

  #resetSource(index: number): void {
    const lay = this.#lay;
    Atomics.store(lay.seq, index, 0n);
    Atomics.store(lay.seq, MAX_SOURCES + index, 0n);
    for (let k = 0; k < 3; k++) Atomics.store(lay.i32, doneWord(index) + k, 0);
    for (let w = 0; w < this.size; w++) {
      lay.f64[lay.f(w, F.Source + 2 * index)] = 0;
      lay.f64[lay.f(w, F.Source + 2 * index + 1)] = 0;
    }
  }

  #sourceStats(index: number): SourceStats {
    const lay = this.#lay;
    let handled = 0;
    let failed = 0;
    for (let w = 0; w < this.size; w++) {
      handled += lay.f64[lay.f(w, F.Source + 2 * index)];
      failed += lay.f64[lay.f(w, F.Source + 2 * index + 1)];
    }
    const s = this.#sources.get(index);
    return {
      name: s?.name ?? "",
      taken: Number(Atomics.load(lay.seq, index)),
      handled,
      failed,
      redelivered: s?.redelivered ?? 0,
    };
  }

  #waitHandled(
    index: number,
    count: number,
    signal?: AbortSignal,
  ): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const w = { index, count: count | 0, resolve };
    this.#handledWaiters.add(w);
    signal?.addEventListener("abort", () => {
      this.#handledWaiters.delete(w);
      reject(signal.reason);
    }, { once: true });
    this.#poke();
    return promise;
  }

  #detachSource(index: number): Promise<void> {
    const s = this.#sources.get(index);
    if (!s) return Promise.resolve();
    // Set first: a worker that becomes ready meanwhile must not watch it,
    // and a second detach (close() during the user's) waits for this one.
    s.detaching ??= (async () => {
      for (const slot of this.#slots) {
        if (slot.watching.delete(index)) slot.epoll.delete(s.fd);
      }
      await Promise.all(
        this.#slots.filter((slot) => slot.ready).map((slot) =>
          this.#mail(slot, { type: "detach", index })
        ),
      );
      // Errors and results already published still reach their callbacks.
      this.#step();
      this.#sources.delete(index);
    })();
    return s.detaching;
  }

  /**
   * A snapshot of queue depth, task outcomes, latency percentiles and
   * per-source and per-worker counters.
   *
   * @example
   * ```ts
   * import { WorkerPool } from "@efdpool/efdpool";
   * await using pool = new WorkerPool({ workers: 2, handler: "data:text/javascript,export const handle = (x) => x;" });
   * await Promise.all([1, 2, 3].map((x) => pool.run(x)));
   * const s = pool.stats();
   * console.log(s.tasks.completed, s.workers.map((w) => w.share));
   * ```
   */
  stats(): PoolStats {
    const lay = this.#lay;
    const wait = new Float64Array(BUCKETS);
    const run = new Float64Array(BUCKETS);
    let maxWait = 0;
    let maxRun = 0;
    let total = 0;
    const elapsed = performance.now() - this.#startedAt;
    const perWorker = this.#slots.map((slot) => {
      const f = (k: number) => lay.f64[lay.f(slot.index, k)];
      for (let b = 0; b < BUCKETS; b++) {
        wait[b] += f(F.Hist + b);
        run[b] += f(F.Hist + BUCKETS + b);
      }
      maxWait = Math.max(maxWait, f(F.MaxWait));
      maxRun = Math.max(maxRun, f(F.MaxRun));
      total += f(F.Units);
      return {
        id: slot.index,
        units: f(F.Units),
        tasks: f(F.Tasks),
        share: 0,
        restarts: slot.restarts,
        utilization: elapsed > 0 ? Math.min(1, f(F.BusyMs) / elapsed) : 0,
      };
    });
    for (const w of perWorker) w.share = total ? w.units / total : 0;
    return {
      queued: this.queued,
      running: this.#tasks.size - this.queued,
      tasks: { ...this.#outcomes },
      waitTime: percentiles(wait, maxWait),
      runTime: percentiles(run, maxRun),
      sources: [...this.#sources.keys()].map((i) => this.#sourceStats(i)),
      workers: perWorker,
    };
  }

  /**
   * Finishes every queued and running task, detaches the sources, then stops
   * the workers (waking them out of epoll; a blocked thread cannot be
   * terminated). New `run()` calls are refused meanwhile.
   *
   * @example
   * ```ts
   * import { WorkerPool } from "@efdpool/efdpool";
   * const pool = new WorkerPool({ workers: 2, handler: "data:text/javascript,export const handle = (x) => x;" });
   * const p = pool.run(1);
   * await pool.close();
   * console.log(await p); // 1
   * ```
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#state = "closing";
    this.#closing = (async () => {
      if (this.#tasks.size) {
        const idle = new Promise<void>((r) => this.#idleWaiters.push(r));
        this.#poke();
        await idle;
      }
      await Promise.all(
        [...this.#sources.keys()].map((i) => this.#detachSource(i)),
      );
      await this.#stop();
    })();
    return this.#closing;
  }

  /**
   * Stops now: queued and running tasks reject with `PoolClosedError`,
   * workers are woken and terminated.
   *
   * @example
   * ```ts
   * import { WorkerPool } from "@efdpool/efdpool";
   * const pool = new WorkerPool({ workers: 2, handler: "data:text/javascript,export const handle = (x) => x;" });
   * const p = pool.run(1).catch((e) => e.name);
   * await pool.destroy();
   * console.log(await p); // "PoolClosedError" (or 1, if it had already finished)
   * ```
   */
  destroy(): Promise<void> {
    if (this.#state === "closed") return this.#closing ?? Promise.resolve();
    this.#state = "closing";
    for (const t of [...this.#tasks.values()]) {
      this.#settle(t, false, new PoolClosedError("destroyed"), "cancelled");
    }
    this.#backlog = [];
    this.#backlogHead = this.#backlogLive = 0;
    for (const s of this.#sources.values()) {
      for (const slot of this.#slots) {
        if (slot.watching.delete(s.index)) slot.epoll.delete(s.fd);
      }
    }
    this.#sources.clear();
    for (const w of this.#handledWaiters) w.resolve();
    this.#handledWaiters.clear();
    this.#closing = this.#stop(true);
    return this.#closing;
  }

  /** Wakes every worker out of epoll with the stop flag set, then ends them and frees the fds. */
  async #stop(now = false): Promise<void> {
    const lay = this.#lay;
    Atomics.store(lay.i32, Ctl.State, 1);
    // terminate() does not stop a thread inside epoll_wait: woken, it stays
    // stuck in the syscall, holding its fds and the process. So only workers
    // busy in a handler are terminated; the rest leave their loop on the
    // control wake (one still starting, once it reaches the loop), and a
    // worker that takes a unit from now on drops it unrun (see `#hold`).
    const kill = now
      ? this.#slots.filter((slot) =>
        !slot.dead && Atomics.load(lay.i32, lay.w(slot.index, W.HeldKind)) !== 0
      )
      : [];
    // A destroy() during close() stops again: both must hear each exit.
    const exits = this.#slots.map((slot) =>
      slot.dead || kill.includes(slot)
        ? Promise.resolve()
        : new Promise<void>((r) => {
          const earlier = slot.exited;
          slot.exited = () => (earlier?.(), r());
        })
    );
    for (const slot of this.#slots) slot.control.write(1);
    for (const slot of kill) slot.worker.terminate();
    await Promise.all(exits);
    if (this.#state === "closed") return; // The other stop freed everything.
    this.#state = "closed";
    for (const slot of this.#slots) {
      slot.worker.terminate();
      slot.epoll.close();
      slot.control.close();
    }
    this.#taskFd.close();
    this.#poke();
  }

  /**
   * `await using pool = …` closes the pool gracefully.
   *
   * @example
   * ```ts
   * import { WorkerPool } from "@efdpool/efdpool";
   * {
   *   await using pool = new WorkerPool({ workers: 1, handler: "data:text/javascript,export const handle = (x) => x;" });
   *   await pool.run(0);
   * } // closed here
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function percentiles(hist: Float64Array, max: number): Percentiles {
  let count = 0;
  for (const c of hist) count += c;
  const at = (q: number) => {
    if (!count) return 0;
    const rank = Math.ceil(q * count);
    let seen = 0;
    for (let b = 0; b < hist.length; b++) {
      seen += hist[b];
      if (seen >= rank) return Math.min(bucketLimit(b), max);
    }
    return max;
  };
  return { p50: at(0.5), p99: at(0.99), max, count };
}
