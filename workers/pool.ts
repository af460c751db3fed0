/**
 * `WorkerPool`: the public front. Each call goes to the part that owns it:
 * admission checks (_admit.ts), the pool's lifecycle (_lifecycle.ts),
 * worker supervision (_supervisor.ts), tasks (_tasks.ts), sources
 * (_sources.ts), the result pump (_pump.ts) and stats (_stats.ts), all
 * built and wired in _assemble.ts. The states are in _states.ts.
 *
 * @module
 */

import type { EventFd } from "../ffi/eventfd.ts";
import { addNamed, attachEventFd, submit } from "./_admit.ts";
import { assemble, type Parts } from "./_assemble.ts";
import { type Attachable, attachTo, isAttachable } from "./attachable.ts";
import { checkPoolOptions } from "./_checks.ts";
import { ListenedEventTarget, type PoolEventMap } from "./events.ts";
import { checkReadable } from "./_permissions.ts";
import { reporter } from "./_report.ts";
import type { PoolSource } from "./source.ts";
import { OutsideSources, snapshot } from "./_stats.ts";
import type {
  AttachOptions,
  PoolOptions,
  PoolStats,
  RunOptions,
  SourceStats,
} from "./types.ts";

/**
 * A pool of Web Workers fed by eventfds. Every unit on the pool's task
 * eventfd or on an attached semaphore eventfd wakes one idle worker (epoll
 * with `EPOLLEXCLUSIVE`: no thundering herd), which takes it and runs the
 * handler once. Results come back through per-worker shared rings.
 *
 * The pool keeps the process alive until `close()` or `destroy()`. Its
 * events (`error`, `workererror`, `workerstart`, `workerexit`, `drain`) are
 * typed in {@linkcode PoolEventMap}.
 *
 * @example Tasks
 * ```ts
 * import { WorkerPool } from "@efdpool/efdpool";
 * import assert from "node:assert/strict";
 * // In a file: handler: new URL("./handler.ts", import.meta.url), where
 * // handler.ts has: export function handle(n: number) { return n * 2; }
 * const handler = "data:text/javascript,export const handle = (n) => n * 2;";
 * await using pool = new WorkerPool({ workers: 4, handler });
 * assert.equal(await pool.run(21), 42);
 * ```
 */
export class WorkerPool extends ListenedEventTarget<PoolEventMap> {
  /** Number of worker slots: the most workers at once. */
  readonly size: number;
  readonly #p: Parts;
  readonly #startedAt = performance.now();
  readonly #outside = new OutsideSources();

  /**
   * Starts the workers. They load the handler module in the background;
   * `run()` may be called at once (tasks wait in the queue), and
   * `await pool.started()` tells when every worker is serving.
   *
   * @example
   * ```ts
   * import { WorkerPool } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * const pool = new WorkerPool({ workers: 2, handler: "data:text/javascript,export const handle = (x) => x + 1;" });
   * await pool.started();
   * assert.equal(await pool.run(1), 2);
   * await pool.close();
   * ```
   */
  constructor(options: PoolOptions = {}) {
    super();
    const cfg = checkPoolOptions(options);
    checkReadable(cfg.handler);
    this.size = cfg.workers;
    this.#p = assemble(cfg, {
      report: reporter(
        cfg.name,
        () => this.listens("error"),
        (ev) => this.dispatchEvent(ev),
      ),
      event: (ev) => this.dispatchEvent(ev),
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
    return this.#p.life.started;
  }

  /**
   * Queues a task: the payload goes through the shared queue, one unit on the
   * task eventfd wakes one idle worker, and the handler's return value (or
   * thrown error, as `TaskFailedError.cause`) settles the promise.
   *
   * @example
   * ```ts
   * import { WorkerPool } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * await using pool = new WorkerPool({ workers: 2, handler: "data:text/javascript,export const handle = (s) => s.toUpperCase();" });
   * assert.equal(await pool.run("hi", { timeout: 1000 }), "HI");
   * ```
   */
  run<T = unknown>(payload: unknown, options: RunOptions = {}): Promise<T> {
    return submit(this.#p, payload, options) as Promise<T>;
  }

  /**
   * Adds a task function to the running pool: every worker (and every one
   * started later) loads `handler` and runs its `handle` (or default)
   * export for `run(payload, { name })`. Resolves once every live worker has
   * it; rejects with `HandlerLoadError` if one cannot load it (the name is
   * then not added), or with a `TypeError` for a name already in use.
   *
   * @example Named tasks
   * ```ts
   * import { WorkerPool } from "@efdpool/efdpool";
   * await using pool = new WorkerPool({
   *   workers: 2,
   *   handler: "data:text/javascript,export const handle = (x) => x; export const twice = (x) => 2 * x;",
   * });
   * console.log(await pool.run(4, { name: "twice" })); // 8
   * await pool.addHandler("square", "data:text/javascript,export default (x) => x * x;");
   * console.log(await pool.run(4, { name: "square" })); // 16
   * ```
   */
  async addHandler(name: string, handler: string | URL): Promise<void> {
    await addNamed(this.#p, name, handler);
  }

  /**
   * Replaces every worker with a fresh one, one slot at a time so the rest
   * keep serving: each finishes the units in hand (nothing is lost or run
   * twice), runs its `teardown()`, and a new worker loads the handlers and
   * runs `setup()`. Resolves when every slot serves again.
   *
   * @example
   * ```ts
   * import { WorkerPool } from "@efdpool/efdpool";
   * await using pool = new WorkerPool({ workers: 2, handler: "data:text/javascript,export const handle = (x) => x;" });
   * await pool.run(1);
   * await pool.recycle();
   * console.log(pool.stats().workers.map((w) => w.recycled)); // [1, 1]
   * ```
   */
  async recycle(): Promise<void> {
    this.#p.life.assertServing();
    for (let i = 0; i < this.size; i++) await this.#p.sup.recycle(i);
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
    const refused = this.#p.life.refusal();
    if (refused) return Promise.reject(refused);
    return this.#p.tasks.ready();
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
   * import assert from "node:assert/strict";
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
   * assert.equal(sum, 55);
   * ```
   */
  attach(eventfd: EventFd, options?: AttachOptions): PoolSource;
  /**
   * Puts a source under the pool: an `AioSource`, `IoUringSource`,
   * `EfdNotifySource` or `JetStreamSource`, with that source's options;
   * returns what the source's attach returns.
   *
   * @example
   * ```ts
   * import { IoUringSource, openForRead, WorkerPool } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * const path = Deno.makeTempFileSync();
   * Deno.writeTextFileSync(path, "hello");
   * await using pool = new WorkerPool({ workers: 2 });
   * const ring = IoUringSource.create({ depth: 4, blockSize: 4096 });
   * let bytes = 0;
   * pool.attach(ring, {
   *   handler: "data:text/javascript,export const handle = (c) => c.data.length;",
   *   onResult: (n) => bytes += n as number,
   * });
   * using file = openForRead(path, { direct: false });
   * ring.read(file, 0);
   * await ring.close(); // drains first
   * assert.equal(bytes, 5);
   * ```
   */
  attach<O, R>(source: Attachable<O, R>, options?: O): R;
  attach(
    target: EventFd | Attachable<unknown, unknown>,
    options: unknown = {},
  ): unknown {
    if (isAttachable(target)) return target[attachTo](this, options);
    return attachEventFd(this.#p, target, options as AttachOptions);
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
    const { sup, tasks, sources } = this.#p;
    return snapshot({
      shared: sup.shared,
      startedAt: this.#startedAt,
      queued: tasks.queued,
      unsettled: tasks.unsettled,
      outcomes: tasks.outcomes,
      slots: sup.slots(),
      sources: [...sources.all(), ...this.#outside.read()],
    });
  }

  /**
   * Lists a source outside the pool — one that feeds it through `run()`, as
   * `JetStreamSource` does — in {@linkcode WorkerPool.stats}'s `sources`, so
   * `efdpool watch` and other readers of the stats see it next to the attached
   * ones. `read` is called on each `stats()`; dispose the returned handle to
   * remove the entry.
   *
   * @example
   * ```ts
   * import { WorkerPool } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * await using pool = new WorkerPool({
   *   workers: 1,
   *   handler: "data:text/javascript,export const handle = (x) => x",
   * });
   * let pulled = 0;
   * using _entry = pool.addStatsSource(() => ({
   *   name: "queue", kind: "custom", taken: pulled, handled: pulled, failed: 0, redelivered: 0,
   * }));
   * pulled = (await pool.run(3)) as number;
   * assert.equal(pool.stats().sources.find((s) => s.name === "queue")?.taken, 3);
   * ```
   */
  addStatsSource(read: () => SourceStats): Disposable {
    return this.#outside.add(read);
  }

  /**
   * Finishes every queued and running task, detaches the sources, then stops
   * the workers (waking them out of epoll; a blocked thread cannot be
   * terminated). New `run()` calls are refused meanwhile.
   *
   * @example
   * ```ts
   * import { WorkerPool } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * const pool = new WorkerPool({ workers: 2, handler: "data:text/javascript,export const handle = (x) => x;" });
   * const p = pool.run(1);
   * await pool.close();
   * assert.equal(await p, 1);
   * ```
   */
  close(): Promise<void> {
    return this.#p.life.close();
  }

  /**
   * Stops now: queued and running tasks reject with `ClosedError`,
   * workers are woken and terminated.
   *
   * @example
   * ```ts
   * import { WorkerPool } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * const pool = new WorkerPool({ workers: 2, handler: "data:text/javascript,export const handle = (x) => x;" });
   * const p = pool.run(1).catch((e) => e.name);
   * await pool.destroy();
   * const got = await p;
   * assert.ok(got === "ClosedError" || got === 1, String(got)); // 1 if it had finished
   * ```
   */
  destroy(): Promise<void> {
    return this.#p.life.destroy();
  }

  /** Tasks queued and not yet taken by a worker. */
  get queued(): number {
    return this.#p.tasks.queued;
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
