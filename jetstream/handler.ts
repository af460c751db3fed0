/**
 * The worker side: `jetStreamHandler(fn)` turns a function of a
 * {@linkcode JetStreamMessage} into the pool handler that unpacks what a
 * `JetStreamSource` sends. It loads no NATS client.
 *
 * @module
 */

import type { HandlerContext } from "../mod.ts";
import {
  isEnvelope,
  type JetStreamMessage,
  PROBE_ANSWER,
  unpack,
} from "./envelope.ts";

/** A function run in a worker for each JetStream message. */
export type JetStreamHandlerFn = (
  message: JetStreamMessage,
  ctx: HandlerContext,
) => unknown;

/** A pool handler (`handle(input, ctx)`), for the pool's `handler` module. */
export type PoolHandler = (input: unknown, ctx: HandlerContext) => unknown;

/**
 * Wraps `fn` as the pool's handler: envelopes from a `JetStreamSource` are
 * unpacked and given to `fn`; any other input (the pool's own `run()` tasks)
 * goes to `otherwise`, or is refused with a `TypeError` without one.
 *
 * What `fn` returns (or resolves to) is the result, and the message is acked
 * after it; if it throws, the message is nak'ed (or termed past
 * `maxDeliver`). Handlers may see a message again after a crash or a lost
 * connection, so make their effects idempotent, keyed by `message.seq`.
 *
 * @example handler.ts, the pool's handler module
 * ```ts
 * import { jetStreamHandler } from "@efdpool/efdpool/jetstream";
 * export const handle = jetStreamHandler((msg) => {
 *   const job = msg.json<{ n: number }>();
 *   return { seq: msg.seq, square: job.n * job.n };
 * });
 * ```
 */
export function jetStreamHandler(
  fn: JetStreamHandlerFn,
  otherwise?: PoolHandler,
): PoolHandler {
  if (typeof fn !== "function") {
    throw new TypeError(
      `jetStreamHandler(fn): fn must be a function, got ${typeof fn}`,
    );
  }
  return (input, ctx) => {
    if (!isEnvelope(input)) {
      if (otherwise) return otherwise(input, ctx);
      throw new TypeError(
        "this pool handler takes JetStream messages only; pass jetStreamHandler(fn, otherwise) a second function for other tasks",
      );
    }
    const message = unpack(input);
    return message ? fn(message, ctx) : PROBE_ANSWER;
  };
}
