/**
 * Worker side: this worker's ledger cells — which are free, which hold a
 * unit taken in a batch and not started yet — and the hold protocol
 * against the pool's stop flag and revoke.
 *
 * @module
 */

import { Held, type HeldKind, type Shared } from "./_layout.ts";

/** The batch owner of task units (source indexes are ≥ 0). */
export const TASKS = -1;

/** One worker's ledger cells. */
export class Cells {
  readonly #shared: Shared;
  readonly #slot: number;
  /** Free ledger cells. */
  readonly #free: number[] = [];
  /** Cells holding units taken together and not started yet (one fd's). */
  readonly #ready: number[] = [];
  /** Whose units are in #ready: a source index, or TASKS. */
  #readyOwner = TASKS;
  /** Held.Taken for a source's units, Held.TakenTask for tasks'. */
  #readyKind: HeldKind = Held.Taken;

  constructor(shared: Shared, slot: number) {
    this.#shared = shared;
    this.#slot = slot;
    for (let c = shared.cells - 1; c >= 0; c--) this.#free.push(c);
  }

  /** Cells in use (units running or waiting to start). */
  get busy(): number {
    return this.#shared.cells - this.#free.length;
  }

  /** Whether every cell is busy. */
  get full(): boolean {
    return this.#free.length === 0;
  }

  /** Units held and not started yet. */
  get ready(): number {
    return this.#ready.length;
  }

  /** Whether units of source `index` wait to start. */
  readyOf(index: number): boolean {
    return this.#ready.length > 0 && this.#readyOwner === index;
  }

  /** A cell is free again. */
  free(cell: number): void {
    this.#free.push(cell);
  }

  /**
   * Publishes a hold in a free cell: the cell, or "mine"/"revoked" if the
   * pool began stopping meanwhile. The pool sets the stop flag, then
   * revokes what workers hold: a hold published too late to be seen must
   * not start a handler. Whoever clears it (the pool's revoke or this
   * release) owns the unit: "mine" means the worker must give it back,
   * "revoked" that the pool did.
   */
  hold(kind: HeldKind, id: number): number | "mine" | "revoked" {
    const cell = this.#free.pop()!;
    this.#shared.hold(this.#slot, cell, kind, id);
    if (!this.#shared.stopping()) return cell;
    const mine = this.#shared.release(this.#slot, cell, kind);
    this.#free.push(cell);
    return mine ? "mine" : "revoked";
  }

  /**
   * Holds `n` units of source `owner` (or of the tasks: TASKS), taken in
   * one call, each in a cell of its own, before any runs: a death from now
   * on gives every one back. Returns how many the caller must write back
   * because the pool began stopping (0: start them one by one with
   * {@linkcode Cells.start} or {@linkcode Cells.next}).
   */
  holdUnits(owner: number, n: number): number {
    const kind = owner === TASKS ? Held.TakenTask : Held.Taken;
    for (let i = 0; i < n; i++) {
      const cell = this.#free.pop()!;
      this.#shared.hold(this.#slot, cell, kind, owner);
      this.#ready.push(cell);
    }
    this.#readyOwner = owner;
    this.#readyKind = kind;
    return this.#shared.stopping() ? this.dropReady() : 0;
  }

  /**
   * Starts a source's unit held by {@linkcode Cells.holdUnits}: its cell,
   * undefined if none waits, or "revoked" if the pool took it back meanwhile.
   */
  start(): number | undefined | "revoked" {
    const cell = this.#ready.pop();
    if (cell === undefined) return undefined;
    return this.#shared.start(this.#slot, cell) ? cell : "revoked";
  }

  /**
   * The cell of the next task unit held by {@linkcode Cells.holdUnits},
   * still TakenTask (the caller claims a record, then
   * {@linkcode Shared.startTask}s it, or lets it go with
   * {@linkcode Cells.drop}); undefined if none waits.
   */
  next(): number | undefined {
    return this.#ready.pop();
  }

  /**
   * Starts task `id` in TakenTask cell `cell` (see {@linkcode Cells.next}):
   * the cell, or "mine"/"revoked" as {@linkcode Cells.hold} says.
   */
  startTask(cell: number, id: number): number | "mine" | "revoked" {
    if (!this.#shared.startTask(this.#slot, cell, id)) {
      this.#free.push(cell);
      return "revoked";
    }
    if (!this.#shared.stopping()) return cell;
    const mine = this.#shared.release(this.#slot, cell, Held.Task);
    this.#free.push(cell);
    return mine ? "mine" : "revoked";
  }

  /** Lets go of a TakenTask cell whose unit found no live record. */
  drop(cell: number): void {
    this.#shared.release(this.#slot, cell, Held.TakenTask);
    this.#free.push(cell);
  }

  /**
   * Lets go of the units held and not started (stopping, detached, closing):
   * how many are this worker's to write back; the pool gave back the rest.
   */
  dropReady(): number {
    let mine = 0;
    for (const cell of this.#ready) {
      if (this.#shared.release(this.#slot, cell, this.#readyKind)) mine++;
      this.#free.push(cell);
    }
    this.#ready.length = 0;
    return mine;
  }
}
