/**
 * The task pools compared, behind one shape: efdpool's `run()` and the plain
 * postMessage pool.
 *
 * @module
 */

import { PostMessagePool } from "./postmessage_pool.ts";

/** What the task benchmarks need from a pool. */
export interface TaskPool {
  /** Runs one task, resolving with the handler's result. */
  run(input: unknown): Promise<unknown>;
  /** Stops the pool. */
  close(): Promise<void>;
}

/** Pools `openTaskPool` knows. */
export const TASK_POOLS = ["efdpool", "postmessage", "null"] as const;

/**
 * Opens a pool of `workers` running bench/compare/handler.ts. efdpool is
 * imported only when asked for, so the postMessage runs work without it.
 *
 * @example
 * ```ts
 * import { openTaskPool } from "./pools.ts";
 * const pool = await openTaskPool("postmessage", 2, 100);
 * console.log(await pool.run(1)); // 2
 * await pool.close();
 * ```
 */
export async function openTaskPool(
  kind: string,
  workers: number,
  maxQueue: number,
): Promise<TaskPool> {
  switch (kind) {
    case "postmessage": {
      const pool = new PostMessagePool(workers);
      return {
        run: (x) => pool.run(x),
        close: () => Promise.resolve(pool.close()),
      };
    }
    case "null": {
      const { NullPool } = await import("./null_pool.ts");
      const pool = new NullPool();
      return { run: (x) => pool.run(x), close: () => Promise.resolve() };
    }
    case "efdpool": {
      const { benchPool } = await import("./efdpool_pool.ts");
      const pool = benchPool(workers, maxQueue);
      // Work goes to whichever worker is up: wait for all, so no measured
      // window includes a worker still loading.
      await pool.started();
      return { run: (x) => pool.run(x), close: () => pool.close() };
    }
    default:
      throw new RangeError(
        `unknown pool "${kind}" (expected one of ${TASK_POOLS.join(", ")})`,
      );
  }
}
