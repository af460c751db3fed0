/**
 * A pool handler for the bounded buffer: the pool has taken one `filled`
 * unit for this call, so exactly one item is ours to take from the ring.
 * `ctx.data` is `{ ring, counts, workMs }`.
 *
 * @module
 */

import type { HandlerContext } from "../../mod.ts";
import { mark } from "../tally.ts";
import { type RingInit, SharedRing } from "../shared_ring.ts";

interface Data {
  ring: RingInit;
  counts: Int32Array;
  workMs: number;
}

// One attached ring per worker, made on its first unit.
let ring: SharedRing | undefined;
const nap = new Int32Array(new SharedArrayBuffer(4));

/** Takes one item, "works" on it, and marks it consumed. */
export function handle(_: unknown, ctx: HandlerContext): void {
  const { counts, workMs } = ctx.data as Data;
  ring ??= SharedRing.attach((ctx.data as Data).ring);
  const { id, value } = ring.take();
  // A slow consumer, so that the producers outrun it and the ring fills.
  Atomics.wait(nap, 0, 0, workMs);
  mark(counts, value === id * 3 ? id : 0);
}
