/**
 * The pool's events, typed: what each one carries, and an EventTarget that
 * knows whether anyone listens, so an error nobody hears is printed instead
 * of lost.
 *
 * @module
 */

/** Why a worker's thread ended. */
export type WorkerExitReason =
  /** The pool closed or was destroyed. */
  | "stopped"
  /** It died (a throw, `Deno.exit()`, `self.close()`, a kill past a grace). */
  | "died"
  /** Recycled: `maxUnitsPerWorker`, `maxHeapBytes` or `recycle()`. */
  | "recycled"
  /** Idle past `idleTimeout` above `minWorkers`. */
  | "idle";

/** `workerstart`: a worker loaded its handlers (and ran `setup`) and serves. */
export class WorkerStartEvent extends Event {
  /** The worker slot. */
  readonly worker: number;
  /**
   * Builds the event.
   *
   * @param worker The worker slot.
   *
   * @example
   * ```ts
   * import { WorkerStartEvent } from "@efdpool/efdpool";
   * console.log(new WorkerStartEvent(0).worker); // 0
   * ```
   */
  constructor(worker: number) {
    super("workerstart");
    this.worker = worker;
  }
}

/** `workerexit`: a worker's thread ended; the slot may get a new one. */
export class WorkerExitEvent extends Event {
  /** The worker slot. */
  readonly worker: number;
  /** Why it ended. */
  readonly reason: WorkerExitReason;
  /**
   * Builds the event.
   *
   * @param worker The worker slot.
   * @param reason Why it ended.
   *
   * @example
   * ```ts
   * import { WorkerExitEvent } from "@efdpool/efdpool";
   * console.log(new WorkerExitEvent(1, "recycled").reason); // "recycled"
   * ```
   */
  constructor(worker: number, reason: WorkerExitReason) {
    super("workerexit");
    this.worker = worker;
    this.reason = reason;
  }
}

/** `workererror`: a worker died; what it held was given back or rejected. */
export class WorkerErrorEvent extends ErrorEvent {
  /** The worker slot. */
  readonly worker: number;
  /**
   * Builds the event.
   *
   * @param worker The worker slot.
   * @param error Why it died.
   *
   * @example
   * ```ts
   * import { WorkerErrorEvent } from "@efdpool/efdpool";
   * console.log(new WorkerErrorEvent(2, new Error("boom")).message); // "worker 2 died"
   * ```
   */
  constructor(worker: number, error: unknown) {
    super("workererror", { error, message: `worker ${worker} died` });
    this.worker = worker;
  }
}

/**
 * The events of a {@linkcode WorkerPool}, by type.
 *
 * - `error`: a source handler threw with no `onError`, a callback threw, a
 *   source failed, or a `teardown()` threw. With no listener, each distinct
 *   message is printed on stderr once.
 * - `workererror`: a worker died.
 * - `workerstart` / `workerexit`: a worker began serving / its thread ended.
 * - `drain`: no task is queued or running any more.
 */
export interface PoolEventMap {
  /** Something failed that no promise reports. */
  error: ErrorEvent;
  /** A worker died. */
  workererror: WorkerErrorEvent;
  /** A worker serves. */
  workerstart: WorkerStartEvent;
  /** A worker's thread ended. */
  workerexit: WorkerExitEvent;
  /** The last task settled. */
  drain: Event;
}

/** An EventTarget whose listeners are typed by event map `M` and counted per type. */
export class ListenedEventTarget<M extends { [K in keyof M]: Event }>
  extends EventTarget {
  readonly #listeners = new Map<
    string,
    Set<EventListenerOrEventListenerObject>
  >();

  /**
   * Adds a listener, typed by the event map; otherwise as EventTarget does.
   *
   * @example
   * ```ts
   * import { WorkerPool } from "@efdpool/efdpool";
   * await using pool = new WorkerPool({ workers: 1 });
   * pool.addEventListener("workerexit", (e) => console.log(e.worker, e.reason));
   * ```
   */
  override addEventListener<K extends keyof M & string>(
    type: K,
    listener: ((ev: M[K]) => void) | { handleEvent(ev: M[K]): void } | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  /** Adds a listener for any other event type. */
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void {
    super.addEventListener(type, listener, options);
    if (!listener) return;
    let set = this.#listeners.get(type);
    if (!set) this.#listeners.set(type, set = new Set());
    set.add(listener);
    if (typeof options !== "object") return;
    const forget = () => set.delete(listener);
    // Added after the listener, so it runs after it once it has fired.
    if (options.once) super.addEventListener(type, forget, { once: true });
    options.signal?.addEventListener("abort", forget, { once: true });
  }

  /**
   * Removes a listener, as EventTarget does.
   *
   * @example
   * ```ts
   * import { WorkerPool } from "@efdpool/efdpool";
   * await using pool = new WorkerPool({ workers: 1 });
   * const log = (e: Event) => console.log(e.type);
   * pool.addEventListener("drain", log);
   * pool.removeEventListener("drain", log);
   * ```
   */
  override removeEventListener<K extends keyof M & string>(
    type: K,
    listener: ((ev: M[K]) => void) | { handleEvent(ev: M[K]): void } | null,
    options?: boolean | EventListenerOptions,
  ): void;
  /** Removes a listener for any other event type. */
  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void;
  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void {
    super.removeEventListener(type, listener, options);
    if (listener) this.#listeners.get(type)?.delete(listener);
  }

  /** Whether anyone listens to `type`. */
  protected listens(type: keyof M & string): boolean {
    return (this.#listeners.get(type)?.size ?? 0) > 0;
  }
}
