/**
 * The pool's unsettled tasks by id. Ids are handed out in sequence, so
 * `id & mask` spreads live tasks over an array without collisions until a
 * task outlives `capacity` newer ones; such a straggler moves to a Map.
 * A Map alone rehashed its whole backing store every few thousand tasks,
 * the run() path's largest cost (~0.2-1 µs per task with thousands in
 * flight: large-object allocations, page faults, copying).
 *
 * @module
 */

/** A map from task id to item, for ids handed out in sequence. */
export class IdTable<T extends { readonly id: number }> {
  #slots: (T | undefined)[];
  #mask: number;
  #size = 0;
  /** Items displaced from their slot by an id `capacity` newer. */
  readonly #overflow = new Map<number, T>();

  /** An empty table; `capacity` (a power of two) grows as needed. */
  constructor(capacity = 1024) {
    this.#slots = new Array(capacity).fill(undefined);
    this.#mask = capacity - 1;
  }

  /** Items in the table. */
  get size(): number {
    return this.#size;
  }

  /** The item with `id`, if present. */
  get(id: number): T | undefined {
    const t = this.#slots[id & this.#mask];
    if (t !== undefined && t.id === id) return t;
    return this.#overflow.size ? this.#overflow.get(id) : undefined;
  }

  /** Whether an item with `id` is present. */
  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  /** Adds `item` (its id must not be present). */
  set(item: T): void {
    this.#size++;
    if (this.#size > (this.#mask + 1) >> 1) this.#grow();
    this.#place(item);
  }

  /** Removes the item with `id`; whether it was present. */
  delete(id: number): boolean {
    const at = id & this.#mask;
    const t = this.#slots[at];
    if (t !== undefined && t.id === id) this.#slots[at] = undefined;
    else if (!this.#overflow.delete(id)) return false;
    this.#size--;
    return true;
  }

  /** Every item, in no particular order (a snapshot). */
  values(): T[] {
    const out: T[] = [...this.#overflow.values()];
    for (const t of this.#slots) if (t !== undefined) out.push(t);
    return out;
  }

  #place(item: T): void {
    const at = item.id & this.#mask;
    const old = this.#slots[at];
    if (old !== undefined) this.#overflow.set(old.id, old);
    this.#slots[at] = item;
  }

  /** Doubles the array and places every item again. */
  #grow(): void {
    const items = this.values();
    this.#overflow.clear();
    this.#mask = this.#mask * 2 + 1;
    this.#slots = new Array(this.#mask + 1).fill(undefined);
    for (const t of items) this.#place(t);
  }
}
