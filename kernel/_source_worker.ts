/**
 * The pool handler behind `EfdNotifySource` (source.ts): each unit the
 * efd_notify module signalled stands for one queued block; the worker claims
 * the next block index, runs the source's handler on that block's slot, and
 * gives the slot back. Loaded by the pool in its workers.
 *
 * @module
 * @internal
 */

import type { CompletionHandler } from "../io/completion.ts";
import {
  importCompletionHandler,
  perSource,
  runCompletion,
} from "../io/_run_completion.ts";
import { Slots, type SlotsInit } from "../io/_slots.ts";
import type { Envelope } from "../io/source.ts";
import type { HandlerContext, Notification } from "../workers/types.ts";

// Int32 words of the control buffer: the claim counter, then one read
// result per slot (bytes read, or a negated errno).
const CLAIMED = 0;
/** Index of slot 0's read result in the control buffer; word 0 counts claims. */
export const RESULTS = 1;

/** What an `EfdNotifySource` hands its workers as `ctx.data`. */
export interface EfdNotifySourceData {
  /** The slot table holding the blocks. */
  slots: SlotsInit;
  /** Int32 words: the claim counter, then the slots' read results. */
  control: SharedArrayBuffer;
  /** The source handler module's URL. */
  handler: string;
  /** The caller's `data`, passed on as the handler's `ctx.data`. */
  userData: unknown;
}

interface State {
  userData: unknown;
  slots: Slots;
  control: Int32Array;
  fn: CompletionHandler;
}

const state = perSource(async (d: EfdNotifySourceData): Promise<State> => ({
  userData: d.userData,
  slots: Slots.attach(d.slots),
  control: new Int32Array(d.control),
  fn: await importCompletionHandler(d.handler),
}));

/**
 * Claims the next queued block and hands it to the source's handler.
 * The pool calls it in its workers; `pool.attach(source, …)` sets it up.
 */
export async function handle(
  n: Notification,
  ctx: HandlerContext,
): Promise<Envelope | null> {
  const { userData, slots, control, fn } = await state(ctx);
  // A re-delivered unit's worker died after claiming its block; claiming
  // again would take a block no unit stands for yet.
  if (n.redelivered) return null;
  // Units never outnumber queued blocks, and block k sits in slot k mod
  // depth until released here, so the claimed slot holds a written block.
  const slot = (Atomics.add(control, CLAIMED, 1) >>> 0) % slots.count;
  const res = Atomics.load(control, RESULTS + slot);
  return await runCompletion(fn, slots, slot, res, ctx, userData);
}
