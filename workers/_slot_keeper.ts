/**
 * One worker slot's life, incarnation by incarnation: spawn its Worker,
 * bound its load, see it serve, read what it posts, and end it. A death
 * from any cause comes here: what the worker held is given back, then the
 * slot respawns with a back-off (or, for deaths before it ever served,
 * reports a load failure). Moves follow the diagram in _states.ts; the
 * resources themselves are opened and freed in _slot.ts.
 *
 * @module
 */

import { asError } from "./_deliver.ts";
import { HandlerLoadError } from "./errors.ts";
import type { WorkerExitReason } from "./events.ts";
import type { WorkerMessage } from "./_protocol.ts";
import { launch, newSlot, release, type Slot } from "./_slot.ts";
import { slotMove } from "./_states.ts";
import type { SupervisorConfig, SupervisorHooks } from "./_supervisor.ts";

/** Deaths before ready, in a row, that make a load failure. */
const LOAD_DEATHS = 3;
/** A worker that dies sooner than this after its spawn counts as a quick death. */
const QUICK_DEATH_MS = 1000;
const MAX_BACKOFF_MS = 1000;

/** What a keeper needs from the supervisor of all slots. */
export interface KeeperContext {
  cfg: SupervisorConfig;
  hooks: SupervisorHooks;
  /** Whether the pool is stopping: a death then ends the slot. */
  stopping(): boolean;
  /** The slot served (for `started()`, once every slot did). */
  served(): void;
}

/** Keeps one worker slot staffed. */
export class SlotKeeper {
  readonly slot: Slot;
  readonly #ctx: KeeperContext;

  constructor(ctx: KeeperContext, index: number) {
    this.#ctx = ctx;
    this.slot = newSlot(index);
  }

  /** Starts a new incarnation; its load is bounded by `loadTimeout`. */
  spawn(): void {
    const { cfg, hooks } = this.#ctx;
    const slot = this.slot;
    launch(slot, cfg, hooks.sources(), hooks.handlers(), (worker) => {
      worker.onmessage = (ev: MessageEvent<WorkerMessage>) =>
        worker === slot.worker && this.#onMessage(ev.data);
      worker.onerror = (ev: ErrorEvent) => {
        ev.preventDefault();
        if (worker !== slot.worker) return;
        this.died(asError(ev.error ?? ev.message));
      };
      slot.timer = setTimeout(() => {
        const error = new HandlerLoadError(
          new Error(`the worker did not load within ${cfg.loadTimeout} ms`),
        );
        this.end();
        hooks.onLoadFailure(error);
      }, cfg.loadTimeout);
    });
  }

  /** A starting slot's worker reached its loop. */
  serving(): void {
    const slot = this.slot;
    clearTimeout(slot.timer);
    slot.state = slotMove(slot.state, "serving");
    slot.servedOnce = true;
    slot.announced = true;
    slot.loadDeaths = 0;
    this.#ctx.hooks.onStart(slot.index);
    for (const r of slot.served.splice(0)) r();
    this.#ctx.served();
  }

  #onMessage(msg: WorkerMessage): void {
    const slot = this.slot;
    const { cfg, hooks } = this.#ctx;
    switch (msg.type) {
      case "ready":
        if (slot.state === "starting") this.serving();
        hooks.onNames(msg.names);
        return;
      case "leaving":
        slot.left = true; // Out of its loop: it takes no more units.
        if (msg.reason === "recycled" && slot.state === "serving") {
          slot.state = slotMove(slot.state, "recycling");
        }
        // Its teardowns run in JavaScript, where terminate() works: bound them.
        if (slot.state === "stopping") {
          slot.timer = setTimeout(() => this.end(), cfg.grace);
        } else if (slot.state === "recycling" || slot.state === "retiring") {
          slot.timer = setTimeout(() => this.#renew(), cfg.grace);
        }
        return;
      case "teardown-error":
        hooks.onTeardownError(slot.index, msg.error);
        return;
      case "init-error":
        // It idles outside its loop: terminate() ends it.
        this.end();
        hooks.onLoadFailure(new HandlerLoadError(msg.error));
        return;
      case "ack":
        slot.acks.get(msg.gen)?.(msg.error);
        slot.acks.delete(msg.gen);
        return;
      case "source-error":
        hooks.onSourceError(msg.index, msg.error, msg.load);
        return;
      case "exit":
        if (msg.reason === "stopped" || slot.state === "stopping") {
          return this.end();
        }
        if (msg.reason === "recycled") return this.#renew();
        return this.died(
          new Error(
            msg.reason === "closed"
              ? "the handler closed its worker"
              : `the handler called Deno.exit(${msg.code ?? ""})`,
          ),
        );
    }
  }

  /**
   * A recycling worker left (or its teardowns ran out of time): a fresh one
   * takes the slot. A retiring one's slot is parked instead.
   */
  #renew(): void {
    const slot = this.slot;
    const { cfg, hooks } = this.#ctx;
    if (slot.state !== "recycling" && slot.state !== "retiring") return;
    slot.results.drain(hooks.onRecord);
    // It left with nothing in hand; a kill past the grace may not have.
    for (const held of cfg.shared.revoke(slot.index)) {
      hooks.onLost(
        slot.index,
        held.kind,
        held.id,
        new Error("the recycled worker's teardown ran past its grace"),
      );
    }
    release(slot, this.#ctx.cfg.shared);
    if (slot.state === "retiring") {
      this.#exited("idle");
      slot.state = slotMove(slot.state, "parked");
      return;
    }
    this.#exited("recycled");
    slot.recycled++;
    slot.state = slotMove(slot.state, "starting");
    this.spawn();
  }

  /** The worker died or is being killed: give back what it held, then respawn or end. */
  died(cause: Error): void {
    const slot = this.slot;
    const { cfg, hooks } = this.#ctx;
    if (slot.state === "gone" || slot.state === "backoff") return;
    const wasServing = cfg.shared.serving(slot.index);
    slot.worker!.terminate();
    slot.worker = undefined;
    // Results it published before dying still count.
    slot.results.drain(hooks.onRecord);
    for (const held of cfg.shared.revoke(slot.index)) {
      hooks.onLost(slot.index, held.kind, held.id, cause);
    }
    hooks.onDeath(slot.index, cause);
    this.#exited("died");
    if (this.#ctx.stopping() || slot.state === "stopping") return this.end();
    release(slot, this.#ctx.cfg.shared);
    if (!wasServing && ++slot.loadDeaths >= LOAD_DEATHS) {
      this.end();
      hooks.onLoadFailure(new HandlerLoadError(cause));
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
      this.spawn();
    }, delay);
  }

  /** Tells of the end of an incarnation that announced its start. */
  #exited(reason: WorkerExitReason): void {
    if (!this.slot.announced) return;
    this.slot.announced = false;
    this.#ctx.hooks.onExit(this.slot.index, reason);
  }

  /** The slot is done for good. */
  end(): void {
    const slot = this.slot;
    if (slot.state === "gone") return;
    slot.results.drain(this.#ctx.hooks.onRecord);
    this.#exited("stopped");
    release(slot, this.#ctx.cfg.shared);
    slot.state = slotMove(slot.state, "gone");
    for (const r of slot.exited.splice(0)) r();
    for (const r of slot.served.splice(0)) r();
  }
}
