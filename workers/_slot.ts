/**
 * One worker slot's resources, incarnation by incarnation: the Worker, the
 * epoll it waits in, the control eventfd that wakes it, the io_uring it
 * takes units with and the ring it returns results in. _slot_keeper.ts
 * decides when; this file only opens and
 * frees them.
 *
 * @module
 */

import { EPOLLIN } from "../ffi/constants.ts";
import { Epoll } from "../ffi/epoll.ts";
import { EventFd } from "../ffi/eventfd.ts";
import {
  CONTROL_TAG,
  type InitMessage,
  type NamedHandler,
  type SourceSpec,
} from "./_protocol.ts";
import type { Shared } from "./_layout.ts";
import { ResultRing } from "./_ring.ts";
import { BatchTaker } from "./_worker_take.ts";
import type { SlotState } from "./_states.ts";
import type { SupervisorConfig } from "./_supervisor.ts";

const RESULT_BYTES = 1 << 20;

/** A worker slot and its current incarnation. */
export interface Slot {
  readonly index: number;
  state: SlotState;
  worker?: Worker;
  epoll?: Epoll;
  control?: EventFd;
  /** Its io_uring for batch takes (serial workers, where io_uring works). */
  taker?: BatchTaker | null;
  /** Whether this incarnation said it left its loop (it takes no more units). */
  left: boolean;
  readonly results: ResultRing;
  restarts: number;
  /** Times its worker was recycled. */
  recycled: number;
  /** Resolved when the slot next serves, or is gone (for `recycle()`). */
  readonly served: (() => void)[];
  /** Deaths in quick succession, for the back-off. */
  strikes: number;
  /** Deaths before ready in a row, for telling a load failure. */
  loadDeaths: number;
  servedOnce: boolean;
  /** Whether this incarnation's `workerstart` went out (its `workerexit` is owed). */
  announced: boolean;
  spawnedAt: number;
  timer?: ReturnType<typeof setTimeout>;
  readonly acks: Map<number, (error?: unknown) => void>;
  readonly exited: (() => void)[];
}

/** A slot before its first worker; its result ring lives as long as the pool. */
export function newSlot(index: number): Slot {
  return {
    index,
    state: "starting",
    results: ResultRing.create(RESULT_BYTES),
    restarts: 0,
    recycled: 0,
    served: [],
    strikes: 0,
    loadDeaths: 0,
    servedOnce: false,
    left: false,
    announced: false,
    spawnedAt: 0,
    acks: new Map(),
    exited: [],
  };
}

/**
 * Starts a new incarnation in `slot`: a fresh epoll (so only fds this
 * worker adds itself are in it), its control eventfd, and the Worker with
 * its init message, posted after `wire` has set the Worker's handlers.
 */
export function launch(
  slot: Slot,
  cfg: SupervisorConfig,
  sources: SourceSpec[],
  handlers: NamedHandler[],
  wire: (worker: Worker) => void,
): void {
  cfg.shared.resetSlot(slot.index);
  slot.epoll = Epoll.create();
  slot.control = EventFd.create({ nonblocking: true });
  slot.epoll.add(slot.control.fd, EPOLLIN, CONTROL_TAG);
  slot.left = false;
  slot.taker = cfg.shared.concurrency === 1 && cfg.batch > 1
    ? BatchTaker.create()
    : null;
  slot.spawnedAt = performance.now();
  const worker = slot.worker = new Worker(
    new URL("./_worker.ts", import.meta.url),
    { type: "module", name: `${cfg.name}-${slot.index}` },
  );
  wire(worker);
  const init: InitMessage = {
    type: "init",
    slot: slot.index,
    slots: cfg.size,
    ctl: cfg.shared.sab,
    seq: cfg.shared.seqSab,
    queue: cfg.queue.sab,
    results: slot.results.sab,
    epfd: slot.epoll.fd,
    ctlfd: slot.control.fd,
    taskfd: cfg.taskFd.fd,
    handler: cfg.handler,
    handlers,
    batch: cfg.batch,
    concurrency: cfg.shared.concurrency,
    maxUnits: cfg.maxUnits,
    maxHeap: cfg.maxHeap,
    sources,
    take: slot.taker?.layout ?? null,
  };
  worker.postMessage(init);
}

/** Frees an incarnation: its thread, its fds, its pending acks. */
export function release(slot: Slot, shared: Shared): void {
  clearTimeout(slot.timer);
  slot.worker?.terminate();
  slot.worker = undefined;
  slot.epoll?.close();
  slot.control?.close();
  slot.epoll = slot.control = undefined;
  // A worker killed while serving may still be taking units for a moment:
  // its ring stays mapped then (see BatchTaker.close).
  slot.taker?.close(slot.left || !shared.serving(slot.index));
  slot.taker = undefined;
  for (const ack of slot.acks.values()) ack();
  slot.acks.clear();
}
