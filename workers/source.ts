/**
 * `PoolSource`: an external semaphore eventfd served by a pool.
 *
 * @module
 */

import type { EventFd } from "../ffi/eventfd.ts";
import type { SourceStats } from "./types.ts";
import { checkInt, checkOptions, checkSignal } from "./_validate.ts";

/** What a source needs from its pool; kept narrow so the two files stay apart. */
export interface SourceHost {
  stats(key: number): SourceStats;
  until(key: number, count: number, signal?: AbortSignal): Promise<void>;
  detach(key: number): Promise<void>;
  started(key: number): Promise<void>;
  attached(key: number): boolean;
}

/**
 * An eventfd attached to a pool with `pool.attach()`: each unit signalled on
 * it becomes one handler call in one worker.
 *
 * @example
 * ```ts
 * import { EventFd, WorkerPool } from "@efdpool/efdpool";
 * import assert from "node:assert/strict";
 * const handler = "data:text/javascript,export function handle(n) { return n.seq; }";
 * await using pool = new WorkerPool({ workers: 2, handler });
 * const efd = EventFd.create({ semaphore: true });
 * const src = pool.attach(efd, { name: "ticks" });
 * efd.write(100);
 * await src.until(100);
 * assert.equal(src.stats().handled, 100);
 * await src.detach();
 * efd.close();
 * ```
 */
export class PoolSource {
  /** The source's name, as in notifications and stats. */
  readonly name: string;
  /** The attached eventfd. */
  readonly eventfd: EventFd;
  readonly #host: SourceHost;
  readonly #key: number;

  /**
   * Made by `WorkerPool.attach`; not meant to be called directly.
   *
   * @example
   * ```ts
   * import { EventFd, WorkerPool } from "@efdpool/efdpool";
   * await using pool = new WorkerPool({ workers: 1, handler: "data:text/javascript,export const handle = () => 1;" });
   * using efd = EventFd.create({ semaphore: true });
   * const src = pool.attach(efd); // a PoolSource
   * await src.detach();
   * ```
   */
  constructor(host: SourceHost, key: number, name: string, eventfd: EventFd) {
    this.#host = host;
    this.#key = key;
    this.name = name;
    this.eventfd = eventfd;
  }

  /**
   * Counters of this source: units taken, handled, failed, re-delivered.
   *
   * @example
   * ```ts
   * import { EventFd, WorkerPool } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * await using pool = new WorkerPool({ workers: 1, handler: "data:text/javascript,export const handle = () => 1;" });
   * using efd = EventFd.create({ semaphore: true });
   * const src = pool.attach(efd);
   * assert.equal(src.stats().taken, 0);
   * await src.detach();
   * ```
   */
  stats(): SourceStats {
    return this.#host.stats(this.#key);
  }

  /**
   * Resolves once every worker has loaded this source's handler and watches
   * its eventfd; rejects with `HandlerLoadError` if a worker could not load
   * it within the pool's `loadTimeout` (the source is then detached; the
   * pool serves on).
   *
   * @example
   * ```ts
   * import { EventFd, WorkerPool } from "@efdpool/efdpool";
   * await using pool = new WorkerPool({ workers: 1, handler: "data:text/javascript,export const handle = () => 1;" });
   * using efd = EventFd.create({ semaphore: true });
   * await using src = pool.attach(efd);
   * await src.started();
   * ```
   */
  started(): Promise<void> {
    return this.#host.started(this.#key);
  }

  /** Whether the source is still served (not detached, failed, or its pool gone). */
  get attached(): boolean {
    return this.#host.attached(this.#key);
  }

  /**
   * Resolves once `count` units of this source have been handled or have
   * failed, in total since attach. Rejects with `SourceDetachedError` if
   * the source is detached first, with `ClosedError` if its pool is
   * destroyed first, and with `HandlerLoadError` if its handler did not load.
   *
   * @example
   * ```ts
   * import { EventFd, WorkerPool } from "@efdpool/efdpool";
   * await using pool = new WorkerPool({ workers: 1, handler: "data:text/javascript,export const handle = () => 1;" });
   * using efd = EventFd.create({ semaphore: true });
   * const src = pool.attach(efd);
   * efd.write(3);
   * await src.until(3);
   * await src.detach();
   * ```
   */
  until(count: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      checkInt("count", count, 0, Number.MAX_SAFE_INTEGER);
      const { signal } = checkOptions("options", options);
      checkSignal("options.signal", signal);
      if (signal?.aborted) return Promise.reject(signal.reason);
      return this.#host.until(this.#key, count, signal);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Stops taking units from the eventfd; resolves when no worker is still
   * handling one. Units left in the counter stay there. The eventfd is not
   * closed.
   *
   * @example
   * ```ts
   * import { EventFd, WorkerPool } from "@efdpool/efdpool";
   * await using pool = new WorkerPool({ workers: 1, handler: "data:text/javascript,export const handle = () => 1;" });
   * using efd = EventFd.create({ semaphore: true });
   * await pool.attach(efd).detach();
   * ```
   */
  detach(): Promise<void> {
    return this.#host.detach(this.#key);
  }

  /**
   * `await using src = pool.attach(…)` detaches the source at scope exit.
   *
   * @example
   * ```ts
   * import { EventFd, WorkerPool } from "@efdpool/efdpool";
   * await using pool = new WorkerPool({ workers: 1, handler: "data:text/javascript,export const handle = () => 1;" });
   * using efd = EventFd.create({ semaphore: true });
   * {
   *   await using src = pool.attach(efd);
   *   efd.write(1);
   *   await src.until(1);
   * } // detached here
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.detach();
  }
}
