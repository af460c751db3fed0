/**
 * The NATS client, pinned in one place. Loaded with a dynamic `import()` by
 * `JetStreamSource.connect` only, so handler modules in workers (which
 * import this folder's `mod.ts` for `jetStreamHandler`) never load it.
 *
 * @module
 */

export {
  connect,
  type NatsConnection,
} from "npm:@nats-io/transport-node@3.4.0";
export {
  AckPolicy,
  type Consumer,
  type ConsumerConfig,
  type ConsumerInfo,
  type ConsumerMessages,
  jetstream,
  JetStreamApiError,
  jetstreamManager,
  type JsMsg,
} from "npm:@nats-io/jetstream@3.4.0";
