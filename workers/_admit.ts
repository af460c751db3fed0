/**
 * Admission of new work at the front: what `run()`, `attach()` and
 * `addHandler()` check, in which order, before they hand it to the task
 * book, the source registry or the workers. Arguments come first, so a bad
 * one is named even on a closed pool; then whether the pool takes work.
 * Nothing is queued, attached or loaded when a check fails.
 *
 * @module
 */

import { FullError } from "../errors.ts";
import type { EventFd } from "../ffi/eventfd.ts";
import type { Parts } from "./_assemble.ts";
import {
  checkAttach,
  checkAttachable,
  checkRunOptions,
  checkTaskName,
  encodeTask,
} from "./_checks.ts";
import type { Encoded } from "./_codec.ts";
import { checkReadable } from "./_permissions.ts";
import { PoolSource } from "./source.ts";
import type { AttachOptions, RunOptions } from "./types.ts";
import { checkHandler } from "./_validate.ts";

/** Checks a task and queues it; rejects with nothing queued if a check fails. */
export function submit(
  p: Parts,
  payload: unknown,
  options: RunOptions,
): Promise<unknown> {
  let encoded: Encoded;
  let nameLen: number;
  let opts: RunOptions;
  try {
    // Arguments first: a bad payload is named even on a closed pool or
    // with a signal that has fired.
    opts = checkRunOptions(options);
    ({ encoded, nameLen } = encodeTask(
      payload,
      opts.name,
      p.queue.maxPayload,
    ));
    p.life.assertServing();
    // Before any worker said which names it knows, the worker decides.
    if (opts.name !== undefined) p.names.check(opts.name);
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (p.tasks.full) {
      throw new FullError("queue", p.tasks.maxQueue, "tasks waiting");
    }
  } catch (e) {
    return Promise.reject(e);
  }
  const promise = p.tasks.add(encoded, opts, nameLen);
  p.elastic?.grow();
  if (opts.transfer) { for (const b of opts.transfer) b.transfer(); }
  return promise;
}

/** Checks an eventfd and its options, then puts it under the pool. */
export function attachEventFd(
  p: Parts,
  eventfd: EventFd,
  options: AttachOptions,
): PoolSource {
  const checked = checkAttach(eventfd, options, p.cfg.handler);
  p.life.assertServing();
  checkReadable(checked.handler, false);
  const info = checkAttachable(eventfd);
  const why = p.sources.refusal(eventfd, info?.id);
  if (why) throw new TypeError(why);
  const { key, name } = p.sources.attach(
    eventfd,
    info?.id,
    checked.handler,
    checked.opts,
  );
  p.pump.poke();
  return new PoolSource(p.host, key, name, eventfd);
}

/** Checks a named handler, then has every worker load it. */
export async function addNamed(
  p: Parts,
  name: string,
  handler: string | URL,
): Promise<void> {
  checkTaskName("name", name);
  const url = checkHandler("handler", handler);
  p.life.assertServing();
  await p.names.add(p.sup, name, url, p.cfg.loadTimeout);
}
