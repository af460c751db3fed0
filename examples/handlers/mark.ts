/**
 * A consumer for pool sources: records the unit it was handed (by its
 * sequence number) in the shared tally that came as `ctx.data`, and returns
 * the worker slot that ran it.
 *
 * @module
 */

import type { HandlerContext, Notification } from "../../mod.ts";
import { mark } from "../tally.ts";

/** Marks `n.seq` delivered. */
export function handle(n: Notification, ctx: HandlerContext): number {
  mark(ctx.data as Int32Array, n.seq);
  return ctx.worker;
}
