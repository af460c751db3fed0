/**
 * Worker side: the unit in hand (a task or a source unit), which is also
 * the handler's `ctx`, and the shapes the runner works with.
 *
 * @module
 */

import type { HeldKind } from "./_layout.ts";
import type { HandlerContext, Notification } from "./types.ts";

/** A handler module's `handle` export. */
export type Handler = (input: unknown, ctx: HandlerContext) => unknown;

/** A source as its worker knows it. */
export interface WorkerSource {
  index: number;
  name: string;
  fd: number;
  data: unknown;
  wantResults: boolean;
  fn: Handler;
  /** Set by a detach message: take no more units. */
  detached: boolean;
  nonblocking: boolean;
  /** Units to try for in the next take: doubles while all come, else shrinks to what came. */
  take: number;
}

/** Reads a job's private fields: for the runner and the worker loop only. */
export const jobs = {} as {
  /** Its ledger cell. */
  cell(job: Job): number;
  kind(job: Job): HeldKind;
  /** Task id, or -1 for a source unit. */
  id(job: Job): number;
  source(job: Job): WorkerSource | null;
  seq(job: Job): number;
  /** When the unit was taken (epoch ms). */
  start(job: Job): number;
  redelivered(job: Job): boolean;
  /** Aborts the handler's `ctx.signal`. */
  abort(job: Job, reason: unknown): void;
};

/**
 * The unit in hand, which is also the handler's `ctx`: one object per unit
 * instead of a job and a context. What only the runner needs sits in private
 * fields (read through {@linkcode jobs}), so a handler sees a
 * {@linkcode HandlerContext} and nothing more; the AbortController is made
 * only if asked for.
 */
export class Job implements HandlerContext {
  #controller?: AbortController;
  readonly #cell: number;
  readonly #kind: HeldKind;
  readonly #id: number;
  readonly #source: WorkerSource | null;
  readonly #seq: number;
  readonly #start: number;
  readonly #redelivered: boolean;

  constructor(
    readonly worker: number,
    readonly data: unknown,
    readonly notification: Notification | undefined,
    cell: number,
    kind: HeldKind,
    id: number,
    source: WorkerSource | null,
    seq: number,
    start: number,
    redelivered: boolean,
  ) {
    this.#cell = cell;
    this.#kind = kind;
    this.#id = id;
    this.#source = source;
    this.#seq = seq;
    this.#start = start;
    this.#redelivered = redelivered;
  }

  get signal(): AbortSignal {
    return (this.#controller ??= new AbortController()).signal;
  }

  static {
    Object.assign(jobs, {
      cell: (j: Job) => j.#cell,
      kind: (j: Job) => j.#kind,
      id: (j: Job) => j.#id,
      source: (j: Job) => j.#source,
      seq: (j: Job) => j.#seq,
      start: (j: Job) => j.#start,
      redelivered: (j: Job) => j.#redelivered,
      abort: (j: Job, reason: unknown) =>
        (j.#controller ??= new AbortController()).abort(reason),
    });
  }
}
