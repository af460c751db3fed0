/**
 * Elastic sizing: when a pool has `minWorkers` below its slots, start a
 * parked slot's worker while work backs up, and retire workers idle for
 * `idleTimeout` down to `minWorkers`. It only decides; the supervisor moves
 * the slots (parked → starting, serving → retiring → parked).
 *
 * @module
 */

import type { Shared } from "./_layout.ts";
import type { Supervisor } from "./_supervisor.ts";

/** Settings of an elastic pool. */
export interface ElasticConfig {
  minWorkers: number;
  idleTimeout: number;
}

/** Grows and shrinks one pool. */
export class Elastic {
  readonly #sup: Supervisor;
  readonly #shared: Shared;
  readonly #cfg: ElasticConfig;
  readonly #queued: () => number;
  readonly #pending: () => boolean;
  readonly #timer: ReturnType<typeof setInterval>;
  /** Per slot: units at the last tick, and since when it has been idle. */
  readonly #units: number[] = [];
  readonly #idleSince: (number | undefined)[] = [];

  constructor(
    sup: Supervisor,
    shared: Shared,
    cfg: ElasticConfig,
    queued: () => number,
    pending: () => boolean,
  ) {
    this.#sup = sup;
    this.#shared = shared;
    this.#cfg = cfg;
    this.#queued = queued;
    this.#pending = pending;
    const every = Math.max(10, Math.min(250, cfg.idleTimeout / 4));
    this.#timer = setInterval(() => this.#tick(), every);
    Deno.unrefTimer(this.#timer);
  }

  /**
   * Starts one parked slot if work backs up: more tasks wait than workers
   * run, or every running worker is busy, or (with none running) a source
   * has units in its eventfd. One at a time: not while another is still
   * starting.
   */
  grow(): void {
    let running = 0;
    let free = 0;
    let parked = -1;
    for (const [i, a] of this.#sup.activity().entries()) {
      if (a.state === "starting") return;
      if (a.state === "parked") {
        if (parked < 0) parked = i;
      } else if (a.state !== "gone" && a.state !== "backoff") {
        running++;
        if (a.state === "serving" && !a.busy) free++;
      }
    }
    if (parked < 0) return;
    const backlog = this.#queued() > running ||
      (running ? free === 0 : this.#pending());
    if (backlog) this.#sup.unpark(parked);
  }

  /** Retires workers that took no unit for `idleTimeout`, newest slots first. */
  #tick(): void {
    this.grow();
    const now = performance.now();
    const activity = this.#sup.activity();
    // A retiring worker is already on its way out: counting it would let
    // the next tick retire the last worker too (it can take longer than a
    // tick to leave), leaving fewer than minWorkers, or none.
    let running =
      activity.filter((a) =>
        a.state !== "parked" && a.state !== "gone" && a.state !== "retiring"
      ).length;
    for (let i = activity.length - 1; i >= 0; i--) {
      const units = this.#shared.counters.of(i).units;
      const moved = units !== this.#units[i];
      this.#units[i] = units;
      const a = activity[i];
      if (a.state !== "serving" || a.busy || moved) {
        this.#idleSince[i] = undefined;
        continue;
      }
      this.#idleSince[i] ??= now;
      if (
        running > this.#cfg.minWorkers &&
        now - this.#idleSince[i]! >= this.#cfg.idleTimeout
      ) {
        this.#idleSince[i] = undefined;
        this.#sup.retire(i);
        running--;
      }
    }
  }

  /** Stops deciding (the pool is closing). */
  stop(): void {
    clearInterval(this.#timer);
  }
}
