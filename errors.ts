/**
 * The base of every efdpool error, and the two conditions every resource
 * shares: it is closed, or it is full.
 *
 * @module
 */

/**
 * The base class of every error efdpool throws, so one `instanceof` tells
 * the library's errors from everything else.
 *
 * @example Telling efdpool's errors apart
 * ```ts
 * import { ClosedError, EfdpoolError, EventFd } from "@efdpool/efdpool";
 * import assert from "node:assert/strict";
 * const efd = EventFd.create();
 * efd.close();
 * try {
 *   efd.write(1);
 *   assert.fail("write on a closed eventfd");
 * } catch (e) {
 *   assert.ok(e instanceof EfdpoolError && e instanceof ClosedError);
 * }
 * ```
 */
export class EfdpoolError extends Error {
  /**
   * Builds the error; `name` is the subclass's name.
   *
   * @param message What went wrong, and where one exists, the way out.
   * @param options `cause`: the error underneath.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * An operation on a resource that is closed, closing or destroyed: an
 * `EventFd`, an `Epoll`, a `WorkerPool`, a source, a file or a channel.
 * `close()` itself never throws it: closing twice is allowed.
 *
 * @example
 * ```ts
 * import { ClosedError, Epoll } from "@efdpool/efdpool";
 * import assert from "node:assert/strict";
 * const ep = Epoll.create();
 * ep.close();
 * ep.close(); // a second close does nothing
 * assert.throws(() => ep.wait(0), (e) => e instanceof ClosedError && e.resource === "epoll");
 * ```
 */
export class ClosedError extends EfdpoolError {
  /** What is closed: `"eventfd"`, `"epoll"`, `"pool"`, `"source"`, `"file"`, `"channel"`. */
  readonly resource: string;
  /** What was attempted, e.g. `"write"` or `"attach"`. */
  readonly operation: string;

  /**
   * Builds the error.
   *
   * @param resource What is closed.
   * @param operation What was attempted.
   * @param state How it ended, for the message (default `"closed"`).
   */
  constructor(resource: string, operation: string, state = "closed") {
    super(`cannot ${operation}: the ${resource} is ${state}`);
    this.resource = resource;
    this.operation = operation;
  }
}

/**
 * A bounded resource has no room: every task slot of a pool's queue
 * (`maxQueue`) or every slot of a source (`depth`) is taken. Wait with the
 * resource's `ready()` and try again.
 *
 * @example
 * ```ts
 * import { FullError, IoUringSource } from "@efdpool/efdpool";
 * import assert from "node:assert/strict";
 * const ring = IoUringSource.create({ depth: 1, blockSize: 0 });
 * ring.nop();
 * assert.throws(() => ring.nop(), (e) => e instanceof FullError && e.limit === 1);
 * await ring.close();
 * ```
 */
export class FullError extends EfdpoolError {
  /** What is full: `"queue"` or `"source"`. */
  readonly resource: string;
  /** Its capacity: the pool's `maxQueue` or the source's `depth`. */
  readonly limit: number;

  /**
   * Builds the error.
   *
   * @param resource What is full.
   * @param limit Its capacity.
   * @param what What the capacity counts, for the message.
   */
  constructor(resource: string, limit: number, what: string) {
    super(
      `the ${resource} is full (${limit} ${what}); await its ready() before adding more`,
    );
    this.resource = resource;
    this.limit = limit;
  }
}

/**
 * A Deno permission the operation needs is missing. The message names the
 * flag and the file (or resource) it is needed for; nothing was started.
 *
 * @example
 * ```ts
 * import { MissingPermissionError } from "@efdpool/efdpool";
 * import assert from "node:assert/strict";
 * const e = new MissingPermissionError("--allow-read", "/app/handler.ts", "the workers load the handler");
 * assert.equal(e.flag, "--allow-read");
 * assert.equal(
 *   e.message,
 *   "the workers load the handler from /app/handler.ts: run with --allow-read",
 * );
 * ```
 */
export class MissingPermissionError extends EfdpoolError {
  /** The flag that grants it, e.g. `"--allow-read"`. */
  readonly flag: string;
  /** The file or resource it is needed for. */
  readonly path: string;

  /**
   * Builds the error.
   *
   * @param flag The flag that grants the permission.
   * @param path The file or resource it is needed for.
   * @param why What needs it, for the message.
   */
  constructor(flag: string, path: string, why: string) {
    super(`${why} from ${path}: run with ${flag}`);
    this.flag = flag;
    this.path = path;
  }
}
