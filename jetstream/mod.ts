/**
 * A NATS JetStream source for efdpool: pools on many hosts share one work
 * queue (a durable pull consumer), each message handled by one worker of
 * one host, acked after its handler succeeds, redelivered if a host dies.
 *
 * Main thread: `JetStreamSource.connect(…)` then `pool.attach(source)`.
 * The pool's handler module: `export const handle = jetStreamHandler(fn)`.
 * Importing this module in a worker loads no NATS client: the client is
 * loaded by `connect()` only.
 *
 * @example
 * ```ts ignore
 * import { WorkerPool } from "@efdpool/efdpool";
 * import { JetStreamSource } from "@efdpool/efdpool/jetstream";
 * // handler.ts:
 * //   import { jetStreamHandler } from "@efdpool/efdpool/jetstream";
 * //   export const handle = jetStreamHandler((msg) => msg.string().length);
 * await using pool = new WorkerPool({ workers: 4, handler: new URL("./handler.ts", import.meta.url) });
 * await using source = await JetStreamSource.connect({ servers: "nats://127.0.0.1:4222", stream: "JOBS", consumer: "workers" });
 * await pool.attach(source);
 * ```
 *
 * @module
 */

export { JetStreamSource } from "./source.ts";
export {
  jetStreamHandler,
  type JetStreamHandlerFn,
  type PoolHandler,
} from "./handler.ts";
export type { JetStreamMessage } from "./envelope.ts";
export type { HandlerContext, Notification } from "../mod.ts";
export {
  ConsumerConfigError,
  ConsumerNotFoundError,
  HandlerNotWrappedError,
  JetStreamConnectError,
  JetStreamSourceError,
  MessageTooLargeError,
  NotPullConsumerError,
  StreamNotFoundError,
} from "./errors.ts";
export type {
  JetStreamAttachOptions,
  JetStreamCloseOptions,
  JetStreamConnectOptions,
  JetStreamStats,
  MessageInfo,
  PoolLike,
} from "./types.ts";
