/**
 * Worker supervision: spawn each slot's Worker, see it ready, notice its
 * death from any cause, give back what it held, respawn it with back-off,
 * and stop it. The slot states are in _states.ts.
 *
 * @module
 */

import type { EventFd } from "../ffi/eventfd.ts";
import { asError } from "./_deliver.ts";
import { HandlerLoadError } from "./errors.ts";
import type { WorkerExitReason } from "./events.ts";
import type { HeldKind, Shared } from "./_layout.ts";
import type {
  MailMessage,
  NamedHandler,
  SourceSpec,
  WorkerMessage,
} from "./_protocol.ts";
import type { RingRecord, TaskQueue } from "./_ring.ts";
import { launch, newSlot, release, type Slot } from "./_slot.ts";
import { slotMove, type SlotState } from "./_states.ts";

/** Whether a slot's worker thread runs (and takes mail). */
function running(state: SlotState): boolean {
  return state === "starting" || state === "serving" ||
    state === "recycling" || state === "retiring";
}

/** Deaths before ready, in a row, that make a load failure. */
const LOAD_DEATHS = 3;
/** A worker that dies sooner than this after its spawn counts as a quick death. */
const QUICK_DEATH_MS = 1000;
const MAX_BACKOFF_MS = 1000;

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
  readonly #slots: Slot[] = [];
  #stopping = false;
  #allServing = false;

  constructor(cfg: SupervisorConfig, hooks: SupervisorHooks) {
    this.#cfg = cfg;
    this.#hooks = hooks;
    for (let index = 0; index < cfg.size; index++) {
      const slot = newSlot(index);
      this.#slots.push(slot);
      if (index < cfg.minWorkers) this.#spawn(slot);
      else slot.state = "parked";
    }
    // With no worker to start, the pool is started now.
    queueMicrotask(() => this.#checkAllServing());
  }

  #checkAllServing(): void {
    if (
      !this.#allServing &&
      this.#slots.every((s) => s.servedOnce || s.state === "parked")
    ) {
      this.#allServing = true;
      this.#hooks.onAllServing();
    }
  }

  /** Each slot's state and whether it holds a unit, for the elastic sizing. */
  activity(): { state: SlotState; busy: boolean }[] {
    const { shared } = this.#cfg;
    return this.#slots.map((s) => ({
      state: s.state,
      busy: shared.held(s.index).length > 0,
    }));
  }

  /** Starts a worker in parked slot `index`. */
  unpark(index: number): void {
    const slot = this.#slots[index];
    if (this.#stopping || slot.state !== "parked") return;
    slot.state = slotMove(slot.state, "starting");
    this.#spawn(slot);
  }

  /** Tells the idle worker of slot `index` to leave; its slot is then parked. */
  retire(index: number): void {
    const slot = this.#slots[index];
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
    for (const slot of this.#slots) {
      if (slot.state === "starting" && this.#cfg.shared.serving(slot.index)) {
        this.#serving(slot);
      }
    }
    return this.#slots.map(({ state, restarts, recycled }) => ({
      state,
      restarts,
      recycled,
    }));
  }

  /** Hands every published result to the pool; returns how many. */
  drain(): number {
    let n = 0;
    for (const slot of this.#slots) {
      n += slot.results.drain(this.#hooks.onRecord);
    }
    return n;
  }

  /** Slots whose worker is running (starting, serving or recycling). */
  live(): number[] {
    return this.#slots.filter((s) => running(s.state)).map((s) => s.index);
  }

  /** Slots holding task `id` right now. */
  holding(kind: HeldKind, id: number): number[] {
    const { shared } = this.#cfg;
    return this.#slots.filter((s) =>
      shared.held(s.index).some((h) => h.kind === kind && h.id === id)
    ).map((s) => s.index);
  }

  #spawn(slot: Slot): void {
    const cfg = this.#cfg;
    const hooks = this.#hooks;
    launch(slot, cfg, hooks.sources(), hooks.handlers(), (worker) => {
      worker.onmessage = (ev: MessageEvent<WorkerMessage>) =>
        worker === slot.worker && this.#onMessage(slot, ev.data);
      worker.onerror = (ev: ErrorEvent) => {
        ev.preventDefault();
        if (worker !== slot.worker) return;
        this.#died(slot, asError(ev.error ?? ev.message));
      };
      slot.timer = setTimeout(() => {
        const error = new HandlerLoadError(
          new Error(`the worker did not load within ${cfg.loadTimeout} ms`),
        );
        this.#end(slot);
        this.#hooks.onLoadFailure(error);
      }, cfg.loadTimeout);
    });
  }

  /** A starting slot's worker reached its loop. */
  #serving(slot: Slot): void {
    clearTimeout(slot.timer);
    slot.state = slotMove(slot.state, "serving");
    slot.servedOnce = true;
    slot.announced = true;
    slot.loadDeaths = 0;
    this.#hooks.onStart(slot.index);
    for (const r of slot.served.splice(0)) r();
    this.#checkAllServing();
  }

  #onMessage(slot: Slot, msg: WorkerMessage): void {
    switch (msg.type) {
      case "ready":
        if (slot.state === "starting") this.#serving(slot);
        this.#hooks.onNames(msg.names);
        return;
      case "leaving":
        if (msg.reason === "recycled" && slot.state === "serving") {
          slot.state = slotMove(slot.state, "recycling");
        }
        // Its teardowns run in JavaScript, where terminate() works: bound them.
        if (slot.state === "stopping") {
          slot.timer = setTimeout(() => this.#end(slot), this.#cfg.grace);
        } else if (slot.state === "recycling" || slot.state === "retiring") {
          slot.timer = setTimeout(() => this.#renew(slot), this.#cfg.grace);
        }
        return;
      case "teardown-error":
        this.#hooks.onTeardownError(slot.index, msg.error);
        return;
      case "init-error":
        // It idles outside its loop: terminate() ends it.
        this.#end(slot);
        this.#hooks.onLoadFailure(new HandlerLoadError(msg.error));
        return;
      case "ack":
        slot.acks.get(msg.gen)?.(msg.error);
        slot.acks.delete(msg.gen);
        return;
      case "source-error":
        this.#hooks.onSourceError(msg.index, msg.error, msg.load);
        return;
      case "exit":
        if (msg.reason === "stopped" || slot.state === "stopping") {
          return this.#end(slot);
        }
        if (msg.reason === "recycled") return this.#renew(slot);
        return this.#died(
          slot,
          new Error(
            msg.reason === "closed"
              ? "the handler closed its worker"
              : `the handler called Deno.exit(${msg.code ?? ""})`,
          ),
        );
    }
  }

  /**
   * Posts a message to a worker's mailbox and wakes it; resolves with the
   * worker's error (an attach whose handler did not load) or undefined, also
   * when the worker dies first.
   */
  mail(index: number, body: MailBody): Promise<unknown> {
    const slot = this.#slots[index];
    if (!running(slot.state)) return Promise.resolve(undefined);
    const gen = this.#cfg.shared.postMail(index);
    const acked = new Promise<unknown>((r) => slot.acks.set(gen, r));
    slot.worker!.postMessage({ ...body, gen });
    slot.control!.write(1);
    return acked;
  }

  /** Kills slot `index`'s worker (a handler past its grace, a stuck load) and respawns it. */
  replace(index: number, cause: Error): void {
    const slot = this.#slots[index];
    if (running(slot.state)) this.#died(slot, cause);
  }

  /**
   * Recycles slot `index`'s worker: it finishes the units in hand and
   * leaves; a fresh one takes the slot. Resolves when the slot serves
   * again (or is gone); at once if it is not serving now.
   */
  recycle(index: number): Promise<void> {
    const slot = this.#slots[index];
    if (slot.state !== "serving") return Promise.resolve();
    const served = new Promise<void>((r) => slot.served.push(r));
    slot.state = slotMove(slot.state, "recycling");
    void this.mail(index, { type: "recycle" });
    return served;
  }

  /**
   * A recycling worker left (or its teardowns ran out of time): a fresh one
   * takes the slot. A retiring one's slot is parked instead.
   */
  #renew(slot: Slot): void {
    if (slot.state !== "recycling" && slot.state !== "retiring") return;
    slot.results.drain(this.#hooks.onRecord);
    // It left with nothing in hand; a kill past the grace may not have.
    for (const held of this.#cfg.shared.revoke(slot.index)) {
      this.#hooks.onLost(
        slot.index,
        held.kind,
        held.id,
        new Error("the recycled worker's teardown ran past its grace"),
      );
    }
    release(slot);
    if (slot.state === "retiring") {
      this.#exited(slot, "idle");
      slot.state = slotMove(slot.state, "parked");
      return;
    }
    this.#exited(slot, "recycled");
    slot.recycled++;
    slot.state = slotMove(slot.state, "starting");
    this.#spawn(slot);
  }

  /** A worker died or is being killed: give back what it held, then respawn or end. */
  #died(slot: Slot, cause: Error): void {
    if (slot.state === "gone" || slot.state === "backoff") return;
    const wasServing = this.#cfg.shared.serving(slot.index);
    slot.worker!.terminate();
    slot.worker = undefined;
    // Results it published before dying still count.
    slot.results.drain(this.#hooks.onRecord);
    for (const held of this.#cfg.shared.revoke(slot.index)) {
      this.#hooks.onLost(slot.index, held.kind, held.id, cause);
    }
    this.#hooks.onDeath(slot.index, cause);
    this.#exited(slot, "died");
    if (this.#stopping || slot.state === "stopping") return this.#end(slot);
    release(slot);
    if (!wasServing && ++slot.loadDeaths >= LOAD_DEATHS) {
      this.#end(slot);
      this.#hooks.onLoadFailure(new HandlerLoadError(cause));
      return;
    }
    const quick = performance.now() - slot.spawnedAt < QUICK_DEATH_MS;
    slot.strikes = quick ? slot.strikes + 1 : 0;
    slot.restarts++;
    slot.state = slotMove(slot.state, "backoff");
    const delay = slot.strikes
      ? Math.min(MAX_BACKOFF_MS, 5 * 2 ** slot.strikes)
      : 0;
    slot.timer = setTimeout(() => {
      slot.state = slotMove(slot.state, "starting");
      this.#spawn(slot);
    }, delay);
  }

  /** Tells of the end of an incarnation that announced its start. */
  #exited(slot: Slot, reason: WorkerExitReason): void {
    if (!slot.announced) return;
    slot.announced = false;
    this.#hooks.onExit(slot.index, reason);
  }

  /** The slot is done for good. */
  #end(slot: Slot): void {
    if (slot.state === "gone") return;
    slot.results.drain(this.#hooks.onRecord);
    this.#exited(slot, "stopped");
    release(slot);
    slot.state = slotMove(slot.state, "gone");
    for (const r of slot.exited.splice(0)) r();
    for (const r of slot.served.splice(0)) r();
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
    for (const slot of this.#slots) {
      if (slot.state === "gone") continue;
      if (slot.state === "backoff" || slot.state === "parked") {
        this.#end(slot);
        continue;
      }
      if (running(slot.state)) {
        slot.control!.write(1);
        // Still loading (its ledger says so, and the stop flag set above
        // keeps it from entering its loop): in JavaScript, terminate() works.
        if (!this.#cfg.shared.serving(slot.index)) {
          this.#end(slot);
          continue;
        }
        slot.state = slotMove(slot.state, "stopping");
      }
      if (now && this.#cfg.shared.held(slot.index).length) {
        this.#died(slot, new Error("the pool was destroyed"));
        continue;
      }
      waits.push(new Promise<void>((r) => slot.exited.push(r)));
    }
    await Promise.all(waits);
  }
}
