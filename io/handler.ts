/**
 * The pool handler module behind every AIO and io_uring source: for each
 * unit, reap one completion, run the user's handler on it, give the slot
 * back. Loaded by the pool in its workers; not imported by users.
 *
 * @module
 */

import type { HandlerContext, Notification } from "../workers/types.ts";
import type { AioKernelData } from "./aio.ts";
import { AioReaper } from "./aio_worker.ts";
import type { CompletionHandler } from "./completion.ts";
import {
  importCompletionHandler,
  perSource,
  runCompletion,
} from "./run_completion.ts";
import { Slots } from "./slots.ts";
import type { Envelope, SourceData } from "./source.ts";
import type { UringKernelData } from "./uring.ts";
import { UringReaper } from "./uring_worker.ts";

interface State {
  backend: SourceData["backend"];
  userData: unknown;
  slots: Slots;
  reap: () => { slot: number; res: number } | null;
  fn: CompletionHandler;
}

const state = perSource(async (d: SourceData): Promise<State> => {
  const slots = Slots.attach(d.slots);
  let reap: State["reap"];
  if (d.backend === "aio") {
    const r = new AioReaper(d.kernel as AioKernelData);
    reap = () => r.reap();
  } else {
    const r = new UringReaper(d.kernel as UringKernelData, d.eventfd, slots);
    reap = () => r.reap();
  }
  const fn = await importCompletionHandler(d.handler);
  return { backend: d.backend, userData: d.userData, slots, reap, fn };
});

/**
 * Reaps one completion and hands it to the source's handler; returns what
 * the main thread needs to correlate the result, or null for a unit that
 * found nothing (possible with io_uring only).
 *
 * @example
 * ```ts ignore
 * // The pool calls this in its workers, with the source's data:
 * // pool.attach(source.eventfd, { handler: new URL("./handler.ts", import.meta.url), data })
 * ```
 */
export async function handle(
  n: Notification,
  ctx: HandlerContext,
): Promise<Envelope | null> {
  const { backend, userData, slots, reap, fn } = await state(ctx);
  // An AIO unit re-delivered after its worker died: that worker had almost
  // surely reaped its event (it died in the handler), and reaping again
  // would take another unit's event, leaving that unit none. The dead
  // worker's completion is lost. (An io_uring claim never waits, so a
  // re-delivered unit simply looks at the CQ.)
  if (n.redelivered && backend === "aio") return null;
  const got = reap();
  if (!got) return null;
  return await runCompletion(fn, slots, got.slot, got.res, ctx, userData);
}
