/**
 * The pool handler module behind every AIO and io_uring source: for each
 * unit, reap one completion, run the user's handler on it, give the slot
 * back. Loaded by the pool in its workers; not imported by users.
 *
 * @module
 */

import type { HandlerContext, Notification } from "../workers/types.ts";
import type { AioKernelData } from "./aio.ts";
import { AioReaper } from "./_aio_worker.ts";
import type { CompletionHandler } from "./completion.ts";
import {
  importCompletionHandler,
  perSource,
  runCompletion,
} from "./_run_completion.ts";
import { Slots } from "./_slots.ts";
import type { Envelope, SourceData } from "./source.ts";
import type { UringKernelData } from "./uring.ts";
import { UringReaper } from "./_uring_worker.ts";

interface State {
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
  return { userData: d.userData, slots, reap, fn };
});

/**
 * Reaps one completion and hands it to the source's handler; returns what
 * the main thread needs to correlate the result, or null for a unit that
 * found nothing (possible with io_uring only).
 *
 * @example
 * ```ts ignore
 * // The pool calls this in its workers, with the source's data:
 * // pool.attach(source.eventfd, { handler: new URL("./_handler.ts", import.meta.url), data })
 * ```
 */
export async function handle(
  n: Notification,
  ctx: HandlerContext,
): Promise<Envelope | null> {
  const { userData, slots, reap, fn } = await state(ctx);
  // A unit given back after its worker died: if that worker had reaped a
  // completion (it died in the handler), the completion was marked an
  // orphan and is this unit's; reaping instead would take another unit's
  // event (AIO) and leave the orphan's slot taken for good.
  const got = (n.redelivered ? slots.takeOrphan(ctx.worker) : null) ?? reap();
  if (!got) return null;
  return await runCompletion(fn, slots, got.slot, got.res, ctx, userData);
}
