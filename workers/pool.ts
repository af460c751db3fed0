/**
 * `WorkerPool`: the public front. It checks every argument, then hands the
 * work to the part that owns it: worker supervision (supervisor.ts), tasks
 * (tasks.ts), sources (sources.ts), the result pump (pump.ts) and stats
 * (stats.ts). Its own states are in states.ts.
 *
 * @module
 */

import { EventFd } from "../ffi/eventfd.ts";
import { eventFdInfo } from "../ffi/fdinfo.ts";
import { encode, type Encoded } from "./codec.ts";
import {
  type HandlerLoadError,
  PoolClosedError,
  QueueFullError,
} from "./errors.ts";
import { Held, Shared } from "./layout.ts";
import { Pump } from "./pump.ts";
import { TaskQueue } from "./ring.ts";
import { PoolSource, type SourceHost } from "./source.ts";
import { Sources } from "./sources.ts";
import { poolMove, type PoolState } from "./states.ts";
import { snapshot } from "./stats.ts";
import { Supervisor } from "./supervisor.ts";
import { Tasks } from "./tasks.ts";
import type {
  AttachOptions,
  PoolOptions,
  PoolStats,
  RunOptions,
} from "./types.ts";
import {
  checkFunction,
  checkHandler,
  checkInt,
  checkMs,
  checkOptions,
  checkSignal,
  checkString,
  checkTransfer,
  show,
} from "./validate.ts";

const QUEUE_BYTES = 4 << 20;

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
  readonly #handler: string | null;
  readonly #shared: Shared;
  readonly #queue: TaskQueue;
  readonly #taskFd: EventFd;
  readonly #tasks: Tasks;
  readonly #sources: Sources;
  readonly #pump: Pump;
  readonly #sup: Supervisor;
  readonly #started = Promise.withResolvers<void>();
  readonly #startedAt = performance.now();
  #state: PoolState = "serving";
  #closing?: Promise<void>;
  #destroying?: Promise<void>;
  #failure?: Error;
  readonly #host: SourceHost;

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
    const o = checkOptions("options", options);
    const workers = checkInt(
      "options.workers",
      o.workers ?? navigator.hardwareConcurrency,
      1,
      1024,
    );
    const maxQueue = checkInt(
      "options.maxQueue",
      o.maxQueue ?? 65536,
      1,
      2 ** 30,
    );
    const batch = checkInt("options.batch", o.batch ?? 32, 1, 2 ** 20);
    const name = checkString("options.name", o.name ?? "efdpool");
    const loadTimeout = checkMs("options.loadTimeout", o.loadTimeout ?? 30_000);
    const grace = checkMs("options.timeoutGrace", o.timeoutGrace ?? 5_000);
    this.#handler = o.handler === undefined
      ? null
      : checkHandler("options.handler", o.handler);
    this.size = workers;
    const shared = this.#shared = new Shared(workers);
    this.#queue = TaskQueue.create(QUEUE_BYTES);
    this.#taskFd = EventFd.create({ semaphore: true, nonblocking: true });
    // A pool that fails to start rejects its tasks; `started()` reports the same.
    this.#started.promise.catch(() => {});
    this.#pump = new Pump(shared, () => this.#step(), () => this.#busy());
    const poke = () => this.#pump.poke();
    this.#tasks = new Tasks({
      shared,
      queue: this.#queue,
      taskFd: this.#taskFd,
      size: workers,
      maxQueue,
      grace,
    }, {
      abortRunning: (id, reason) => {
        for (const slot of this.#sup.holding(Held.Task, id)) {
          void this.#sup.mail(slot, { type: "abort", id, reason });
        }
      },
      killRunning: (id, cause) => {
        for (const slot of this.#sup.holding(Held.Task, id)) {
          this.#sup.replace(slot, cause);
        }
      },
      poke,
    });
    this.#sources = new Sources(shared, loadTimeout, {
      live: () => this.#sup.live(),
      mail: (slot, body) => this.#sup.mail(slot, body),
      replace: (slot, cause) => this.#sup.replace(slot, cause),
      report: (error, message) => this.#report("error", error, message),
      drain: () => this.#sup.drain(),
      poke,
    });
    const sources = this.#sources;
    this.#host = {
      stats: (key) => sources.stats(key),
      until: (key, count, signal) => sources.until(key, count, signal),
      detach: (key) => sources.detach(key),
      started: (key) => sources.started(key),
      attached: (key) => sources.attached(key),
    };
    this.#sup = new Supervisor({
      name,
      size: workers,
      handler: this.#handler,
      batch,
      loadTimeout,
      shared,
      queue: this.#queue,
      taskFd: this.#taskFd,
    }, {
      sources: () => sources.specs(),
      onRecord: (r) =>
        r.id >= 0 ? this.#tasks.onRecord(r) : sources.onRecord(r),
      onLost: (slot, kind, id, cause) => {
        if (kind === Held.Task) this.#tasks.lost(id, slot, cause);
        else if (kind === Held.Unit) sources.giveBack(id, slot);
      },
      onDeath: (slot, cause) =>
        this.#report("workererror", cause, `worker ${slot} died`),
      onAllServing: () => this.#started.resolve(),
      onLoadFailure: (error) => this.#fail(error),
      onSourceError: (index, error, load) => sources.fail(index, error, load),
    });
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
    return this.#started.promise;
  }

  #report(type: string, error: unknown, message: string): void {
    this.dispatchEvent(new ErrorEvent(type, { error, message }));
  }

  #fail(error: HandlerLoadError): void {
    if (this.#failure || this.#destroying) return;
    this.#failure = error;
    this.#started.reject(error);
    this.#tasks.rejectAll(error);
    void this.destroy();
  }

  /** Why no new work is taken, or undefined while serving. */
  #refusal(): Error | undefined {
    if (this.#failure) return this.#failure;
    if (this.#state === "serving") return undefined;
    return new PoolClosedError(this.#destroying ? "destroyed" : "closed");
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
    let encoded: Encoded;
    let opts: RunOptions;
    try {
      opts = checkOptions("options", options);
      checkSignal("options.signal", opts.signal);
      if (opts.timeout !== undefined) checkMs("options.timeout", opts.timeout);
      checkTransfer(opts.transfer);
      const refused = this.#refusal();
      if (refused) throw refused;
      if (opts.signal?.aborted) throw opts.signal.reason;
      try {
        encoded = encode(payload);
      } catch (e) {
        throw new TypeError(
          `payload cannot be sent to a worker: ${(e as Error).message}`,
        );
      }
      const size = encoded.bytes?.length ?? 0;
      if (size > this.#queue.maxPayload) {
        throw new RangeError(
          `payload of ${size} bytes exceeds the ${this.#queue.maxPayload}-byte limit`,
        );
      }
      if (this.#tasks.full) throw new QueueFullError(this.#tasks.maxQueue);
    } catch (e) {
      return Promise.reject(e);
    }
    const p = this.#tasks.add(encoded, opts);
    for (const b of opts.transfer ?? []) b.transfer();
    return p as Promise<T>;
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
    const refused = this.#refusal();
    if (refused) return Promise.reject(refused);
    return this.#tasks.ready();
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
    if (!(eventfd instanceof EventFd)) {
      throw new TypeError(`eventfd must be an EventFd, got ${show(eventfd)}`);
    }
    const o = checkOptions("options", options);
    const name = o.name === undefined
      ? undefined
      : checkString("options.name", o.name);
    const handlerRef = o.handler ?? this.#handler;
    if (handlerRef === null) {
      throw new TypeError(
        "attach needs a handler: pass options.handler here or handler to the pool",
      );
    }
    const handler = checkHandler("options.handler", handlerRef);
    checkFunction("options.onResult", o.onResult);
    checkFunction("options.onError", o.onError);
    checkFunction("options.onWorkerLost", o.onWorkerLost);
    try {
      structuredClone(o.data);
    } catch (e) {
      throw new TypeError(
        `options.data cannot be sent to a worker: ${(e as Error).message}`,
      );
    }
    const refused = this.#refusal();
    if (refused) throw refused;
    if (eventfd.closed) throw new TypeError("eventfd is closed");
    const info = eventFdInfo(eventfd.fd);
    if ((info?.semaphore ?? eventfd.semaphore) === false) {
      throw new TypeError(
        `eventfd ${eventfd.fd} is not an EFD_SEMAPHORE eventfd: one read would hand a worker every unit at once`,
      );
    }
    const why = this.#sources.refusal(eventfd, info?.id);
    if (why) throw new TypeError(why);
    const { key, name: given } = this.#sources.attach(
      eventfd,
      info?.id,
      handler,
      { ...o, name },
    );
    this.#pump.poke();
    return new PoolSource(this.#host, key, given, eventfd);
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
    return snapshot({
      shared: this.#shared,
      startedAt: this.#startedAt,
      queued: this.#tasks.queued,
      unsettled: this.#tasks.unsettled,
      outcomes: this.#tasks.outcomes,
      slots: this.#sup.slots(),
      sources: this.#sources.all(),
    });
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
    if (this.#destroying) return this.#destroying;
    if (this.#closing) return this.#closing;
    this.#state = poolMove(this.#state, "closing");
    this.#closing = (async () => {
      await this.#tasks.idle();
      if (this.#destroying) return this.#destroying;
      await Promise.all(
        this.#sources.keys().map((k) => this.#sources.detach(k)),
      );
      // A destroy() meanwhile has taken over the shutdown.
      if (this.#destroying) return this.#destroying;
      this.#state = poolMove(this.#state, "stopping");
      await this.#shutdown(false);
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
    if (this.#destroying) return this.#destroying;
    if (this.#state === "closed") return Promise.resolve();
    if (this.#state !== "stopping") {
      this.#state = poolMove(this.#state, "stopping");
    }
    const error = new PoolClosedError("destroyed");
    this.#started.reject(this.#failure ?? error);
    this.#tasks.rejectAll(error);
    this.#tasks.releaseWaiters();
    this.#destroying = this.#shutdown(true);
    return this.#destroying;
  }

  /** Stops the workers (giving back what they held), then frees the rest. */
  async #shutdown(now: boolean): Promise<void> {
    await this.#sup.stop(now);
    if (this.#state === "closed") return; // The other shutdown freed everything.
    this.#state = poolMove(this.#state, "closed");
    this.#sources.forgetAll(
      this.#failure ?? new PoolClosedError(now ? "destroyed" : "closed"),
    );
    this.#taskFd.close();
    this.#tasks.releaseWaiters();
    this.#started.reject(this.#failure ?? new PoolClosedError("closed"));
  }

  /** Tasks queued and not yet taken by a worker. */
  get queued(): number {
    return this.#tasks.queued;
  }

  /** One round of bookkeeping; true if it made progress. */
  #step(): boolean {
    const n = this.#sup.drain() + this.#tasks.step() + this.#sources.step();
    return n > 0;
  }

  #busy(): boolean {
    return this.#state !== "closed" && (this.#tasks.busy || this.#sources.busy);
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
