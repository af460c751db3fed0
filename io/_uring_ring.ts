/**
 * io_uring's shared rings: the ABI layout, mapping them, and the two sides
 * that touch them — the submitter (one thread) and the CQE claimers (any
 * thread, many at once).
 *
 * @module
 */

import { mmapShared, munmap, viewMemory } from "./_sys.ts";

const IORING_OFF_SQ_RING = 0n;
const IORING_OFF_CQ_RING = 0x8000000n;
const IORING_OFF_SQES = 0x10000000n;
/** `features` bit: SQ and CQ rings share one mapping (5.4+). */
export const IORING_FEAT_SINGLE_MMAP = 1 << 0;
/** `features` bit: completions are never dropped on CQ overflow (5.5+). */
export const IORING_FEAT_NODROP = 1 << 1;
/** Setup flag: `cq_entries` is given by the caller (5.5+). */
export const IORING_SETUP_CQSIZE = 1 << 3;

/** Size of `struct io_uring_params`. */
export const PARAMS_SIZE = 120;
/** Size of one SQE. */
export const SQE_SIZE = 64;
/** Size of one CQE (without IORING_SETUP_CQE32). */
export const CQE_SIZE = 16;

/**
 * Where the rings are and what they look like: everything a thread needs to
 * build its own views. Plain numbers and bigints, so it can be posted.
 */
export interface RingLayout {
  /** The ring fd. */
  fd: number;
  /** Address of the SQ ring mapping. */
  sqRing: bigint;
  /** Length of the SQ ring mapping (0 when it shares the CQ's). */
  sqRingLength: number;
  /** Address of the CQ ring mapping (equal to `sqRing` with SINGLE_MMAP). */
  cqRing: bigint;
  /** Length of the CQ ring mapping. */
  cqRingLength: number;
  /** Address of the SQE array mapping. */
  sqes: bigint;
  /** Length of the SQE array mapping. */
  sqesLength: number;
  /** SQ entries. */
  sqEntries: number;
  /** CQ entries. */
  cqEntries: number;
  /** Kernel feature bits from setup. */
  features: number;
  /** Byte offsets in the SQ ring: head, tail, ring_mask, array. */
  sqOff: { head: number; tail: number; mask: number; array: number };
  /** Byte offsets in the CQ ring: head, tail, ring_mask, overflow, cqes. */
  cqOff: {
    head: number;
    tail: number;
    mask: number;
    overflow: number;
    cqes: number;
  };
}

/** Reads the kernel's answer in `params` after io_uring_setup and maps the rings. */
export function mapRings(fd: number, params: Uint8Array): RingLayout {
  const p = new DataView(params.buffer, params.byteOffset, PARAMS_SIZE);
  const u32 = (o: number) => p.getUint32(o, true);
  const sqEntries = u32(0);
  const cqEntries = u32(4);
  const features = u32(20);
  const sqOff = { head: u32(40), tail: u32(44), mask: u32(48), array: u32(64) };
  const cqOff = {
    head: u32(80),
    tail: u32(84),
    mask: u32(88),
    overflow: u32(96),
    cqes: u32(100),
  };
  let sqLen = sqOff.array + sqEntries * 4;
  let cqLen = cqOff.cqes + cqEntries * CQE_SIZE;
  const single = (features & IORING_FEAT_SINGLE_MMAP) !== 0;
  if (single) cqLen = sqLen = Math.max(sqLen, cqLen);
  const mapped: [bigint, number][] = [];
  try {
    const sqRing = mmapShared(
      fd,
      sqLen,
      IORING_OFF_SQ_RING,
      "io_uring SQ ring",
    );
    mapped.push([sqRing, sqLen]);
    const cqRing = single
      ? sqRing
      : mmapShared(fd, cqLen, IORING_OFF_CQ_RING, "io_uring CQ ring");
    if (!single) mapped.push([cqRing, cqLen]);
    const sqesLength = sqEntries * SQE_SIZE;
    const sqes = mmapShared(fd, sqesLength, IORING_OFF_SQES, "io_uring SQEs");
    return {
      fd,
      sqRing,
      sqRingLength: sqLen,
      cqRing,
      cqRingLength: single ? 0 : cqLen,
      sqes,
      sqesLength,
      sqEntries,
      cqEntries,
      features,
      sqOff,
      cqOff,
    };
  } catch (e) {
    for (const [a, l] of mapped) munmap(a, l);
    throw e;
  }
}

/** Unmaps what {@linkcode mapRings} mapped. */
export function unmapRings(l: RingLayout): void {
  munmap(l.sqes, l.sqesLength);
  if (l.cqRingLength > 0) munmap(l.cqRing, l.cqRingLength);
  munmap(l.sqRing, l.sqRingLength);
}

/** One completion as copied out of the CQ ring. */
export interface Cqe {
  /** The SQE's user_data. */
  userData: bigint;
  /** Result: >= 0 on success, a negated errno on failure. */
  res: number;
  /** CQE flags. */
  flags: number;
}

/**
 * This thread's view of the CQ ring. Several threads claim CQEs at once:
 * each copies the CQE at head, then moves head past it with a CAS, so a CQE
 * is claimed by exactly one thread, and the kernel may reuse its slot only
 * after the copy was taken.
 */
export class CqClaimer {
  readonly #u32: Uint32Array;
  readonly #head: number;
  readonly #tail: number;
  readonly #mask: number;
  readonly #cqes: DataView;

  /** Builds views over the CQ ring described by `l`. */
  constructor(l: RingLayout) {
    const len = l.cqRingLength || l.sqRingLength;
    const mem = viewMemory(l.cqRing, len);
    this.#u32 = new Uint32Array(mem);
    this.#head = l.cqOff.head / 4;
    this.#tail = l.cqOff.tail / 4;
    this.#mask = this.#u32[l.cqOff.mask / 4];
    this.#cqes = new DataView(mem, l.cqOff.cqes, l.cqEntries * CQE_SIZE);
  }

  /** CQEs posted and not yet claimed. */
  pending(): number {
    return (Atomics.load(this.#u32, this.#tail) -
      Atomics.load(this.#u32, this.#head)) >>> 0;
  }

  /** Claims the oldest unclaimed CQE, or returns null if the CQ is empty. */
  claim(): Cqe | null {
    for (;;) {
      const head = Atomics.load(this.#u32, this.#head);
      if (head === Atomics.load(this.#u32, this.#tail)) return null;
      const o = ((head & this.#mask) >>> 0) * CQE_SIZE;
      const cqe = {
        userData: this.#cqes.getBigUint64(o, true),
        res: this.#cqes.getInt32(o + 8, true),
        flags: this.#cqes.getUint32(o + 12, true),
      };
      const next = (head + 1) >>> 0;
      if (Atomics.compareExchange(this.#u32, this.#head, head, next) === head) {
        return cqe;
      }
    }
  }
}

/** The SQ ring, written by one thread only: the one that submits. */
export class SqWriter {
  readonly #u32: Uint32Array;
  readonly #head: number;
  readonly #tail: number;
  readonly #mask: number;
  readonly #entries: number;
  readonly #array: number;
  readonly #sqes: DataView;

  /** Builds views over the SQ ring and SQEs described by `l`. */
  constructor(l: RingLayout) {
    const mem = viewMemory(l.sqRing, l.sqRingLength);
    this.#u32 = new Uint32Array(mem);
    this.#head = l.sqOff.head / 4;
    this.#tail = l.sqOff.tail / 4;
    this.#mask = this.#u32[l.sqOff.mask / 4];
    this.#entries = l.sqEntries;
    this.#array = l.sqOff.array / 4;
    this.#sqes = new DataView(viewMemory(l.sqes, l.sqesLength));
  }

  /** SQEs queued and not yet consumed by the kernel. */
  queued(): number {
    return (Atomics.load(this.#u32, this.#tail) -
      Atomics.load(this.#u32, this.#head)) >>> 0;
  }

  /**
   * Fills the next SQE with `fill` (given a zeroed view of it) and publishes
   * it; returns false if the SQ is full.
   */
  push(fill: (sqe: DataView, at: number) => void): boolean {
    if (this.queued() >= this.#entries) return false;
    const tail = Atomics.load(this.#u32, this.#tail);
    const idx = (tail & this.#mask) >>> 0;
    const at = idx * SQE_SIZE;
    for (let i = 0; i < SQE_SIZE; i += 8) this.#sqes.setBigUint64(at + i, 0n);
    fill(this.#sqes, at);
    this.#u32[this.#array + idx] = idx;
    Atomics.store(this.#u32, this.#tail, (tail + 1) >>> 0);
    return true;
  }

  /**
   * Withdraws SQEs the kernel has not consumed. Safe only because the
   * kernel reads the SQ tail inside io_uring_enter alone (no SQPOLL).
   */
  rollback(): number {
    const head = Atomics.load(this.#u32, this.#head);
    const n = this.queued();
    Atomics.store(this.#u32, this.#tail, head);
    return n;
  }
}
