/**
 * The result pump: on the pool's thread, drains workers' results and wakes
 * waiters while anything could still arrive, sleeping on the result futex
 * in between (workers notify it only while the pool sleeps).
 *
 * @module
 */

import type { Shared } from "./_layout.ts";

/** Drives one pool's bookkeeping from its result futex. */
export class Pump {
  readonly #shared: Shared;
  readonly #step: () => boolean;
  readonly #busy: () => boolean;
  #running = false;

  /**
   * `step` does one round of bookkeeping and says whether it made
   * progress; `busy` whether anything is still awaited.
   */
  constructor(shared: Shared, step: () => boolean, busy: () => boolean) {
    this.#shared = shared;
    this.#step = step;
    this.#busy = busy;
  }

  /** Wakes the pump (starting it if it is not running). */
  poke(): void {
    this.#shared.signalResult();
    // An async call makes a promise even when it returns at once.
    if (!this.#running) void this.#run();
  }

  async #run(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    const shared = this.#shared;
    try {
      while (this.#busy()) {
        const seen = shared.resultSignal();
        if (this.#step()) continue;
        shared.setPoolWaiting(true);
        if (this.#step()) {
          shared.setPoolWaiting(false);
          continue;
        }
        const w = shared.waitResult(seen);
        if (w.async) await w.value;
        shared.setPoolWaiting(false);
      }
    } finally {
      this.#running = false;
    }
  }
}
