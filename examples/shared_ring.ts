/**
 * The classic bounded buffer: a ring of slots in a SharedArrayBuffer and two
 * counting semaphores, `free` (empty slots, starts at capacity) and `filled`
 * (items waiting, starts at 0), both EFD_SEMAPHORE eventfds. A producer
 * takes a `free` unit before it writes a slot and adds a `filled` unit
 * after; a consumer the reverse. Because `filled` is an eventfd, a pool can
 * be the consumer: attach it, and each item becomes one handler call.
 *
 * Not an example itself: `bounded_buffer.ts` and `pipeline.ts` use it.
 *
 * @module
 */

import { EventFd } from "../mod.ts";

/** What another thread needs to use the same ring (structured-cloneable). */
export interface RingInit {
  /** The shared memory: header, stamps and slots. */
  sab: SharedArrayBuffer;
  /** fd of the `free` semaphore. */
  free: number;
  /** fd of the `filled` semaphore. */
  filled: number;
}

/** One item: an id and a value. */
export interface Item {
  /** Which item, for exactly-once accounting. */
  id: number;
  /** Its payload. */
  value: number;
}

// Header words: next position to write, next to read, items in the ring now
// and the most there ever were.
const HEAD = 0;
const TAIL = 1;
const FILL = 2;
const HIGH = 3;
const HEADER = 4;

/**
 * A bounded multi-producer, multi-consumer ring whose two semaphores are
 * eventfds.
 *
 * @example
 * ```ts
 * import { SharedRing } from "./shared_ring.ts";
 * using ring = SharedRing.create(4);
 * ring.push(1, 10);
 * ring.filled.read(); // a consumer first takes a filled unit (a pool does this)
 * console.log(ring.take()); // { id: 1, value: 10 }
 * ```
 */
export class SharedRing {
  /** Empty slots: producers take a unit before writing one. */
  readonly free: EventFd;
  /** Items waiting: consumers (or a pool attached to it) take a unit before reading one. */
  readonly filled: EventFd;
  /** Number of slots. */
  readonly capacity: number;
  readonly #sab: SharedArrayBuffer;
  readonly #i32: Int32Array;
  readonly #slots: Float64Array;

  private constructor(
    sab: SharedArrayBuffer,
    free: EventFd,
    filled: EventFd,
  ) {
    this.#sab = sab;
    this.free = free;
    this.filled = filled;
    this.capacity = (sab.byteLength - HEADER * 4) / 20;
    this.#i32 = new Int32Array(sab, 0, HEADER + this.capacity);
    this.#slots = new Float64Array(
      sab,
      (HEADER + this.capacity) * 4,
      2 * this.capacity,
    );
  }

  /**
   * Makes a ring of `capacity` slots (a power of two, so positions stay
   * valid when the 32-bit counters wrap) and its two eventfds.
   *
   * @example
   * ```ts
   * import { SharedRing } from "./shared_ring.ts";
   * using ring = SharedRing.create(8);
   * console.log(ring.capacity); // 8
   * ```
   */
  static create(capacity: number): SharedRing {
    if (
      !Number.isInteger(capacity) || capacity < 2 || capacity & (capacity - 1)
    ) {
      throw new RangeError(
        `capacity must be a power of two >= 2, got ${capacity}`,
      );
    }
    // Int32 header and one stamp per slot, then an (id, value) pair of
    // float64 per slot; an even capacity keeps the pairs 8-byte aligned.
    const sab = new SharedArrayBuffer((HEADER + capacity) * 4 + 16 * capacity);
    const stamps = new Int32Array(sab, HEADER * 4, capacity);
    for (let i = 0; i < capacity; i++) stamps[i] = i;
    return new SharedRing(
      sab,
      EventFd.create({ semaphore: true, initval: capacity }),
      EventFd.create({ semaphore: true }),
    );
  }

  /**
   * Uses a ring made in another thread of this process; closing it leaves
   * the eventfds open for their owner.
   *
   * @example
   * ```ts
   * import { SharedRing } from "./shared_ring.ts";
   * using ring = SharedRing.create(2);
   * const same = SharedRing.attach(ring.init); // in a Worker, from postMessage
   * same.push(7, 0);
   * console.log(ring.stats().fill); // 1
   * ```
   */
  static attach(init: RingInit): SharedRing {
    // Not owned: the fds belong to the whole process and its maker closes them.
    const adopt = (fd: number) =>
      EventFd.fromFd(fd, { owned: false, semaphore: true });
    return new SharedRing(init.sab, adopt(init.free), adopt(init.filled));
  }

  /** What to send another thread so it can `attach`. */
  get init(): RingInit {
    return { sab: this.#sab, free: this.free.fd, filled: this.filled.fd };
  }

  /**
   * Takes a free slot, blocking the thread while the ring is full (use it in
   * Workers), then writes the item. Returns whether it had to wait.
   */
  push(id: number, value: number): boolean {
    const full = this.free.tryRead() === null;
    if (full) this.free.read();
    this.put(id, value);
    return full;
  }

  /** Like `push`, but waits without blocking the event loop; for the main thread. */
  async pushAsync(id: number, value: number): Promise<boolean> {
    const full = this.free.tryRead() === null;
    if (full) await this.free.readAsync();
    this.put(id, value);
    return full;
  }

  /** Writes an item into a slot the caller already took a `free` unit for, then adds a `filled` unit. */
  put(id: number, value: number): void {
    const i32 = this.#i32;
    const pos = Atomics.add(i32, HEAD, 1);
    const at = (pos >>> 0) % this.capacity;
    // The free unit guarantees some slot is empty, not that ours is: with
    // several consumers, the one reading our slot may finish after another.
    // The slot's stamp tells when it is ours: it equals our position.
    waitFor(i32, HEADER + at, pos);
    this.#slots[2 * at] = id;
    this.#slots[2 * at + 1] = value;
    Atomics.store(i32, HEADER + at, (pos + 1) | 0);
    Atomics.notify(i32, HEADER + at);
    const fill = Atomics.add(i32, FILL, 1) + 1;
    for (let h = Atomics.load(i32, HIGH); fill > h;) {
      const seen = Atomics.compareExchange(i32, HIGH, h, fill);
      if (seen === h) break;
      h = seen;
    }
    this.filled.write(1);
  }

  /**
   * Reads the next item, for a consumer that already took a `filled` unit
   * (a pool attached to `filled` has done so before calling its handler),
   * then gives the slot back with a `free` unit.
   */
  take(): Item {
    const i32 = this.#i32;
    const pos = Atomics.add(i32, TAIL, 1);
    const at = (pos >>> 0) % this.capacity;
    // Our filled unit may be for another producer's item, written while
    // the producer of ours is still copying: wait for our slot's stamp.
    waitFor(i32, HEADER + at, (pos + 1) | 0);
    const item = { id: this.#slots[2 * at], value: this.#slots[2 * at + 1] };
    Atomics.store(i32, HEADER + at, (pos + this.capacity) | 0);
    Atomics.notify(i32, HEADER + at);
    Atomics.sub(i32, FILL, 1);
    this.free.write(1);
    return item;
  }

  /** Items in the ring now, and the most there ever were. */
  stats(): { fill: number; highWater: number } {
    return {
      fill: Atomics.load(this.#i32, FILL),
      highWater: Atomics.load(this.#i32, HIGH),
    };
  }

  /** Closes the eventfds if this thread made the ring (an attached ring only lets go of them). */
  [Symbol.dispose](): void {
    this.free[Symbol.dispose]();
    this.filled[Symbol.dispose]();
  }
}

/** Blocks until `i32[index]` holds `value`; such waits last only while a peer copies one item. */
function waitFor(i32: Int32Array, index: number, value: number): void {
  for (
    let v = Atomics.load(i32, index);
    v !== value;
    v = Atomics.load(i32, index)
  ) {
    Atomics.wait(i32, index, v);
  }
}
