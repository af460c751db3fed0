/**
 * Sources: the registry of attached eventfds, attach (every worker loads
 * the handler and watches the fd itself), detach, `until()` (its waiters
 * are in _until.ts), units given back after a death, and each source's
 * results, errors and counters.
 *
 * The pool serves its own duplicate of each eventfd, so a user closing
 * theirs early cannot make a worker read a closed (or reused) fd number.
 *
 * @module
 */

import { HandlerLoadError, SourceDetachedError } from "./errors.ts";
import type { EventFd } from "../ffi/eventfd.ts";
import { eventFdInfo } from "../ffi/_fdinfo.ts";
import { libc } from "../ffi/_libc.ts";
import { MAX_SOURCES, type Shared } from "./_layout.ts";
import type { SourceSpec } from "./_protocol.ts";
import type { RingRecord } from "./_ring.ts";
import { asError, deliver } from "./_deliver.ts";
import { loadEverywhere, type LoadHooks } from "./_source_load.ts";
import { sourceStats } from "./_stats.ts";
import type { AttachOptions, SourceStats } from "./types.ts";
import { UntilWaiters } from "./_until.ts";

const F_DUPFD_CLOEXEC = 1030;
const ONE = new BigUint64Array([1n]);

interface Entry extends SourceSpec {
  /** Unique per attach (an index is reused). */
  key: number;
  efd: EventFd;
  /** The kernel's id of the eventfd, for refusing a second attach. */
  eventfdId?: number;
  state: "attaching" | "attached" | "detaching" | "gone";
  onResult?: AttachOptions["onResult"];
  onError?: AttachOptions["onError"];
  onWorkerLost?: AttachOptions["onWorkerLost"];
  redelivered: number;
  started: PromiseWithResolvers<void>;
  detached?: Promise<void>;
  failure?: Error;
  /** Counters as they were when the source was forgotten. */
  final?: SourceStats;
  until: UntilWaiters;
}

/** Whether workers serve (or are starting to serve) the source. */
function served(e: Entry): boolean {
  return e.state === "attaching" || e.state === "attached";
}

/** What a worker needs to know of a source. */
function spec(e: Entry): SourceSpec {
  const { index, name, fd, handler, data, wantResults } = e;
  return { index, name, fd, handler, data, wantResults };
}

/** What the registry needs from the rest of the pool: the workers (to load, detach, replace) and these. */
export interface SourceHooks extends LoadHooks {
  /** Reports an error nobody else will see (the pool's `error` event). */
  report(error: unknown, message: string): void;
  /** Delivers results already published (before a detach completes). */
  drain(): void;
  /** Wakes the result pump. */
  poke(): void;
}

/** The sources of one pool. */
export class Sources {
  readonly #byIndex = new Map<number, Entry>();
  readonly #byKey = new Map<number, Entry>();
  readonly #shared: Shared;
  readonly #loadTimeout: number;
  readonly #hooks: SourceHooks;
  #nextIndex = 0;
  #nextKey = 1;

  constructor(shared: Shared, loadTimeout: number, hooks: SourceHooks) {
    this.#shared = shared;
    this.#loadTimeout = loadTimeout;
    this.#hooks = hooks;
  }

  /** Whether anything waits on the pump. */
  get busy(): boolean {
    return this.#byIndex.size > 0;
  }

  /** The sources a fresh worker must serve. */
  specs(): SourceSpec[] {
    return [...this.#byIndex.values()].filter(served).map(spec);
  }

  /** Why `efd` cannot be attached, or null. */
  refusal(efd: EventFd, eventfdId: number | undefined): string | null {
    for (const e of this.#byIndex.values()) {
      if (
        e.efd === efd ||
        (eventfdId !== undefined && e.eventfdId === eventfdId)
      ) return `eventfd ${efd.fd} is attached to this pool already`;
    }
    if (this.#byIndex.size >= MAX_SOURCES) {
      return `a pool serves at most ${MAX_SOURCES} sources at once`;
    }
    return null;
  }

  /** Attaches a checked eventfd; returns the new source's key. */
  attach(
    efd: EventFd,
    eventfdId: number | undefined,
    handler: string,
    options: AttachOptions,
  ): { key: number; name: string } {
    let index = 0;
    for (let i = 0; i < MAX_SOURCES; i++) {
      index = (this.#nextIndex + i) % MAX_SOURCES;
      if (!this.#byIndex.has(index)) break;
    }
    const fd = libc().fcntl(efd.fd, F_DUPFD_CLOEXEC, 0n);
    if (fd < 0) throw new Error(`cannot duplicate eventfd ${efd.fd}`);
    this.#nextIndex = index + 1;
    this.#shared.sources.resetSource(index);
    const e: Entry = {
      key: this.#nextKey++,
      index,
      name: options.name ?? `source-${index}`,
      fd,
      handler,
      data: options.data,
      wantResults: options.onResult !== undefined,
      efd,
      eventfdId,
      state: "attaching",
      onResult: options.onResult,
      onError: options.onError,
      onWorkerLost: options.onWorkerLost,
      redelivered: 0,
      started: Promise.withResolvers<void>(),
      until: new UntilWaiters(this.#shared, index),
    };
    e.started.promise.catch(() => {}); // Also reported by until() and an error event.
    this.#byIndex.set(index, e);
    this.#byKey.set(e.key, e);
    void this.#load(e);
    return { key: e.key, name: e.name };
  }

  /** Every live worker loads the handler and watches the fd; a failure or a stuck load fails the source. */
  async #load(e: Entry): Promise<void> {
    try {
      await loadEverywhere(
        this.#hooks,
        { type: "attach", source: spec(e) },
        this.#loadTimeout,
      );
      if (e.state === "attaching") e.state = "attached";
      e.started.resolve();
    } catch (cause) {
      this.fail(e.index, cause, true);
    }
  }

  /** A source's handler did not load, or its fd cannot be read: that source is detached with the error. */
  fail(index: number, cause: unknown, load: boolean): void {
    const e = this.#byIndex.get(index);
    if (!e || e.failure || e.state === "gone") return;
    const error = load ? new HandlerLoadError(cause) : asError(cause);
    e.failure = error;
    e.started.reject(error);
    this.#hooks.report(error, `source ${e.name} failed: ${error.message}`);
    void this.detach(e.key);
  }

  /** Resolves when every worker loaded the source's handler. */
  started(key: number): Promise<void> {
    return this.#byKey.get(key)!.started.promise;
  }

  /** Whether the source is still attached (not detached, failed or gone). */
  attached(key: number): boolean {
    const e = this.#byKey.get(key);
    return e !== undefined && served(e);
  }

  /** Stops every worker watching the source, then forgets it. */
  detach(key: number): Promise<void> {
    const e = this.#byKey.get(key)!;
    e.detached ??= (async () => {
      e.state = "detaching";
      await Promise.all(
        this.#hooks.live().map((slot) =>
          this.#hooks.mail(slot, { type: "detach", index: e.index })
        ),
      );
      // Errors and results already published still reach their callbacks.
      this.#hooks.drain();
      this.#forget(e, e.failure ?? new SourceDetachedError(e.name));
    })();
    return e.detached;
  }

  /** Forgets every source at once (destroy: the workers are gone). */
  forgetAll(error: Error): void {
    for (const e of [...this.#byIndex.values()]) this.#forget(e, error);
  }

  #forget(e: Entry, error: Error): void {
    if (e.state === "gone") return;
    e.state = "gone";
    // No worker serves the source any more: its count is final.
    e.until.end(error);
    e.started.reject(error);
    e.final = sourceStats(this.#shared, e);
    libc().close(e.fd);
    this.#byIndex.delete(e.index);
    this.#shared.sources.setAwaited(e.index, undefined);
  }

  /** Resolves once `count` units of the source are done. */
  until(key: number, count: number, signal?: AbortSignal): Promise<void> {
    const e = this.#byKey.get(key)!;
    if (e.failure) return Promise.reject(e.failure);
    if (e.state === "gone") {
      const f = e.final!;
      return f.handled + f.failed >= count
        ? Promise.resolve()
        : Promise.reject(new SourceDetachedError(e.name));
    }
    const promise = e.until.wait(count, signal);
    this.#hooks.poke();
    return promise;
  }

  /**
   * Reads each source's done count. Called before the pump reads the result
   * rings: a worker publishes a unit's result before it counts the unit
   * done, so every unit counted here has its result in a ring by then, and
   * `until()` never resolves ahead of an `onResult` call.
   */
  sampleDone(): void {
    for (const e of this.#byIndex.values()) e.until.sample();
  }

  /** Resolves reached `until()` waiters (as of `sampleDone()`) and tells workers the nearest count still awaited. */
  step(): number {
    let n = 0;
    for (const e of this.#byIndex.values()) n += e.until.check();
    return n;
  }

  /** A worker died holding a unit of source `index`: it goes back to the eventfd, marked for redelivery. */
  giveBack(index: number, slot: number): void {
    const e = this.#byIndex.get(index);
    if (!e || e.state === "gone") return;
    try {
      e.onWorkerLost?.(slot);
    } catch (error) {
      this.#hooks.report(error, `onWorkerLost of source ${e.name} threw`);
    }
    this.#shared.sources.addCredit(index);
    e.redelivered++;
    libc().write(e.fd, ONE, 8n);
  }

  /**
   * A worker died holding a unit of source `index` that no handler had
   * started (taken with others in one call): it goes back as it was.
   */
  putBack(index: number): void {
    const e = this.#byIndex.get(index);
    if (!e || e.state === "gone") return;
    libc().write(e.fd, ONE, 8n);
  }

  /** A source unit's result record: to its callback, never stalling the pump. */
  onRecord(r: RingRecord): void {
    const e = this.#byIndex.get(r.source);
    if (e) deliver(e, r, this.#hooks.report);
  }

  /** Counters of a source. */
  stats(key: number): SourceStats {
    const e = this.#byKey.get(key)!;
    return e.final ?? sourceStats(this.#shared, e);
  }

  /** Counters of every source attached. */
  all(): SourceStats[] {
    return [...this.#byIndex.values()].map((e) => sourceStats(this.#shared, e));
  }

  /** Whether an attached source has units waiting in its eventfd. */
  pending(): boolean {
    for (const e of this.#byIndex.values()) {
      if (e.state === "attached" && (eventFdInfo(e.fd)?.count ?? 0) > 0) {
        return true;
      }
    }
    return false;
  }

  /** Keys of every source attached. */
  keys(): number[] {
    return [...this.#byIndex.values()].map((e) => e.key);
  }
}
