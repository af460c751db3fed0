/**
 * Worker side: running one task or one source unit — the ledger around it,
 * the handler call, its counters and its published result.
 *
 * @module
 */

import { decode, encode, type Encoded } from "./codec.ts";
import { Held, type HeldKind, type Shared } from "./layout.ts";
import { Status } from "./protocol.ts";
import type { RecordFields, ResultRing, TaskQueue } from "./ring.ts";
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

/** A unit in hand. */
export class Job {
  controller?: AbortController;
  notification?: Notification;
  constructor(
    /** Its ledger cell. */
    readonly cell: number,
    readonly kind: HeldKind,
    readonly id: number,
    readonly source: WorkerSource | null,
    readonly seq: number,
    readonly start: number,
    readonly redelivered: boolean,
  ) {}
}

/** What a handler gets as `ctx`; the AbortController is made only if asked for. */
class Context implements HandlerContext {
  readonly #job: Job;
  constructor(readonly worker: number, readonly data: unknown, job: Job) {
    this.#job = job;
  }
  get notification(): Notification | undefined {
    return this.#job.notification;
  }
  get signal(): AbortSignal {
    return (this.#job.controller ??= new AbortController()).signal;
  }
}

const now = () => performance.timeOrigin + performance.now();
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
    return this.jobs.some((j) => j?.source?.index === index);
  }

  /** The task `id` in hand, if it is. */
  task(id: number): Job | undefined {
    return this.jobs.find((j) => j?.source === null && j.id === id) ??
      undefined;
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
  run(
    fn: Handler | null,
    named: (name: string) => Handler | string[],
  ): Promise<void> | undefined {
    const claim = this.#queue.claim();
    if (claim === null || claim === "cancelled") return undefined;
    this.#shared.countClaim();
    // Stopping with tasks left means destroy(), which has rejected them.
    const cell = this.#free.pop()!;
    if (this.#hold(cell, Held.Task, claim.id) !== "run") return undefined;
    const start = now();
    this.#shared.counters.recordWait(this.#slot, start - claim.time);
    const job = new Job(cell, Held.Task, claim.id, null, 0, start, false);
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
      out = fn(
        decode(claim.kind, claim.num, claim.bytes),
        new Context(this.#slot, undefined, job),
      );
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
    const start = now();
    const cell = this.#free.pop()!;
    const hold = this.#hold(cell, Held.Unit, s.index);
    if (hold === "revoked") return undefined; // The pool gave it back.
    if (hold === "mine") {
      // The credit stays with the unit: it is still owed a redelivery mark.
      if (redelivered) this.#shared.addCredit(s.index);
      return false;
    }
    const job = new Job(cell, Held.Unit, -1, s, seq, start, redelivered);
    this.jobs[cell] = job;
    job.notification = {
      source: s.name,
      seq,
      worker: this.#slot,
      takenAt: start,
      redelivered,
    };
    let out: unknown;
    try {
      out = s.fn(job.notification, new Context(this.#slot, s.data, job));
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
    this.jobs[job.cell] = null;
    this.#free.push(job.cell);
    this.#onSettled?.();
    const shared = this.#shared;
    if (!shared.release(this.#slot, job.cell, job.kind)) return;
    const s = job.source;
    shared.counters.countRun(
      this.#slot,
      s ? s.index : -1,
      status === Status.Ok,
      now() - job.start,
    );
    let wake = !s || s.wantResults || status === Status.Error;
    if (wake) this.#publish(job, status, value);
    if (s) {
      if (shared.countDone(s.index)) wake = true;
      this.onSourceDone(s.index);
    }
    if (wake) shared.signalResult();
  }

  #publish(job: Job, status: number, value: unknown): void {
    const f: RecordFields = {
      id: job.id,
      status,
      source: job.source?.index ?? -1,
      worker: this.#slot,
      redelivered: job.redelivered,
      time: job.start,
      seq: job.seq,
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
    const open = () => !this.#shared.stopping();
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
