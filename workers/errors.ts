/**
 * Error classes of the worker pool.
 *
 * @module
 */

import { EfdpoolError } from "../errors.ts";

/** A task's handler threw (or rejected); the original error is the `cause`. */
export class TaskFailedError extends EfdpoolError {
  /**
   * Builds the error.
   *
   * @param cause What the handler threw.
   *
   * @example
   * ```ts
   * import { TaskFailedError } from "@efdpool/efdpool";
   * const e = new TaskFailedError(new Error("boom"));
   * console.log(e.message, (e.cause as Error).message);
   * ```
   */
  constructor(cause: unknown) {
    super(
      `task handler failed: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
  }
}

/** A task ran longer than its `timeout`; its handler's signal was aborted. */
export class TaskTimeoutError extends EfdpoolError {
  /** The timeout, in milliseconds. */
  readonly timeout: number;

  /**
   * Builds the error.
   *
   * @param timeout The timeout that passed.
   *
   * @example
   * ```ts
   * import { TaskTimeoutError } from "@efdpool/efdpool";
   * console.log(new TaskTimeoutError(50).message);
   * ```
   */
  constructor(timeout: number) {
    super(`task timed out after ${timeout} ms`);
    this.timeout = timeout;
  }
}

/** The worker running a task died (uncaught error, crash); the task was not retried. */
export class WorkerDiedError extends EfdpoolError {
  /** The worker's index in the pool. */
  readonly worker: number;

  /**
   * Builds the error.
   *
   * @param worker The index of the worker that died.
   * @param cause Why it died, when known.
   *
   * @example
   * ```ts
   * import { WorkerDiedError } from "@efdpool/efdpool";
   * console.log(new WorkerDiedError(2, new Error("oops")).message);
   * ```
   */
  constructor(worker: number, cause?: unknown) {
    super(
      `worker ${worker} died while running the task${
        cause instanceof Error
          ? `: ${cause.message}`
          : cause
          ? `: ${String(cause)}`
          : ""
      }`,
      { cause },
    );
    this.worker = worker;
  }
}

/** A handler module could not be loaded in a worker, so the pool could not start. */
export class HandlerLoadError extends EfdpoolError {
  /**
   * Builds the error.
   *
   * @param cause The import or export error from the worker.
   *
   * @example
   * ```ts
   * import { HandlerLoadError } from "@efdpool/efdpool";
   * console.log(new HandlerLoadError(new Error("Module not found")).message);
   * ```
   */
  constructor(cause: unknown) {
    super(
      `cannot load the handler module: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
  }
}

/** `until()` waited for a count the source will never reach: it was detached (or its pool closed) first. */
export class SourceDetachedError extends EfdpoolError {
  /**
   * Builds the error.
   *
   * @param name The source's name.
   *
   * @example
   * ```ts
   * import { SourceDetachedError } from "@efdpool/efdpool";
   * console.log(new SourceDetachedError("jobs").message);
   * ```
   */
  constructor(name: string) {
    super(`source ${name} was detached before the awaited count was reached`);
  }
}

/** `run(payload, { name })` named a task function the pool's workers do not have. */
export class UnknownTaskError extends EfdpoolError {
  /** The name asked for. */
  readonly taskName: string;
  /** The task names the workers know. */
  readonly known: readonly string[];

  /**
   * Builds the error.
   *
   * @param taskName The name asked for.
   * @param known The names that exist.
   *
   * @example
   * ```ts
   * import { UnknownTaskError } from "@efdpool/efdpool";
   * console.log(new UnknownTaskError("resize", ["crop", "handle"]).message);
   * ```
   */
  constructor(taskName: string, known: readonly string[]) {
    super(
      `no task named ${JSON.stringify(taskName)}; known: ${
        known.length ? known.join(", ") : "none"
      }`,
    );
    this.taskName = taskName;
    this.known = known;
  }
}
