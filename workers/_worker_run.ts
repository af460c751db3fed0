/**
 * Worker side: running one task or one source unit — the ledger around it,
 * the handler call, its counters and its published result.
 *
 * @module
 */

import { now } from "./_clock.ts";
import {
  CLONE_NOT_LOADED,
  cloneReady,
  decode,
  type Encoded,
  Kind,
  loadClone,
} from "./_codec.ts";
import { type Handler, Job, jobs, type WorkerSource } from "./_job.ts";
import { Held, type Shared } from "./_layout.ts";
import { Status } from "./_protocol.ts";
import type { ResultRing, RingRecord, TaskQueue } from "./_ring.ts";
import { encodeResult } from "./_worker_result.ts";
import { Cells } from "./_worker_cells.ts";
import type { Notification } from "./types.ts";

const nameDecoder = new TextDecoder();

/**
 * Runs units for one worker slot; keeps its ledger and counters. It holds
 * up to `shared.cells` units at once (`concurrency`), each in a cell of
 * its own, so the pool can give back every one of them after a death.
 */
export class Runner {
  /** The units in hand, by ledger cell. */
  readonly jobs: (Job | null)[];
  /** How long the last unit took, from its take to its end (ms). */
  lastRunMs = 0;
  /** Called after each unit of a source finishes (for a pending detach). */
  onSourceDone: (index: number) => void = () => {};
  readonly #shared: Shared;
  readonly #slot: number;
  readonly #queue: TaskQueue;
  readonly #results: ResultRing;
  /** Its ledger cells. */
  readonly #cells: Cells;
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
    this.#cells = new Cells(shared, slot);
  }

  /** Units in hand. */
  get inFlight(): number {
    return this.#cells.busy;
  }

  /** Whether every cell is busy. */
  get full(): boolean {
    return this.#cells.full;
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

  /** Whether a unit of source `index` is in hand (running or not started). */
  holdsSource(index: number): boolean {
    return this.#cells.readyOf(index) ||
      this.jobs.some((j) => j !== null && jobs.source(j)?.index === index);
  }

  /** Units held and not started yet. */
  get ready(): number {
    return this.#cells.ready;
  }

  /** See {@linkcode Cells.holdUnits}. */
  holdUnits(owner: number, n: number): number {
    return this.#cells.holdUnits(owner, n);
  }

  /** See {@linkcode Cells.dropReady}. */
  dropReady(): number {
    return this.#cells.dropReady();
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
   * Claims and runs one task (its unit was just taken) with `fn`, or with
   * what `named` finds if the task names a function.
   */
  task(
    fn: Handler | null,
    named: (name: string) => Handler | string[],
  ): Promise<void> | undefined {
    // A unit of a batch is held already (see holdUnits), its record unclaimed.
    const ready = this.#cells.next();
    const claim = this.#queue.claim();
    const start = this.#takenAt();
    if (claim === null || claim === "cancelled") {
      if (ready !== undefined) this.#cells.drop(ready);
      return undefined;
    }
    this.#shared.countClaim();
    // Stopping with tasks left means destroy(), which has rejected them.
    const cell = ready === undefined
      ? this.#cells.hold(Held.Task, claim.id)
      : this.#cells.startTask(ready, claim.id);
    if (typeof cell !== "number") return undefined;
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
    if (claim.kind === Kind.Clone && !cloneReady()) {
      // The task is held meanwhile: a death now gives it back.
      return loadClone().then(() => this.#start(job, claim, fn, named));
    }
    return this.#start(job, claim, fn, named);
  }

  /** Runs a claimed task's handler. */
  #start(
    job: Job,
    claim: RingRecord,
    fn: Handler | null,
    named: (name: string) => Handler | string[],
  ): Promise<void> | undefined {
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
          return this.#finish(job, Status.Unknown, { name, known: found });
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
      return this.#finish(job, Status.Error, e);
    }
    return this.#await(job, out);
  }

  /**
   * Runs one unit of `s` (just taken); false if the pool is stopping and
   * the unit must go back to its eventfd, which the caller does.
   */
  unit(s: WorkerSource): Promise<void> | undefined | false {
    // A unit of a batch is held already (see holdUnits).
    const ready = this.#cells.start();
    if (ready === "revoked") return undefined; // The pool gave it back.
    const seq = this.#shared.sources.nextSeq(s.index);
    const redelivered = this.#shared.sources.takeCredit(s.index);
    const start = this.#takenAt();
    const cell = ready ?? this.#cells.hold(Held.Unit, s.index);
    if (cell === "revoked") return undefined; // The pool gave it back.
    if (cell === "mine") {
      // The credit stays with the unit: it is still owed a redelivery mark.
      if (redelivered) this.#shared.sources.addCredit(s.index);
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
      return this.#finish(job, Status.Error, e);
    }
    return this.#await(job, out);
  }

  #await(job: Job, out: unknown): Promise<void> | undefined {
    if (typeof (out as PromiseLike<unknown>)?.then !== "function") {
      return this.#finish(job, Status.Ok, out);
    }
    return Promise.resolve(out).then(
      (v) => this.#finish(job, Status.Ok, v),
      (e) => this.#finish(job, Status.Error, e),
    );
  }

  /**
   * Releases the ledger first: if the pool revoked the unit (a kill), it is
   * the pool's now and the result is dropped. Then counts and publishes.
   * The result is encoded before the release: one that needs structured
   * clone before this worker has loaded it waits for the load while the
   * unit is still held (a promise then, else undefined).
   */
  #finish(
    job: Job,
    status: number,
    value: unknown,
  ): Promise<void> | undefined {
    const s = jobs.source(job);
    let record: { status: number; e: Encoded } | undefined;
    if (!s || s.wantResults || status === Status.Error) {
      try {
        record = encodeResult(status, value, this.#results.maxPayload);
      } catch (err) {
        if (err !== CLONE_NOT_LOADED) throw err;
        return loadClone().then(() => this.#finish(job, status, value));
      }
    }
    const cell = jobs.cell(job);
    this.jobs[cell] = null;
    this.#cells.free(cell);
    this.#onSettled?.();
    const shared = this.#shared;
    if (!shared.release(this.#slot, cell, jobs.kind(job))) return undefined;
    const end = now();
    this.#clock = end;
    const took = this.lastRunMs = end - jobs.start(job);
    shared.counters.countRun(
      this.#slot,
      s ? s.index : -1,
      status === Status.Ok,
      took,
    );
    if (record) this.#publish(job, record.status, record.e);
    let wake = record !== undefined;
    if (s) {
      if (shared.sources.countDone(this.#slot, s.index)) wake = true;
      this.onSourceDone(s.index);
    }
    if (wake) shared.signalResult();
    return undefined;
  }

  #publish(job: Job, status: number, e: Encoded): void {
    this.#results.append(
      {
        id: jobs.id(job),
        status,
        source: jobs.source(job)?.index ?? -1,
        worker: this.#slot,
        redelivered: jobs.redelivered(job),
        time: jobs.start(job),
        seq: jobs.seq(job),
      },
      e,
      this.#open,
    );
  }
}
