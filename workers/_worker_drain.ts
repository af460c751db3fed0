/**
 * Worker side: draining one eventfd after a wake-up — taking its units (one
 * read each, or a batch per system call: see _worker_take.ts), holding a
 * batch in the ledger, running each unit (a task's record is claimed as
 * its unit starts), putting back what was taken and not started.
 *
 * @module
 */

import { libc } from "../ffi/_libc.ts";
import type { WorkerSource } from "./_job.ts";
import { type Shared, TAKE_BUDGET_MS, TAKE_MAX } from "./_layout.ts";
import { TASKS } from "./_worker_cells.ts";
import { takeUnit } from "./_worker_io.ts";
import type { Runner } from "./_worker_run.ts";
import type { BatchTaker } from "./_worker_take.ts";

const c = libc();
const zero = new BigUint64Array(1);
const one = new BigUint64Array([1n]);

/** What a drain asks of its worker. */
export interface DrainHost {
  /** Claims and runs one task (its unit was just taken). */
  task(): Promise<void> | undefined;
  /** A source fd that cannot be read: stop watching it, tell the pool. */
  lost(source: WorkerSource | null, errno: number): void;
  /** Whether a handler called `self.close()`. */
  closing(): boolean;
}

/** Takes and runs the units of one worker's eventfds. */
export class Drainer {
  /** Units this worker may still take before it is recycled. */
  left: number;
  readonly #runner: Runner;
  readonly #shared: Shared;
  readonly #taker: BatchTaker | null;
  /** One unit at a time (`concurrency` 1): each handler is awaited. */
  readonly #serial: boolean;
  /** The task eventfd's batch size (a source keeps its own). */
  readonly #taskPace = { take: 1 };
  readonly #host: DrainHost;

  constructor(
    cfg: {
      runner: Runner;
      shared: Shared;
      taker: BatchTaker | null;
      serial: boolean;
      maxUnits: number;
    },
    host: DrainHost,
  ) {
    this.#runner = cfg.runner;
    this.#shared = cfg.shared;
    this.#taker = cfg.taker;
    this.#serial = cfg.serial;
    this.left = cfg.maxUnits || Infinity;
    this.#host = host;
  }

  /**
   * Takes up to `batch` units from `fd`, recruiting an idle peer when a
   * backlog shows. With `concurrency` above 1, an async handler's unit
   * stays in hand while the next is taken, until every cell is busy. A
   * serial worker takes several units per system call once they keep
   * coming and its handlers are short (see #takeUnits); units held and not
   * started when it stops draining go back to the eventfd.
   */
  async drain(
    fd: number,
    batch: number,
    source: WorkerSource | null,
  ): Promise<void> {
    this.#runner.fresh();
    const owner = source ? source.index : TASKS;
    try {
      for (let i = 0; i < batch && this.left > 0;) {
        // A detach arrives through the mailbox while an async handler awaits;
        // a stop while the last unit ran (a killed worker runs on a moment).
        if (source?.detached || this.#shared.stopping()) return;
        if (this.#runner.full) {
          await this.#runner.settled();
          if (source?.detached || this.#host.closing()) return;
        }
        const got = this.#takeUnits(
          fd,
          source,
          Math.min(batch - i, this.left),
        );
        if (got === 0) return;
        if (got < 0) return this.#host.lost(source, -got);
        this.left -= got;
        // A second unit ready means a backlog: a zero write adds nothing but
        // wakes one more idle EPOLLEXCLUSIVE waiter, which may recruit the next.
        if (i < 2 && i + got >= 2) c.write(fd, zero, 8n);
        if (got > 1) {
          const back = this.#runner.holdUnits(owner, got);
          if (back) return this.#giveBack(fd, source, back);
        }
        for (let j = 0; j < got; j++, i++) {
          // The rest of a batch waits in the ledger: not once stopping.
          if (j > 0 && (this.#shared.stopping() || source?.detached)) return;
          const pending = source
            ? this.#runner.unit(source)
            : this.#host.task();
          if (pending === false) {
            c.write(fd, one, 8n); // Stopping: left in the counter, as detach promises.
            return;
          }
          if (pending && this.#serial) await pending;
          if (this.#host.closing()) return;
        }
      }
    } finally {
      if (this.#runner.ready) {
        this.#giveBack(fd, source, this.#runner.dropReady());
      }
    }
  }

  /**
   * Takes up to `max` units: one `read` at first, then batches of doubling
   * size through io_uring while every read finds a unit, shrinking to what
   * the last batch found (so a trickle costs one read per unit, a backlog
   * one system call per TAKE_MAX units). A batch holds at most
   * TAKE_BUDGET_MS of work at the last unit's pace. Returns the count, or
   * -errno.
   */
  #takeUnits(fd: number, source: WorkerSource | null, max: number): number {
    const pace = source ?? this.#taskPace;
    const k = this.#taker
      ? Math.min(pace.take, max, TAKE_MAX, this.#budget())
      : 1;
    if (k <= 1) {
      const got = takeUnit(fd, source ? source.nonblocking : true);
      if (got === 1 && this.#taker) pace.take = 2;
      return got;
    }
    const got = this.#taker!.take(fd, k);
    if (got >= 0) pace.take = got === k ? Math.min(2 * k, TAKE_MAX) : got || 1;
    return got;
  }

  /** Units a batch may hold at the last unit's pace (at least 1). */
  #budget(): number {
    const last = this.#runner.lastRunMs;
    return last > 0 ? Math.max(1, Math.floor(TAKE_BUDGET_MS / last)) : TAKE_MAX;
  }

  /**
   * Writes back `n` units taken and never started (the pool is stopping,
   * the source was detached, the handler closed the worker), then lets a
   * pending detach of the source go on.
   */
  #giveBack(fd: number, source: WorkerSource | null, n: number): void {
    if (n > 0) {
      c.write(fd, new BigUint64Array([BigInt(n)]), 8n);
      this.left += n;
    }
    if (source) this.#runner.onSourceDone(source.index);
  }
}
