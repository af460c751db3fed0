/**
 * The pool's own lifecycle: its state (serving → closing → stopping →
 * closed, drawn in _states.ts), the `started()` promise, a failed start,
 * and the two ways out, `close()` and `destroy()`. It owns those promises
 * and settles each on every path; concurrent calls share one promise.
 *
 * @module
 */

import { ClosedError } from "../errors.ts";
import type { EventFd } from "../ffi/eventfd.ts";
import type { Elastic } from "./_elastic.ts";
import type { HandlerLoadError } from "./errors.ts";
import type { Sources } from "./_sources.ts";
import { poolMove, type PoolState } from "./_states.ts";
import type { Supervisor } from "./_supervisor.ts";
import type { Tasks } from "./_tasks.ts";

/** The parts a shutdown waits for, stops and frees. */
export interface LifeParts {
  tasks: Tasks;
  sources: Sources;
  sup: Supervisor;
  taskFd: EventFd;
  elastic?: Elastic;
}

/** One pool's state and its long-lived promises. */
export class Lifecycle {
  readonly #tasks: Tasks;
  readonly #sources: Sources;
  readonly #sup: Supervisor;
  readonly #taskFd: EventFd;
  readonly #elastic?: Elastic;
  readonly #started = Promise.withResolvers<void>();
  #state: PoolState = "serving";
  #closing?: Promise<void>;
  #destroying?: Promise<void>;
  #failure?: Error;

  constructor(parts: LifeParts) {
    this.#tasks = parts.tasks;
    this.#sources = parts.sources;
    this.#sup = parts.sup;
    this.#taskFd = parts.taskFd;
    this.#elastic = parts.elastic;
    // A pool that fails to start rejects its tasks; `started()` reports the same.
    this.#started.promise.catch(() => {});
  }

  /** Settles when every worker served once, or the pool fails or stops first. */
  get started(): Promise<void> {
    return this.#started.promise;
  }

  /** Every slot served once. */
  serving(): void {
    this.#started.resolve();
  }

  /** Whether the pool is closed: nothing it owns is left to wait for. */
  get closed(): boolean {
    return this.#state === "closed";
  }

  /** The pool's handler cannot be loaded: the start failed, so the pool is destroyed. */
  fail(error: HandlerLoadError): void {
    if (this.#failure || this.#destroying) return;
    this.#failure = error;
    this.#started.reject(error);
    this.#tasks.rejectAll(error);
    void this.destroy();
  }

  /** Why no new work is taken, or undefined while serving. */
  refusal(): Error | undefined {
    if (this.#failure) return this.#failure;
    if (this.#state === "serving") return undefined;
    return poolClosed(this.#destroying !== undefined);
  }

  /** Throws the refusal, if there is one. */
  assertServing(): void {
    const refused = this.refusal();
    if (refused) throw refused;
  }

  /** See `WorkerPool.close`. */
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

  /** See `WorkerPool.destroy`. */
  destroy(): Promise<void> {
    if (this.#destroying) return this.#destroying;
    if (this.#state === "closed") return Promise.resolve();
    if (this.#state !== "stopping") {
      this.#state = poolMove(this.#state, "stopping");
    }
    const error = poolClosed(true);
    this.#started.reject(this.#failure ?? error);
    this.#tasks.rejectAll(error);
    this.#tasks.releaseWaiters();
    this.#destroying = this.#shutdown(true);
    return this.#destroying;
  }

  /** Stops the workers (giving back what they held), then frees the rest. */
  async #shutdown(now: boolean): Promise<void> {
    this.#elastic?.stop();
    await this.#sup.stop(now);
    if (this.#state === "closed") return; // The other shutdown freed everything.
    this.#state = poolMove(this.#state, "closed");
    this.#sources.forgetAll(
      this.#failure ?? poolClosed(now),
    );
    this.#taskFd.close();
    this.#tasks.releaseWaiters();
    this.#started.reject(this.#failure ?? poolClosed(false));
  }
}

/** Why a closing or destroyed pool refuses work. */
function poolClosed(destroyed: boolean): ClosedError {
  return new ClosedError(
    "pool",
    "take work",
    destroyed ? "destroyed" : "closed",
  );
}
