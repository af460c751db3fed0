/**
 * The states of a pool and of each of its worker slots, and the only moves
 * between them. Every other file asks here before it moves.
 *
 * A worker slot:
 *
 * ```
 *  starting ──ready──▶ serving ──stop──▶ stopping ──exit──▶ gone
 *   ▲  ▲  ▲             │  │
 *   │  │  │      recycle│  │idle
 *   │  │  │             ▼  ▼
 *   │  │  └───exit── recycling   retiring ──exit──▶ parked
 *   │  │                                              │
 *   │  └──────────────── backlog ─────────────────────┘
 *   └──timer── backoff ◀──death── starting, serving, recycling, retiring
 *
 *  Any state but gone: stop or destroy leads to stopping or gone.
 * ```
 *
 * - starting: a Worker is loading its handlers (bounded by `loadTimeout`).
 * - serving: in its loop; a death now is a handler's fault, never a load failure.
 * - backoff: its worker died; what it held was given back; a new one is
 *   spawned after a delay that grows with deaths in quick succession.
 * - recycling: told to leave its loop after the units in hand (asked by
 *   `recycle()`, or it reached `maxUnitsPerWorker` or `maxHeapBytes`);
 *   its exit starts a fresh worker in the slot, not a back-off.
 * - retiring: idle past `idleTimeout` above `minWorkers`; leaves as a
 *   recycling worker does, but its slot is parked, not refilled.
 * - parked: no worker, by choice (an elastic pool's spare slot); a backlog
 *   starts one.
 * - stopping: told to leave its loop; waiting for its exit.
 * - gone: no thread; its epoll and control fds are closed.
 *
 * The pool: `serving` (from construction; `started()` says when every slot
 * served once) → `closing` (close(): tasks finish, sources detach) →
 * `stopping` (workers leave) → `closed`. destroy() goes to `stopping` from
 * anywhere; a start failure is a destroy with that error.
 *
 * @module
 */

import type { WorkerStats } from "./types.ts";

/** A worker slot's state (the list is public, in `WorkerStats`). */
export type SlotState = WorkerStats["state"];
/** The pool's state. */
export type PoolState = "serving" | "closing" | "stopping" | "closed";

const SLOT_MOVES: Record<SlotState, readonly SlotState[]> = {
  starting: ["serving", "backoff", "stopping", "gone"],
  serving: ["recycling", "retiring", "backoff", "stopping", "gone"],
  retiring: ["parked", "backoff", "stopping", "gone"],
  parked: ["starting", "gone"],
  recycling: ["starting", "backoff", "stopping", "gone"],
  backoff: ["starting", "gone"],
  stopping: ["gone"],
  gone: [],
};

const POOL_MOVES: Record<PoolState, readonly PoolState[]> = {
  serving: ["closing", "stopping"],
  closing: ["stopping"],
  stopping: ["closed"],
  closed: [],
};

/** A move the state diagram does not allow: a bug in the pool. */
export class StateError extends Error {
  /** Names the machine and the refused move. */
  constructor(what: string, from: string, to: string) {
    super(`${what}: no move from ${from} to ${to}`);
    this.name = "StateError";
  }
}

/** Whether a slot may move from `from` to `to`. */
export function slotMay(from: SlotState, to: SlotState): boolean {
  return SLOT_MOVES[from].includes(to);
}

/** Checks a slot move; throws `StateError` on one the diagram lacks. */
export function slotMove(from: SlotState, to: SlotState): SlotState {
  if (!slotMay(from, to)) throw new StateError("worker slot", from, to);
  return to;
}

/** Whether a slot's worker thread runs (and takes mail). */
export function running(state: SlotState): boolean {
  return state === "starting" || state === "serving" ||
    state === "recycling" || state === "retiring";
}

/** Checks a pool move; throws `StateError` on one the diagram lacks. */
export function poolMove(from: PoolState, to: PoolState): PoolState {
  if (!POOL_MOVES[from].includes(to)) throw new StateError("pool", from, to);
  return to;
}
