/**
 * `PoolSource`: an external semaphore eventfd served by a pool.
 *
 * @module
 */

import type { EventFd } from "../ffi/eventfd.ts";
import type { SourceStats } from "./types.ts";

/** What a source needs from its pool; kept narrow so the two files stay apart. */
export interface SourceHost {
  sourceStats(index: number): SourceStats;
  waitHandled(
    index: number,
    count: number,
    signal?: AbortSignal,
  ): Promise<void>;
  detachSource(index: number): Promise<void>;
}

/**
 * An eventfd attached to a pool with `pool.attach()`: each unit signalled on
 * it becomes one handler call in one worker.
 *
 * @example
 * ```ts
 * import { EventFd, WorkerPool } from "../mod.ts";
 * const handler = "data:text/javascript,export function handle(n) { return n.seq; }";
 * await using pool = new WorkerPool({ workers: 2, handler });
 * const efd = EventFd.create({ semaphore: true });
 * const src = pool.attach(efd, { name: "ticks" });
 * efd.write(100);
 * await src.until(100);
 * console.log(src.stats().handled); // 100
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
  readonly #index: number;

  /**
   * Made by `WorkerPool.attach`; not meant to be called directly.
   *
   * @example
   * ```ts
   * import { EventFd, WorkerPool } from "../mod.ts";
   * await using pool = new WorkerPool({ workers: 1, handler: "data:text/javascript,export const handle = () => 1;" });
   * using efd = EventFd.create({ semaphore: true });
   * const src = pool.attach(efd); // a PoolSource
   * await src.detach();
   * ```
   */
  constructor(host: SourceHost, index: number, name: string, eventfd: EventFd) {
    this.#host = host;
    this.#index = index;
    this.name = name;
    this.eventfd = eventfd;
  }

  /**
   * Counters of this source: units taken, handled, failed, re-delivered.
   *
   * @example
   * ```ts
   * import { EventFd, WorkerPool } from "../mod.ts";
   * await using pool = new WorkerPool({ workers: 1, handler: "data:text/javascript,export const handle = () => 1;" });
   * using efd = EventFd.create({ semaphore: true });
   * const src = pool.attach(efd);
   * console.log(src.stats().taken); // 0
   * await src.detach();
   * ```
   */
  stats(): SourceStats {
    return this.#host.sourceStats(this.#index);
  }

  /**
   * Resolves once `count` units of this source have been handled or have
   * failed, in total since attach.
   *
   * @example
   * ```ts
   * import { EventFd, WorkerPool } from "../mod.ts";
   * await using pool = new WorkerPool({ workers: 1, handler: "data:text/javascript,export const handle = () => 1;" });
   * using efd = EventFd.create({ semaphore: true });
   * const src = pool.attach(efd);
   * efd.write(3);
   * await src.until(3);
   * await src.detach();
   * ```
   */
  until(count: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.#host.waitHandled(this.#index, count, options.signal);
  }

  /**
   * Stops taking units from the eventfd; resolves when no worker is still
   * handling one. Units left in the counter stay there. The eventfd is not
   * closed.
   *
   * @example
   * ```ts
   * import { EventFd, WorkerPool } from "../mod.ts";
   * await using pool = new WorkerPool({ workers: 1, handler: "data:text/javascript,export const handle = () => 1;" });
   * using efd = EventFd.create({ semaphore: true });
   * await pool.attach(efd).detach();
   * ```
   */
  detach(): Promise<void> {
    return this.#host.detachSource(this.#index);
  }
}
