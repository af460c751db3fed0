/**
 * Worker side: running one task or one source unit — the ledger around it,
 * the handler call, its counters and its published result.
 *
 * @module
 */

import { now } from "./_clock.ts";
import { decode, encode, type Encoded } from "./_codec.ts";
import { Held, type HeldKind, type Shared } from "./_layout.ts";
import { Status } from "./_protocol.ts";
import type { RecordFields, ResultRing, TaskQueue } from "./_ring.ts";
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

const nameDecoder = new TextDecoder();

/**
 * Runs units for one worker slot; keeps its ledger and counters. It holds
 * up to `shared.cells` units at once (`concurrency`), each in a cell of
 * its own, so the pool can give back every one of them after a death.
 */
export class Runner {
  /** The units in hand, by ledger cell. */
  readonly jobs: (Job | null)[];
  /** Called after each unit of a source finishes (for a pending detach). */
  onSourceDone: (index: number) => void = () => {};
  readonly #shared: Shared;
  readonly #slot: number;
  readonly #queue: TaskQueue;
  readonly #results: ResultRing;
  /** Free ledger cells. */
  readonly #free: number[] = [];
  /** Resolves `settled()`. */
  #onSettled: (() => void) | null = null;
  /**
   * When the last unit finished, while the drain loop that will take the
   * next one has not slept since (-1 otherwise): that unit's take time, so
   * back-to-back units cost one clock read each instead of two.
   */
  #clock = -1;
  /** Whether a full result ring is still worth waiting for. */
  readonly #open = () => !this.#shared.stopping();

  constructor(
    shared: Shared,
    slot: number,
    queue: TaskQueue,
    results: ResultRing,
  ) {
    this.#shared = shared;
    this.#slot = slot;
    this.#queue = queue;
    this.#results = results;
    this.jobs = new Array(shared.cells).fill(null);
    for (let c = shared.cells - 1; c >= 0; c--) this.#free.push(c);
  }

  /** Units in hand. */
  get inFlight(): number {
    return this.jobs.length - this.#free.length;
  }

  /** Whether every cell is busy. */
  get full(): boolean {
    return this.#free.length === 0;
  }

  /** Resolves when a unit in hand finishes, or after `ms` (if given). */
  settled(ms?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        clearTimeout(timer);
        if (this.#onSettled === done) this.#onSettled = null;
        resolve();
      };
      if (ms !== undefined) timer = setTimeout(done, ms);
      this.#onSettled = done;
    });
  }

  /** Whether a unit of source `index` is in hand. */
  holdsSource(index: number): boolean {
    return this.jobs.some((j) => j !== null && jobs.source(j)?.index === index);
  }

  /** The task `id` in hand, if it is. */
  taskJob(id: number): Job | undefined {
    return this.jobs.find((j) =>
      j !== null && jobs.source(j) === null && jobs.id(j) === id
    ) ?? undefined;
  }

  /** The drain loop is about to take its first unit: the last end time is stale. */
  fresh(): void {
    this.#clock = -1;
  }

  #takenAt(): number {
    const t = this.#clock;
    this.#clock = -1;
    return t >= 0 ? t : now();
  }

  /**
   * Publishes a hold; "run" unless the pool began stopping meanwhile. The
   * pool sets the stop flag, then revokes what workers hold: a hold
   * published too late to be seen must not start a handler. Whoever clears
   * it (the pool's revoke or this release) owns the unit: "mine" means the
   * worker must give it back, "revoked" that the pool did.
   */
  #hold(cell: number, kind: HeldKind, id: number): "run" | "mine" | "revoked" {
    this.#shared.hold(this.#slot, cell, kind, id);
    if (!this.#shared.stopping()) return "run";
    const mine = this.#shared.release(this.#slot, cell, kind);
    this.#free.push(cell);
    return mine ? "mine" : "revoked";
  }

  /**
   * Claims and runs one task (its unit was just taken) with `fn`, or with
   * what `named` finds if the task names a function.
   */
  task(
    fn: Handler | null,
    named: (name: string) => Handler | string[],
  ): Promise<void> | undefined {
    const claim = this.#queue.claim();
    const start = this.#takenAt();
    if (claim === null || claim === "cancelled") return undefined;
    this.#shared.countClaim();
    // Stopping with tasks left means destroy(), which has rejected them.
    const cell = this.#free.pop()!;
    if (this.#hold(cell, Held.Task, claim.id) !== "run") return undefined;
    this.#shared.counters.recordWait(this.#slot, start - claim.time);
    const job = new Job(
      this.#slot,
      undefined,
      undefined,
      cell,
      Held.Task,
      claim.id,
      null,
      0,
      start,
      false,
    );
    this.jobs[cell] = job;
    let out: unknown;
    try {
      // A named task carries its name's length in the record's worker
      // field (-1 in the queue otherwise) and the name after the payload.
      if (claim.worker > 0) {
        const cut = claim.bytes.length - claim.worker;
        const name = nameDecoder.decode(claim.bytes.subarray(cut));
        claim.bytes = claim.bytes.subarray(0, cut);
        const found = named(name);
        if (typeof found !== "function") {
          this.#finish(job, Status.Unknown, { name, known: found });
          return undefined;
        }
        fn = found;
      }
      if (!fn) {
        throw new TypeError(
          "the pool has no handler for run(): pass `handler` to WorkerPool",
        );
      }
      out = fn(decode(claim.kind, claim.num, claim.bytes), job);
    } catch (e) {
      this.#finish(job, Status.Error, e);
      return undefined;
    }
    return this.#await(job, out);
  }

  /**
   * Runs one unit of `s` (just taken); false if the pool is stopping and
   * the unit must go back to its eventfd, which the caller does.
   */
  unit(s: WorkerSource): Promise<void> | undefined | false {
    const seq = this.#shared.nextSeq(s.index);
    const redelivered = this.#shared.takeCredit(s.index);
    const start = this.#takenAt();
    const cell = this.#free.pop()!;
    const hold = this.#hold(cell, Held.Unit, s.index);
    if (hold === "revoked") return undefined; // The pool gave it back.
    if (hold === "mine") {
      // The credit stays with the unit: it is still owed a redelivery mark.
      if (redelivered) this.#shared.addCredit(s.index);
      return false;
    }
    const n: Notification = {
      source: s.name,
      seq,
      worker: this.#slot,
      takenAt: start,
      redelivered,
    };
    const job = new Job(
      this.#slot,
      s.data,
      n,
      cell,
      Held.Unit,
      -1,
      s,
      seq,
      start,
      redelivered,
    );
    this.jobs[cell] = job;
    let out: unknown;
    try {
      out = s.fn(n, job);
    } catch (e) {
      this.#finish(job, Status.Error, e);
      return undefined;
    }
    return this.#await(job, out);
  }

  #await(job: Job, out: unknown): Promise<void> | undefined {
    if (typeof (out as PromiseLike<unknown>)?.then !== "function") {
      this.#finish(job, Status.Ok, out);
      return undefined;
    }
    return Promise.resolve(out).then(
      (v) => this.#finish(job, Status.Ok, v),
      (e) => this.#finish(job, Status.Error, e),
    );
  }

  /**
   * Releases the ledger first: if the pool revoked the unit (a kill), it is
   * the pool's now and the result is dropped. Then counts and publishes.
   */
  #finish(job: Job, status: number, value: unknown): void {
    const cell = jobs.cell(job);
    this.jobs[cell] = null;
    this.#free.push(cell);
    this.#onSettled?.();
    const shared = this.#shared;
    if (!shared.release(this.#slot, cell, jobs.kind(job))) return;
    const s = jobs.source(job);
    const end = now();
    this.#clock = end;
    shared.counters.countRun(
      this.#slot,
      s ? s.index : -1,
      status === Status.Ok,
      end - jobs.start(job),
    );
    let wake = !s || s.wantResults || status === Status.Error;
    if (wake) this.#publish(job, status, value);
    if (s) {
      if (shared.countDone(this.#slot, s.index)) wake = true;
      this.onSourceDone(s.index);
    }
    if (wake) shared.signalResult();
  }

  #publish(job: Job, status: number, value: unknown): void {
    const f: RecordFields = {
      id: jobs.id(job),
      status,
      source: jobs.source(job)?.index ?? -1,
      worker: this.#slot,
      redelivered: jobs.redelivered(job),
      time: jobs.start(job),
      seq: jobs.seq(job),
    };
    let e: Encoded;
    try {
      e = status === Status.Error ? encodeError(value) : encode(value);
    } catch (err) {
      f.status = Status.Error;
      e = encodeError(
        new TypeError(
          `handler result cannot be sent to the pool: ${
            (err as Error).message
          }`,
        ),
      );
    }
    const open = this.#open;
    if (!this.#results.append(f, e, open)) {
      f.status = Status.Error;
      const size = e.bytes?.length;
      this.#results.append(
        f,
        encodeError(
          new RangeError(
            `handler result of ${size} bytes exceeds the result ring`,
          ),
        ),
        open,
      );
    }
  }
}

function encodeError(e: unknown): Encoded {
  if (e instanceof Error) {
    try {
      return encode(e);
    } catch {
      // Unclonable extras on the error: keep what identifies it.
    }
    return encode({ name: e.name, message: e.message, stack: e.stack });
  }
  try {
    return encode(e);
  } catch {
    return encode(String(e));
  }
}
