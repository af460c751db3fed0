/**
 * The worker-side steps every slot-based source shares: keep per-source
 * state, load the user's handler module, and once a unit's slot is known,
 * run the handler on that slot's completion and give the slot back. Used by the AIO/io_uring handler
 * (handler.ts) and the efd_notify module source's worker.
 *
 * @module
 */

import type { HandlerContext } from "../workers/types.ts";
import { type CompletionHandler, toCompletion } from "./completion.ts";
import type { Slots } from "./_slots.ts";
import type { Envelope } from "./source.ts";

/**
 * Memoizes `load` per source: the returned function loads the state for
 * `ctx.data` once and hands every later unit of that source the same promise.
 *
 * @example
 * ```ts ignore
 * const state = perSource(async (d: SourceData) => ({ fn: await importCompletionHandler(d.handler) }));
 * const { fn } = await state(ctx);
 * ```
 */
export function perSource<D extends object, S>(
  load: (data: D) => Promise<S>,
): (ctx: HandlerContext) => Promise<S> {
  // Keyed by the source's data object, which the pool keeps per source and
  // drops on detach, so a detached source's state goes with it.
  const states = new WeakMap<D, Promise<S>>();
  return (ctx) => {
    const d = ctx.data as D;
    let st = states.get(d);
    if (!st) states.set(d, st = load(d));
    return st;
  };
}

/**
 * Imports a source handler module and returns its `handle` export (or its
 * default export).
 *
 * @example
 * ```ts ignore
 * const fn = await importCompletionHandler(data.handler);
 * ```
 */
export async function importCompletionHandler(
  url: string,
): Promise<CompletionHandler> {
  // The user's handler module, known only at run time (deno publish warns
  // that it cannot analyze this import; that is intended).
  const mod = await import(url);
  const fn = mod.handle ?? mod.default;
  if (typeof fn !== "function") {
    throw new TypeError(
      `source handler module ${url} exports no function named "handle" (or a default export)`,
    );
  }
  return fn;
}

/**
 * Runs `fn` on the completion in `slot` (raw kernel result `res`) with the
 * pool's `ctx`, except that `ctx.data` is the source user's `userData`;
 * releases the slot once the handler has settled, since the completion's
 * `data` view points into it until then.
 *
 * @example
 * ```ts ignore
 * return await runCompletion(fn, slots, got.slot, got.res, ctx, d.userData);
 * ```
 */
export async function runCompletion(
  fn: CompletionHandler,
  slots: Slots,
  slot: number,
  res: number,
  ctx: HandlerContext,
  userData: unknown,
): Promise<Envelope> {
  // Should this worker die in the handler, the pool's onWorkerLost finds
  // the completion by its reaper and hands it to the unit it gives back.
  slots.markReaped(slot, ctx.worker, res);
  try {
    const c = toCompletion(slots, slot, res);
    const value = await fn(c, {
      worker: ctx.worker,
      data: userData,
      notification: ctx.notification,
      // Reading ctx.signal makes the pool create it; only do so on demand.
      get signal() {
        return ctx.signal;
      },
    });
    return { id: c.id, tag: c.tag, value };
  } finally {
    slots.release(slot);
  }
}
