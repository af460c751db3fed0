/**
 * The floor of the task rows: a "pool" with no workers that runs the
 * benchmark handler on the calling thread and settles the tasks queued so
 * far in one batch, in a microtask (no event-loop turn, no thread). Whatever a real pool adds (moving
 * work to threads, waking them, results back) comes on top of this, so its
 * tasks/s bound what any pool can reach under the same harness: with 200k
 * promises in flight at once, their creation and garbage collection alone.
 *
 * @module
 */

import { handle } from "./handler.ts";

/** A task waiting for its turn's batch. */
interface Pending {
  input: number | Uint8Array;
  resolve(v: unknown): void;
}

/**
 * Runs tasks on this thread, settling them in batches.
 *
 * @example
 * ```ts
 * import { NullPool } from "./null_pool.ts";
 * const pool = new NullPool();
 * console.log(await pool.run(1)); // 2
 * ```
 */
export class NullPool {
  #batch: Pending[] = [];
  #scheduled = false;

  /** Queues one task; it settles with the handler's result in a microtask. */
  run(input: unknown): Promise<unknown> {
    const { promise, resolve } = Promise.withResolvers<unknown>();
    this.#batch.push({ input: input as number | Uint8Array, resolve });
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.#settle());
    }
    return promise;
  }

  #settle(): void {
    this.#scheduled = false;
    const batch = this.#batch;
    this.#batch = [];
    for (const t of batch) t.resolve(handle(t.input));
  }
}
