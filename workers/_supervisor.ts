/**
 * Worker supervision, over all slots: start them (or park the spare ones
 * of an elastic pool), mail their workers, recycle, retire or replace
 * them, say what each holds, and stop them all. One slot's own life
 * (spawn, ready, death, respawn with back-off) is in _slot_keeper.ts; the
 * slot states are in _states.ts.
 *
 * @module
 */

import type { EventFd } from "../ffi/eventfd.ts";
import type { HandlerLoadError } from "./errors.ts";
import type { WorkerExitReason } from "./events.ts";
import type { HeldKind, Shared } from "./_layout.ts";
import type { MailMessage, NamedHandler, SourceSpec } from "./_protocol.ts";
import type { RingRecord, TaskQueue } from "./_ring.ts";
import { SlotKeeper } from "./_slot_keeper.ts";
import { running, slotMove, type SlotState } from "./_states.ts";

/** A message to a worker, before the supervisor numbers it. */
export type MailBody = MailMessage extends infer M
  ? M extends MailMessage ? Omit<M, "gen"> : never
  : never;

/** What the supervisor needs from the rest of the pool. */
export interface SupervisorHooks {
  /** The sources a fresh worker must serve. */
  sources(): SourceSpec[];
  /** The handlers added by name that a fresh worker must load. */
  handlers(): NamedHandler[];
  /** A worker is serving and knows these task names. */
  onNames(names: string[]): void;
  /** A module's `teardown()` threw in worker `slot`. */
  onTeardownError(slot: number, error: unknown): void;
  /** A result record drained from a worker's ring. */
  onRecord(r: RingRecord): void;
  /** A dead or killed worker held this; it is the pool's to give back. */
  onLost(slot: number, kind: HeldKind, id: number, cause: Error): void;
  /** A worker died or was killed (the pool's `workererror` event). */
  onDeath(slot: number, cause: Error): void;
  /** A worker began serving (`workerstart`). */
  onStart(slot: number): void;
  /** A worker that served ended (`workerexit`). */
  onExit(slot: number, reason: WorkerExitReason): void;
  /** Every slot has served once. */
  onAllServing(): void;
  /** The pool's handler cannot be loaded: the pool cannot start. */
  onLoadFailure(error: HandlerLoadError): void;
  /** A worker could not load or read a source. */
  onSourceError(index: number, error: unknown, load: boolean): void;
}

/** Settings the supervisor needs. */
export interface SupervisorConfig {
  name: string;
  size: number;
  /** Slots started at once; the rest are parked until a backlog. */
  minWorkers: number;
  handler: string | null;
  batch: number;
  maxUnits: number;
  maxHeap: number;
  loadTimeout: number;
  /** Milliseconds a leaving worker's teardowns may take before it is terminated. */
  grace: number;
  shared: Shared;
  queue: TaskQueue;
  taskFd: EventFd;
}

/** The worker slots of one pool. */
export class Supervisor {
  readonly #cfg: SupervisorConfig;
  readonly #hooks: SupervisorHooks;
  readonly #keepers: SlotKeeper[] = [];
  #stopping = false;
  #allServing = false;

  constructor(cfg: SupervisorConfig, hooks: SupervisorHooks) {
    this.#cfg = cfg;
    this.#hooks = hooks;
    const ctx = {
      cfg,
      hooks,
      stopping: () => this.#stopping,
      served: () => this.#checkAllServing(),
    };
    for (let index = 0; index < cfg.size; index++) {
      const keeper = new SlotKeeper(ctx, index);
      this.#keepers.push(keeper);
      if (index < cfg.minWorkers) keeper.spawn();
      else keeper.slot.state = "parked";
    }
    // With no worker to start, the pool is started now.
    queueMicrotask(() => this.#checkAllServing());
  }

  #checkAllServing(): void {
    if (
      !this.#allServing &&
      this.#keepers.every(({ slot }) =>
        slot.servedOnce || slot.state === "parked"
      )
    ) {
      this.#allServing = true;
      this.#hooks.onAllServing();
    }
  }

  /** Each slot's state and whether it holds a unit, for the elastic sizing. */
  activity(): { state: SlotState; busy: boolean }[] {
    const { shared } = this.#cfg;
    return this.#keepers.map(({ slot }) => ({
      state: slot.state,
      busy: shared.held(slot.index).length > 0,
    }));
  }

  /** Starts a worker in parked slot `index`. */
  unpark(index: number): void {
    const keeper = this.#keepers[index];
    const slot = keeper.slot;
    if (this.#stopping || slot.state !== "parked") return;
    slot.state = slotMove(slot.state, "starting");
    keeper.spawn();
  }

  /** Tells the idle worker of slot `index` to leave; its slot is then parked. */
  retire(index: number): void {
    const slot = this.#keepers[index].slot;
    if (slot.state !== "serving") return;
    slot.state = slotMove(slot.state, "retiring");
    void this.mail(index, { type: "recycle" });
  }

  /** The shared memory of the pool. */
  get shared(): Shared {
    return this.#cfg.shared;
  }

  /** Each slot's state and the times its worker was replaced. */
  slots(): { state: SlotState; restarts: number; recycled: number }[] {
    // A worker serves as soon as it flags its phase; its "ready" message may
    // still be queued behind the results it already sent.
    for (const keeper of this.#keepers) {
      const slot = keeper.slot;
      if (slot.state === "starting" && this.#cfg.shared.serving(slot.index)) {
        keeper.serving();
      }
    }
    return this.#keepers.map(({ slot: { state, restarts, recycled } }) => ({
      state,
      restarts,
      recycled,
    }));
  }

  /** Hands every published result to the pool; returns how many. */
  drain(): number {
    let n = 0;
    for (const { slot } of this.#keepers) {
      n += slot.results.drain(this.#hooks.onRecord);
    }
    return n;
  }

  /** Slots whose worker is running (starting, serving or recycling). */
  live(): number[] {
    const slots = this.#keepers.map((k) => k.slot);
    return slots.filter((s) => running(s.state)).map((s) => s.index);
  }

  /** Slots holding task `id` right now. */
  holding(kind: HeldKind, id: number): number[] {
    const { shared } = this.#cfg;
    return this.#keepers.filter(({ slot }) =>
      shared.held(slot.index).some((h) => h.kind === kind && h.id === id)
    ).map(({ slot }) => slot.index);
  }

  /**
   * Posts a message to a worker's mailbox and wakes it; resolves with the
   * worker's error (an attach whose handler did not load) or undefined, also
   * when the worker dies first.
   */
  mail(index: number, body: MailBody): Promise<unknown> {
    const slot = this.#keepers[index].slot;
    if (!running(slot.state)) return Promise.resolve(undefined);
    const gen = this.#cfg.shared.postMail(index);
    const acked = new Promise<unknown>((r) => slot.acks.set(gen, r));
    slot.worker!.postMessage({ ...body, gen });
    slot.control!.write(1);
    return acked;
  }

  /** Kills slot `index`'s worker (a handler past its grace, a stuck load) and respawns it. */
  replace(index: number, cause: Error): void {
    const keeper = this.#keepers[index];
    if (running(keeper.slot.state)) keeper.died(cause);
  }

  /**
   * Recycles slot `index`'s worker: it finishes the units in hand and
   * leaves; a fresh one takes the slot. Resolves when the slot serves
   * again (or is gone); at once if it is not serving now.
   */
  recycle(index: number): Promise<void> {
    const slot = this.#keepers[index].slot;
    if (slot.state !== "serving") return Promise.resolve();
    const served = new Promise<void>((r) => slot.served.push(r));
    slot.state = slotMove(slot.state, "recycling");
    void this.mail(index, { type: "recycle" });
    return served;
  }

  /**
   * Stops every worker. Those in their loop are woken with the stop flag
   * set and leave (terminate() cannot stop a thread inside epoll_wait);
   * with `now`, those holding a unit are killed and the unit given back.
   * Workers still loading are in JavaScript, where terminate() works. A
   * worker whose "ready" is still on its way counts as in its loop: its
   * ledger, not the message, decides.
   */
  async stop(now: boolean): Promise<void> {
    this.#stopping = true;
    this.#cfg.shared.setStopping();
    const waits: Promise<void>[] = [];
    for (const keeper of this.#keepers) {
      const slot = keeper.slot;
      if (slot.state === "gone") continue;
      if (slot.state === "backoff" || slot.state === "parked") {
        keeper.end();
        continue;
      }
      if (running(slot.state)) {
        slot.control!.write(1);
        // Still loading (its ledger says so, and the stop flag set above
        // keeps it from entering its loop): in JavaScript, terminate() works.
        if (!this.#cfg.shared.serving(slot.index)) {
          keeper.end();
          continue;
        }
        // In its loop, its "ready" maybe still on the way: it served, and
        // its load timeout must go (else it outlives the pool and keeps
        // the process up until it fires).
        if (slot.state === "starting") keeper.serving();
        slot.state = slotMove(slot.state, "stopping");
      }
      // Only a running handler is worth a kill. Units taken in a batch and
      // not started (Held.Taken, TakenTask) the worker puts back itself at the next
      // unit; killing it then could lose those it was still holding.
      if (now && this.#cfg.shared.running(slot.index)) {
        keeper.died(new Error("the pool was destroyed"));
        continue;
      }
      waits.push(new Promise<void>((r) => slot.exited.push(r)));
    }
    await Promise.all(waits);
  }
}
