/**
 * The pool handler behind `ModuleSource` (module_source.ts): each unit the
 * efd_notify module signalled stands for one queued block; the worker claims
 * the next block index, runs the source's handler on that block's slot, and
 * gives the slot back. Loaded by the pool in its workers.
 *
 * @module
 */

import { type CompletionHandler, toCompletion } from "../io/completion.ts";
import { Slots, type SlotsInit } from "../io/slots.ts";
import type { Envelope } from "../io/source.ts";
import type { HandlerContext, Notification } from "../workers/types.ts";

// Int32 words of the control buffer: the claim counter, then one read
// result per slot (bytes read, or a negated errno).
const CLAIMED = 0;
/** Index of slot 0's read result in the control buffer; word 0 counts claims. */
export const RESULTS = 1;

/** What a `ModuleSource` hands its workers as `ctx.data`. */
export interface ModuleSourceData {
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
  slots: Slots;
  control: Int32Array;
  fn: CompletionHandler;
}

// Keyed by the source's data object, which the pool drops on detach.
const states = new WeakMap<object, Promise<State>>();

async function load(d: ModuleSourceData): Promise<State> {
  const mod = await import(d.handler);
  const fn = mod.handle ?? mod.default;
  if (typeof fn !== "function") {
    throw new TypeError(
      `source handler module ${d.handler} exports no function named "handle" (or a default export)`,
    );
  }
  return {
    slots: Slots.attach(d.slots),
    control: new Int32Array(d.control),
    fn,
  };
}

/**
 * Claims the next queued block and hands it to the source's handler.
 *
 * @example
 * ```ts ignore
 * // The pool calls this in its workers; ModuleSource.attach sets it up:
 * // pool.attach(source.eventfd, { handler: new URL("./module_worker.ts", import.meta.url), data })
 * ```
 */
export async function handle(
  n: Notification,
  ctx: HandlerContext,
): Promise<Envelope | null> {
  const d = ctx.data as ModuleSourceData;
  let st = states.get(d);
  if (!st) states.set(d, st = load(d));
  const { slots, control, fn } = await st;
  // A re-delivered unit's worker died after claiming its block; claiming
  // again would take a block no unit stands for yet.
  if (n.redelivered) return null;
  // Units never outnumber queued blocks, and block k sits in slot k mod
  // depth until released here, so the claimed slot holds a written block.
  const slot = (Atomics.add(control, CLAIMED, 1) >>> 0) % slots.count;
  try {
    const c = toCompletion(slots, slot, Atomics.load(control, RESULTS + slot));
    const value = await fn(c, {
      worker: ctx.worker,
      data: d.userData,
      notification: ctx.notification,
      get signal() {
        return ctx.signal;
      },
    });
    return { id: c.id, tag: c.tag, value };
  } finally {
    slots.release(slot);
  }
}
