/**
 * Opening a JetStream source: check the options, connect, and check that
 * the stream and consumer exist and can feed a pool. Every failure is a
 * typed error naming its cause, and leaves no connection open.
 *
 * @module
 */

import {
  ConsumerConfigError,
  ConsumerNotFoundError,
  JetStreamConnectError,
  NotPullConsumerError,
  StreamNotFoundError,
} from "./errors.ts";
import type { JetStreamConnectOptions } from "./types.ts";
import type * as Nats from "./nats.ts";

/** What `JetStreamSource` works with once connected. */
export interface Opened {
  nats: typeof Nats;
  nc: Nats.NatsConnection;
  consumer: Nats.Consumer;
  info: Nats.ConsumerInfo;
  servers: string[];
}

// JetStream names: no whitespace, dots, wildcards or path separators.
const NAME = /^[^\s.*>/\\]+$/;
const STREAM_NOT_FOUND = 10059;
const CONSUMER_NOT_FOUND = 10014;

function checkName(what: string, v: unknown): string {
  if (typeof v !== "string" || !NAME.test(v)) {
    throw new TypeError(
      `${what} must be a JetStream name (no whitespace, ".", "*", ">", "/"), got ${
        JSON.stringify(v)
      }`,
    );
  }
  return v;
}

function checkMs(what: string, v: unknown, min: number): number {
  if (typeof v !== "number" || !(v >= min) || !Number.isFinite(v)) {
    throw new RangeError(`${what} must be a number of ms ≥ ${min}, got ${v}`);
  }
  return v;
}

/** Validates everything before any side effect, then connects and checks the consumer. */
export async function open(options: JetStreamConnectOptions): Promise<Opened> {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("JetStreamSource.connect() needs an options object");
  }
  const list = typeof options.servers === "string"
    ? [options.servers]
    : options.servers;
  if (
    !Array.isArray(list) || list.length === 0 ||
    !list.every((s) => typeof s === "string" && s.length > 0)
  ) {
    throw new TypeError(
      `servers must be a URL or a non-empty list of URLs, got ${
        JSON.stringify(options.servers)
      }`,
    );
  }
  const stream = checkName("stream", options.stream);
  const consumerName = checkName("consumer", options.consumer);
  const timeout = checkMs("connectTimeout", options.connectTimeout ?? 5000, 1);
  const wait = checkMs("reconnectWait", options.reconnectWait ?? 250, 1);

  const nats = await import("./nats.ts");
  let nc: Nats.NatsConnection;
  try {
    nc = await nats.connect({
      ...options.nats,
      servers: list,
      name: options.name ?? `efdpool ${stream}/${consumerName}`,
      timeout,
      maxReconnectAttempts: -1,
      reconnectTimeWait: wait,
    });
  } catch (e) {
    throw new JetStreamConnectError(list, e);
  }
  try {
    const jsm = await nats.jetstreamManager(nc).catch((e) => {
      throw new JetStreamConnectError(list, e, "no JetStream on");
    });
    await jsm.streams.info(stream).catch((e) => {
      if (e instanceof nats.JetStreamApiError && e.code === STREAM_NOT_FOUND) {
        throw new StreamNotFoundError(stream, e);
      }
      throw e;
    });
    const info = await jsm.consumers.info(stream, consumerName).catch((e) => {
      if (
        e instanceof nats.JetStreamApiError && e.code === CONSUMER_NOT_FOUND
      ) {
        throw new ConsumerNotFoundError(stream, consumerName, e);
      }
      throw e;
    });
    if (info.config.deliver_subject) {
      throw new NotPullConsumerError(consumerName, info.config.deliver_subject);
    }
    if (info.config.ack_policy !== nats.AckPolicy.Explicit) {
      throw new ConsumerConfigError(
        consumerName,
        `its ack_policy is "${info.config.ack_policy}"; each message must be acked on its own ("explicit")`,
      );
    }
    const consumer = await nats.jetstream(nc).consumers.get(
      stream,
      consumerName,
    );
    return { nats, nc, consumer, info, servers: list };
  } catch (e) {
    await nc.close().catch(() => {});
    throw e;
  }
}
