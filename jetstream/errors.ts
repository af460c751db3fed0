/**
 * Error classes of the JetStream source. Every one names its cause: the
 * servers, stream or consumer involved, and what to change.
 *
 * @module
 */

import { EfdpoolError } from "../errors.ts";

/** Base class: anything the JetStream source refuses or fails at. */
export class JetStreamSourceError extends EfdpoolError {
  /**
   * Builds the error.
   *
   * @example
   * ```ts
   * import { JetStreamSourceError } from "@efdpool/efdpool/jetstream";
   * console.log(new JetStreamSourceError("oops").name);
   * ```
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** No server in `servers` could be reached (or it has no JetStream). */
export class JetStreamConnectError extends JetStreamSourceError {
  /** The servers that were tried. */
  readonly servers: string[];

  /**
   * Builds the error.
   *
   * @example
   * ```ts
   * import { JetStreamConnectError } from "@efdpool/efdpool/jetstream";
   * console.log(new JetStreamConnectError(["127.0.0.1:4222"], new Error("ECONNREFUSED")).message);
   * ```
   */
  constructor(servers: string[], cause: unknown, what = "cannot connect to") {
    super(
      `${what} NATS at ${servers.join(", ")}: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
    this.servers = servers;
  }
}

/** The stream named in `stream` does not exist on the server. */
export class StreamNotFoundError extends JetStreamSourceError {
  /** The stream's name. */
  readonly stream: string;

  /**
   * Builds the error.
   *
   * @example
   * ```ts
   * import { StreamNotFoundError } from "@efdpool/efdpool/jetstream";
   * console.log(new StreamNotFoundError("JOBS").message);
   * ```
   */
  constructor(stream: string, cause?: unknown) {
    super(
      `stream "${stream}" not found: create it first (e.g. nats stream add ${stream} --retention work)`,
      { cause },
    );
    this.stream = stream;
  }
}

/** The consumer named in `consumer` does not exist on the stream. */
export class ConsumerNotFoundError extends JetStreamSourceError {
  /** The stream's name. */
  readonly stream: string;
  /** The consumer's name. */
  readonly consumer: string;

  /**
   * Builds the error.
   *
   * @example
   * ```ts
   * import { ConsumerNotFoundError } from "@efdpool/efdpool/jetstream";
   * console.log(new ConsumerNotFoundError("JOBS", "workers").message);
   * ```
   */
  constructor(stream: string, consumer: string, cause?: unknown) {
    super(
      `consumer "${consumer}" not found on stream "${stream}": create a durable pull consumer with explicit acks first`,
      { cause },
    );
    this.stream = stream;
    this.consumer = consumer;
  }
}

/** The consumer exists but cannot serve a pool: it pushes, or does not ask for explicit acks. */
export class ConsumerConfigError extends JetStreamSourceError {
  /** The consumer's name. */
  readonly consumer: string;

  /**
   * Builds the error.
   *
   * @example
   * ```ts
   * import { ConsumerConfigError } from "@efdpool/efdpool/jetstream";
   * console.log(new ConsumerConfigError("workers", "its ack_policy is none").message);
   * ```
   */
  constructor(consumer: string, problem: string) {
    super(`consumer "${consumer}" cannot feed a pool: ${problem}`);
    this.consumer = consumer;
  }
}

/** The consumer is a push consumer (it has a `deliver_subject`); the source pulls. */
export class NotPullConsumerError extends ConsumerConfigError {
  /**
   * Builds the error.
   *
   * @example
   * ```ts
   * import { NotPullConsumerError } from "@efdpool/efdpool/jetstream";
   * console.log(new NotPullConsumerError("workers", "deliver.x").message);
   * ```
   */
  constructor(consumer: string, deliverSubject: string) {
    super(
      consumer,
      `it is a push consumer (deliver_subject "${deliverSubject}"); make a pull consumer (no deliver_subject)`,
    );
  }
}

/**
 * A message is larger than the pool's task queue takes. It is not acked: it
 * is nak'ed and stays in the stream (never `term`ed), so nothing is lost.
 */
export class MessageTooLargeError extends JetStreamSourceError {
  /** The message's stream sequence. */
  readonly seq: number;
  /** Bytes it would take in the queue (payload, subject, headers). */
  readonly bytes: number;

  /**
   * Builds the error.
   *
   * @example
   * ```ts
   * import { MessageTooLargeError } from "@efdpool/efdpool/jetstream";
   * console.log(new MessageTooLargeError(7, 2 << 20).message);
   * ```
   */
  constructor(seq: number, bytes: number, cause?: unknown) {
    super(
      `message ${seq} (${bytes} bytes) is too large for the pool's task queue; nak'ed and left in the stream${
        cause instanceof Error ? `: ${cause.message}` : ""
      }`,
      { cause },
    );
    this.seq = seq;
    this.bytes = bytes;
  }
}

/** The pool's handler module does not wrap its function with `jetStreamHandler`. */
export class HandlerNotWrappedError extends JetStreamSourceError {
  /**
   * Builds the error.
   *
   * @example
   * ```ts
   * import { HandlerNotWrappedError } from "@efdpool/efdpool/jetstream";
   * console.log(new HandlerNotWrappedError("ok").message);
   * ```
   */
  constructor(got: unknown) {
    super(
      `the pool's handler did not answer as jetStreamHandler(fn) does (it returned ${
        String(got).slice(0, 60)
      }): export const handle = jetStreamHandler(fn) in the pool's handler module`,
    );
  }
}
