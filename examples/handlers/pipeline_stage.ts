/**
 * One pipeline stage, as a pool handler: the pool has taken one `filled`
 * unit of the stage's input ring, so one item is ours; transform it and
 * push it into the output ring, blocking while that ring is full. That
 * block is the backpressure: it holds this worker, so the input ring fills,
 * so the stage before blocks in turn. The last stage (no output) checks
 * the item and marks it in the tally.
 *
 * @module
 */

import type { HandlerContext } from "../../mod.ts";
import { type RingInit, SharedRing } from "../shared_ring.ts";
import { mark } from "../tally.ts";

/** What each stage's source gets as `ctx.data`. */
export interface StageData {
  op: "square" | "increment" | "check";
  input: RingInit;
  output?: RingInit;
  counts?: Int32Array;
  workMs: number;
}

const ops = {
  square: (v: number) => v * v,
  increment: (v: number) => v + 1,
};

// The pool hands each worker one copy of a source's data and keeps it, so
// it keys the rings this worker attached for that stage.
const rings = new WeakMap<
  StageData,
  { input: SharedRing; output?: SharedRing }
>();
const nap = new Int32Array(new SharedArrayBuffer(4));

/** Moves one item through this stage. */
export function handle(_: unknown, ctx: HandlerContext): void {
  const d = ctx.data as StageData;
  let r = rings.get(d);
  if (!r) {
    r = {
      input: SharedRing.attach(d.input),
      output: d.output && SharedRing.attach(d.output),
    };
    rings.set(d, r);
  }
  const { id, value } = r.input.take();
  if (d.workMs) Atomics.wait(nap, 0, 0, d.workMs);
  if (d.op === "check") {
    // What the stages before should have made of `id`.
    mark(d.counts!, value === id * id + 1 ? id : 0);
  } else {
    r.output!.push(id, ops[d.op](value));
  }
}
