/**
 * Options and stats of the JetStream source.
 *
 * @module
 */

/** Options for {@linkcode JetStreamSource.connect}. */
export interface JetStreamConnectOptions {
  /** NATS server URLs (`nats://host:4222` or `host:port`); several for a cluster. */
  servers: string | string[];
  /** The stream to consume (best a work-queue stream). */
  stream: string;
  /** A durable pull consumer on it with `ack_policy: explicit`, shared by every host. */
  consumer: string;
  /** Name in stats and in the server's connection list (default `stream/consumer`). */
  name?: string;
  /** Milliseconds to wait for the first connection (default 5000). */
  connectTimeout?: number;
  /** Milliseconds between reconnect attempts after a lost connection (default 250); it retries forever. */
  reconnectWait?: number;
  /** Further options for the NATS client's `connect()` (TLS, credentials, …). */
  nats?: Record<string, unknown>;
}

/** A message's identity, for `onResult` and `onError`. */
export interface MessageInfo {
  /** Its subject. */
  subject: string;
  /** Its stream sequence. */
  seq: number;
  /** Its delivery count, from 1. */
  deliveryCount: number;
}

import type { SourceStats } from "../workers/types.ts";

/** The pool methods the source uses (a `WorkerPool` has them). */
export interface PoolLike {
  /** Number of workers. */
  readonly size: number;
  /** Runs one task through the pool's shared queue. */
  run(
    payload: unknown,
    options?: { signal?: AbortSignal; timeout?: number },
  ): Promise<unknown>;
  /** Resolves when the pool's queue has room. */
  ready(): Promise<void>;
  /** Lists the source in the pool's `stats().sources` (a `WorkerPool` has it). */
  addStatsSource?(read: () => SourceStats): Disposable;
}

/** Options for `pool.attach(source, options)` with a {@linkcode JetStreamSource}. */
export interface JetStreamAttachOptions {
  /**
   * Most messages pulled and not yet acked or nak'ed (default
   * `max(128, 32 × pool.size)`, at most the consumer's `max_ack_pending`).
   * Pulls ask for what is free of this, so a busy pool pulls nothing.
   */
  maxInFlight?: number;
  /** Milliseconds before the server redelivers a message whose handler threw (default 1000; 0 at once). */
  nakDelay?: number;
  /**
   * Deliveries after which a message whose handler throws is `term`ed, not
   * nak'ed (default: the consumer's `max_deliver`; unlimited if it has none).
   */
  maxDeliver?: number;
  /** Milliseconds a pull request waits for messages on an idle stream (default and least 1000). `close()` may take this long: it listens until its last request ends. */
  expires?: number;
  /** Called on the main thread with each handler's result, before the ack. */
  onResult?: (result: unknown, message: MessageInfo) => void;
  /**
   * Called on the main thread when a handler throws (with the message), or
   * when the source meets a fault (without): a lost connection, a message
   * too large, a deleted consumer. Without it, the source dispatches an
   * `error` event.
   */
  onError?: (error: Error, message?: MessageInfo) => void;
}

/** Options for {@linkcode JetStreamSource.close}. */
export interface JetStreamCloseOptions {
  /**
   * Milliseconds in-flight handlers get to finish (default 10000); then the
   * queued ones are cancelled, the running ones' signals abort, and all of
   * them are nak'ed for another host.
   */
  timeout?: number;
}

/** A snapshot from {@linkcode JetStreamSource.stats}. */
export interface JetStreamStats {
  /** The source's name. */
  name: string;
  /** Messages pulled from the server. */
  pulled: number;
  /** Messages acked after their handler succeeded. */
  acked: number;
  /** Messages nak'ed: the handler threw, too large, or unfinished at close. */
  naked: number;
  /** Messages termed: the handler threw on the last allowed delivery. */
  termed: number;
  /** Pulled messages that had been delivered before (here or on another host). */
  redelivered: number;
  /** Handlers that threw (or whose worker died). */
  failed: number;
  /** Messages pulled and not yet acked, nak'ed or termed. */
  inFlight: number;
  /** The most in flight at once. */
  peakInFlight: number;
  /** `working()` signals sent for messages held longer than a third of `ack_wait`. */
  working: number;
  /** Pull requests made. */
  pulls: number;
  /** Times the connection came back after it was lost. */
  reconnects: number;
  /** Whether the connection is up now. */
  connected: boolean;
}
