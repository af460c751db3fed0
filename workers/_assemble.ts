/**
 * Builds a pool's parts and wires them to each other: the supervisor, the
 * task book, the source registry, the result pump and the pool's
 * lifecycle. The `WorkerPool` front holds the result and hands each call
 * to the part that owns it; it only reports errors and dispatches events.
 *
 * @module
 */

import { EventFd } from "../ffi/eventfd.ts";
import {
  WorkerErrorEvent,
  WorkerExitEvent,
  WorkerStartEvent,
} from "./events.ts";
import { TaskNames } from "./_handlers.ts";
import { Held, Shared } from "./_layout.ts";
import { Lifecycle } from "./_lifecycle.ts";
import { Pump } from "./_pump.ts";
import { Elastic } from "./_elastic.ts";
import type { Report } from "./_report.ts";
import { TaskQueue } from "./_ring.ts";
import type { SourceHost } from "./source.ts";
import { Sources } from "./_sources.ts";
import { Supervisor } from "./_supervisor.ts";
import { Tasks } from "./_tasks.ts";

const QUEUE_BYTES = 4 << 20;

/** A pool's settings, checked. */
export interface PoolConfig {
  name: string;
  /** Worker slots (the most workers at once). */
  workers: number;
  /** Workers always running; fewer than `workers` makes the pool elastic. */
  minWorkers: number;
  idleTimeout: number;
  handler: string | null;
  maxQueue: number;
  batch: number;
  concurrency: number;
  /** 0: no limit. */
  maxUnits: number;
  /** 0: no limit. */
  maxHeap: number;
  loadTimeout: number;
  grace: number;
}

/** What the front does for the parts. */
export interface FrontHooks {
  /** Dispatches an `error` event on the pool (or prints it). */
  report: Report;
  /** Dispatches any other event on the pool. */
  event(ev: Event): void;
}

/** The parts of one pool. */
export interface Parts {
  cfg: PoolConfig;
  shared: Shared;
  queue: TaskQueue;
  taskFd: EventFd;
  tasks: Tasks;
  sources: Sources;
  sup: Supervisor;
  pump: Pump;
  host: SourceHost;
  /** Sizing, for an elastic pool. */
  elastic?: Elastic;
  life: Lifecycle;
  names: TaskNames;
}

/** Makes the parts; the supervisor spawns the workers at once. */
export function assemble(cfg: PoolConfig, front: FrontHooks): Parts {
  const shared = new Shared(cfg.workers, cfg.concurrency);
  const queue = TaskQueue.create(QUEUE_BYTES);
  const taskFd = EventFd.create({ semaphore: true, nonblocking: true });
  const names = new TaskNames();
  // The supervisor is made after the others (it spawns workers that ask
  // for sources), the lifecycle and the pump's round last: the hooks
  // below reach them through this holder.
  const late = {} as { sup: Supervisor; life: Lifecycle; round: () => boolean };
  const pump = new Pump(
    shared,
    () => late.round(),
    () => !late.life.closed && (tasks.busy || sources.busy),
  );
  const poke = () => pump.poke();
  const tasks = new Tasks({
    shared,
    queue,
    taskFd,
    size: cfg.workers,
    cells: cfg.workers * cfg.concurrency,
    maxQueue: cfg.maxQueue,
    grace: cfg.grace,
  }, {
    abortRunning: (id, reason) => {
      for (const slot of late.sup.holding(Held.Task, id)) {
        void late.sup.mail(slot, { type: "abort", id, reason });
      }
    },
    killRunning: (id, cause) => {
      for (const slot of late.sup.holding(Held.Task, id)) {
        late.sup.replace(slot, cause);
      }
    },
    poke,
    drained: () => front.event(new Event("drain")),
  });
  const sources = new Sources(shared, cfg.loadTimeout, {
    live: () => late.sup.live(),
    mail: (slot, body) => late.sup.mail(slot, body),
    replace: (slot, cause) => late.sup.replace(slot, cause),
    report: front.report,
    drain: () => late.sup.drain(),
    poke,
  });
  const host: SourceHost = {
    stats: (key) => sources.stats(key),
    until: (key, count, signal) => sources.until(key, count, signal),
    detach: (key) => sources.detach(key),
    started: (key) => sources.started(key),
    attached: (key) => sources.attached(key),
  };
  const sup = late.sup = new Supervisor({
    name: cfg.name,
    size: cfg.workers,
    minWorkers: cfg.minWorkers,
    handler: cfg.handler,
    batch: cfg.batch,
    maxUnits: cfg.maxUnits,
    maxHeap: cfg.maxHeap,
    loadTimeout: cfg.loadTimeout,
    grace: cfg.grace,
    shared,
    queue,
    taskFd,
  }, {
    sources: () => sources.specs(),
    handlers: () => names.added(),
    onNames: (known) => names.learn(known),
    onTeardownError: (slot, error) =>
      front.report(error, `teardown in worker ${slot} threw`),
    onRecord: (r) => r.id >= 0 ? tasks.onRecord(r) : sources.onRecord(r),
    onLost: (slot, kind, id, cause) => {
      if (kind === Held.Task) tasks.lost(id, slot, cause);
      else if (kind === Held.Unit) sources.giveBack(id, slot);
      else if (kind === Held.Taken) sources.putBack(id);
      else if (kind === Held.TakenTask) tasks.putBack();
    },
    onDeath: (slot, cause) => front.event(new WorkerErrorEvent(slot, cause)),
    onStart: (slot) => front.event(new WorkerStartEvent(slot)),
    onExit: (slot, reason) => front.event(new WorkerExitEvent(slot, reason)),
    onAllServing: () => late.life.serving(),
    onLoadFailure: (error) => late.life.fail(error),
    onSourceError: (index, error, load) => sources.fail(index, error, load),
  });
  const elastic = cfg.minWorkers < cfg.workers
    ? new Elastic(sup, shared, cfg, () => tasks.queued, () => sources.pending())
    : undefined;
  const life = late.life = new Lifecycle({
    tasks,
    sources,
    sup,
    taskFd,
    elastic,
  });
  // One round of bookkeeping for the pump; true if it made progress. The
  // done counts are sampled before the rings are drained (see sampleDone).
  late.round = () => {
    sources.sampleDone();
    const n = sup.drain() + tasks.step() + sources.step();
    elastic?.grow();
    return n > 0;
  };
  return {
    cfg,
    shared,
    queue,
    taskFd,
    tasks,
    sources,
    sup,
    pump,
    host,
    elastic,
    life,
    names,
  };
}
