/**
 * Error classes of the worker pool.
 *
 * @module
 */

/** `run()` was refused because `maxQueue` tasks are already waiting. */
export class QueueFullError extends Error {
  /** The pool's `maxQueue`. */
  readonly maxQueue: number;

  /**
   * Builds the error.
   *
   * @param maxQueue The limit that was reached.
   *
   * @example
   * ```ts
   * import { QueueFullError } from "./errors.ts";
   * console.log(new QueueFullError(8).message);
   * ```
   */
  constructor(maxQueue: number) {
    super(
      `task queue is full (maxQueue ${maxQueue}); await pool.ready() before queueing more`,
    );
    this.name = "QueueFullError";
    this.maxQueue = maxQueue;
  }
}

/** A task's handler threw (or rejected); the original error is the `cause`. */
export class TaskFailedError extends Error {
  /**
   * Builds the error.
   *
   * @param cause What the handler threw.
   *
   * @example
   * ```ts
   * import { TaskFailedError } from "./errors.ts";
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
    this.name = "TaskFailedError";
  }
}

/** A task ran longer than its `timeout`; its handler's signal was aborted. */
export class TaskTimeoutError extends Error {
  /** The timeout, in milliseconds. */
  readonly timeout: number;

  /**
   * Builds the error.
   *
   * @param timeout The timeout that passed.
   *
   * @example
   * ```ts
   * import { TaskTimeoutError } from "./errors.ts";
   * console.log(new TaskTimeoutError(50).message);
   * ```
   */
  constructor(timeout: number) {
    super(`task timed out after ${timeout} ms`);
    this.name = "TaskTimeoutError";
    this.timeout = timeout;
  }
}

/** The worker running a task died (uncaught error, crash); the task was not retried. */
export class WorkerDiedError extends Error {
  /** The worker slot. */
  readonly worker: number;

  /**
   * Builds the error.
   *
   * @param worker The slot whose worker died.
   * @param cause Why it died, when known.
   *
   * @example
   * ```ts
   * import { WorkerDiedError } from "./errors.ts";
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
    this.name = "WorkerDiedError";
    this.worker = worker;
  }
}

/** The pool is closing or closed, or was destroyed, so the task will not run. */
export class PoolClosedError extends Error {
  /**
   * Builds the error.
   *
   * @param how What happened to the pool.
   *
   * @example
   * ```ts
   * import { PoolClosedError } from "./errors.ts";
   * console.log(new PoolClosedError("destroyed").message);
   * ```
   */
  constructor(how: "closed" | "destroyed") {
    super(`the worker pool was ${how}`);
    this.name = "PoolClosedError";
  }
}

/** A handler module could not be loaded in a worker, so the pool could not start. */
export class HandlerLoadError extends Error {
  /**
   * Builds the error.
   *
   * @param cause The import or export error from the worker.
   *
   * @example
   * ```ts
   * import { HandlerLoadError } from "./errors.ts";
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
    this.name = "HandlerLoadError";
  }
}

/** `until()` waited for a count the source will never reach: it was detached (or its pool closed) first. */
export class SourceDetachedError extends Error {
  /**
   * Builds the error.
   *
   * @param name The source's name.
   *
   * @example
   * ```ts
   * import { SourceDetachedError } from "./errors.ts";
   * console.log(new SourceDetachedError("jobs").message);
   * ```
   */
  constructor(name: string) {
    super(`source ${name} was detached before the awaited count was reached`);
    this.name = "SourceDetachedError";
  }
}

/** `run(payload, { name })` named a task function the pool's workers do not have. */
export class UnknownTaskError extends Error {
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
   * import { UnknownTaskError } from "./errors.ts";
   * console.log(new UnknownTaskError("resize", ["crop", "handle"]).message);
   * ```
   */
  constructor(taskName: string, known: readonly string[]) {
    super(
      `no task named ${JSON.stringify(taskName)}; known: ${
        known.length ? known.join(", ") : "none"
      }`,
    );
    this.name = "UnknownTaskError";
    this.taskName = taskName;
    this.known = known;
  }
}
