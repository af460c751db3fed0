/**
 * The baseline every Deno worker pool starts as: tasks dealt round-robin,
 * one `postMessage` to the worker and one back per task.
 *
 * @module
 */

/** A task's worker failed before answering. */
export class PostMessagePoolError extends Error {
  /**
   * Builds the error.
   *
   * @example
   * ```ts
   * import { PostMessagePoolError } from "./postmessage_pool.ts";
   * console.log(new PostMessagePoolError("worker 0 crashed").name);
   * ```
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PostMessagePoolError";
  }
}

/**
 * A round-robin pool of module Workers running bench/compare/postmessage_worker.ts.
 *
 * @example
 * ```ts
 * import { PostMessagePool } from "./postmessage_pool.ts";
 * const pool = new PostMessagePool(2);
 * console.log(await pool.run(1)); // 2
 * pool.close();
 * ```
 */
export class PostMessagePool {
  readonly #workers: Worker[] = [];
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  #next = 0;
  #id = 0;

  /**
   * Starts `workers` Workers.
   *
   * @example
   * ```ts
   * import { PostMessagePool } from "./postmessage_pool.ts";
   * new PostMessagePool(4).close();
   * ```
   */
  constructor(workers: number) {
    const url = new URL("./postmessage_worker.ts", import.meta.url);
    for (let i = 0; i < workers; i++) {
      const w = new Worker(url, { type: "module" });
      w.onmessage = (e: MessageEvent<[number, unknown]>) => {
        const [id, result] = e.data;
        this.#pending.get(id)!.resolve(result);
        this.#pending.delete(id);
      };
      w.onerror = (e) => {
        e.preventDefault();
        this.#failAll(new PostMessagePoolError(`worker ${i}: ${e.message}`));
      };
      this.#workers.push(w);
    }
  }

  #failAll(err: Error): void {
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }

  /**
   * Sends `input` to the next worker and resolves with its answer.
   *
   * @example
   * ```ts
   * import { PostMessagePool } from "./postmessage_pool.ts";
   * const pool = new PostMessagePool(1);
   * console.log(await Promise.all([pool.run(1), pool.run(2)])); // [2, 3]
   * pool.close();
   * ```
   */
  run(input: unknown): Promise<unknown> {
    const id = this.#id++;
    const w = this.#workers[this.#next];
    this.#next = (this.#next + 1) % this.#workers.length;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      w.postMessage([id, input]);
    });
  }

  /**
   * Terminates the workers; tasks still pending reject.
   *
   * @example
   * ```ts
   * import { PostMessagePool } from "./postmessage_pool.ts";
   * new PostMessagePool(1).close();
   * ```
   */
  close(): void {
    for (const w of this.#workers) w.terminate();
    this.#failAll(new PostMessagePoolError("pool closed"));
  }
}
