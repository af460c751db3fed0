/**
 * `until(count)` of one source: promises waiting for its done count to
 * reach theirs. Counts wrap at 2^32, so they are compared by their
 * difference. The nearest count still awaited is published to the workers
 * (`setAwaited`), so the one that reaches it wakes the pool's pump.
 *
 * @module
 */

import type { Shared } from "./_layout.ts";

interface Waiter {
  count: number;
  resolve(): void;
  reject(e: unknown): void;
}

/** The `until()` waiters of one source. */
export class UntilWaiters {
  readonly #shared: Shared;
  readonly #index: number;
  readonly #waiters = new Set<Waiter>();
  /** Units done as read by `sample()`, before the pump read the results. */
  #seen = 0;

  constructor(shared: Shared, index: number) {
    this.#shared = shared;
    this.#index = index;
  }

  /** Reads the source's done count; `check()` goes by this sample. */
  sample(): void {
    this.#seen = this.#shared.sources.done(this.#index);
  }

  /** Resolves once `count` units are done; rejects with the signal's reason if it aborts first. */
  wait(count: number, signal?: AbortSignal): Promise<void> {
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const w = { count, resolve, reject };
    this.#waiters.add(w);
    signal?.addEventListener("abort", () => {
      this.#waiters.delete(w);
      reject(signal.reason);
    }, { once: true });
    return promise;
  }

  /** Resolves the waiters the sample reached and publishes the nearest count still awaited; returns how many resolved. */
  check(): number {
    const done = this.#seen;
    let nearest: number | undefined;
    let n = 0;
    for (const w of this.#waiters) {
      if (((done - w.count) | 0) >= 0) {
        this.#waiters.delete(w);
        w.resolve();
        n++;
      } else if (nearest === undefined || ((w.count - nearest) | 0) < 0) {
        nearest = w.count;
      }
    }
    this.#shared.sources.setAwaited(this.#index, nearest);
    return n;
  }

  /**
   * The source is no longer served, so its count is final: the waiters it
   * reached resolve, the rest reject with `error`.
   */
  end(error: Error): void {
    this.sample();
    this.check();
    for (const w of this.#waiters) w.reject(error);
    this.#waiters.clear();
  }
}
