/**
 * A faulty consumer, for the shutdown example: every `failEvery`-th unit
 * throws (the pool reports it to `onError`, the worker carries on), and
 * unit `crashAt` kills its worker outright (the pool replaces the worker
 * and hands the unit out again, flagged `redelivered`, under a new seq).
 *
 * @module
 */

import type { HandlerContext, Notification } from "../../mod.ts";
import { mark } from "../tally.ts";

/** What the shutdown example passes as `ctx.data`. */
export interface FlakyData {
  counts: Int32Array;
  /** Cell 0: the seq whose worker crashed, so the tally can excuse it. */
  crashed: Int32Array;
  failEvery: number;
  crashAt: number;
}

/** Handles one unit, or fails, or crashes, as configured. */
export function handle(n: Notification, ctx: HandlerContext): unknown {
  const d = ctx.data as FlakyData;
  if (n.seq === d.crashAt) {
    Atomics.store(d.crashed, 0, n.seq);
    // An error thrown outside the handler's call (here, from a timer) is
    // uncaught in the worker and ends it: the unit is never finished.
    return new Promise(() =>
      setTimeout(() => {
        throw new Error(`simulated crash on unit ${n.seq}`);
      })
    );
  }
  mark(d.counts, n.seq);
  if (n.seq % d.failEvery === 0) {
    throw new Error(`simulated failure on unit ${n.seq}`);
  }
  return n.seq;
}
