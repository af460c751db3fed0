/**
 * The source's engine: pull requests sized to free capacity, one pool task
 * per message, and the reply its outcome calls for.
 *
 * @module
 */

import { ClosedError, FullError } from "../mod.ts";
import type { Opened } from "./connect.ts";
import { pack } from "./envelope.ts";
import {
  ConsumerNotFoundError,
  JetStreamSourceError,
  MessageTooLargeError,
} from "./errors.ts";
import type { Held } from "./held.ts";
import type { JsMsg } from "./nats.ts";
import type { Settings } from "./settings.ts";
import { later } from "./timing.ts";
import type { MessageInfo } from "./types.ts";

/** The abort reason for what the pool still runs for us when close() gives up waiting. */
export const CLOSING = new ClosedError(
  "JetStream source",
  "finish a handler in time",
);
const NOT_FOUND = [10014, 10059]; // consumer, stream

/** What the feed needs from its source. */
export interface FeedHost {
  readonly name: string;
  readonly stream: string;
  readonly consumer: string;
  /** Whether the source still wants messages (attached, not closing). */
  pulling(): boolean;
  connected(): boolean;
  report(error: Error, message?: MessageInfo): void;
  /** Ends the source with `error`. */
  fault(error: Error): void;
}

/** Feeds one pool from one consumer until the host stops pulling. */
export class Feed {
  readonly #o: Opened;
  readonly #held: Held;
  readonly #set: Settings;
  readonly #signal: AbortSignal;
  readonly #host: FeedHost;

  constructor(
    o: Opened,
    held: Held,
    set: Settings,
    signal: AbortSignal,
    host: FeedHost,
  ) {
    this.#o = o;
    this.#held = held;
    this.#set = set;
    this.#signal = signal;
    this.#host = host;
  }

  /**
   * One pull request at a time, for what is free of `max`; waits for half
   * of it to be free unless nothing is held. Once the host stops pulling,
   * it listens until its last request ends, handing back what still comes.
   */
  async run(): Promise<void> {
    const held = this.#held, set = this.#set, host = this.#host;
    while (host.pulling()) {
      const free = set.max - held.size;
      if (held.size > 0 && free < set.max / 2) {
        await held.freed();
        continue;
      }
      if (!host.connected()) {
        await later(50);
        continue;
      }
      const ends = performance.now() + set.expires;
      try {
        const iter = await this.#o.consumer.fetch({
          max_messages: free,
          expires: set.expires,
        });
        held.n.pulls++;
        for await (const m of iter) {
          if (host.pulling()) await this.#dispatch(m);
          else {
            held.closingUntil = ends;
            held.refuse(m);
          }
        }
        const end = await iter.closed();
        if (end instanceof Error) throw end;
      } catch (e) {
        if (await this.#gone(e)) return;
        await later(100);
      }
    }
  }

  /** After a failed pull: true (and the source ends) if the consumer or stream is gone. */
  async #gone(cause: unknown): Promise<boolean> {
    const host = this.#host;
    if (!host.pulling() || !host.connected()) return false;
    try {
      await this.#o.consumer.info();
      return false;
    } catch (e) {
      const code = (e as { code?: number }).code;
      if (
        !(e instanceof this.#o.nats.JetStreamApiError) ||
        !NOT_FOUND.includes(code!)
      ) {
        return false;
      }
      host.fault(
        new ConsumerNotFoundError(host.stream, host.consumer, e ?? cause),
      );
      return true;
    }
  }

  async #dispatch(m: JsMsg): Promise<void> {
    const set = this.#set;
    const { key, info } = this.#held.add(m);
    const bytes = pack({
      subject: m.subject,
      seq: m.seq,
      deliveryCount: info.deliveryCount,
      timestamp: m.info.timestampNanos / 1e6,
      headers: m.headers,
      data: m.data,
    });
    try {
      await set.pool.ready();
    } catch (e) {
      // The pool takes no more work (closed, or its handler failed to load).
      // The message is held: reply to it here, or it would be kept alive
      // with working() and no other host would get it.
      return this.#poolGone(key, e);
    }
    set.pool.run(bytes, { signal: this.#signal }).then(
      (result) => {
        try {
          set.onResult?.(result, info);
        } catch (e) {
          return this.#handlerFailed(key, info, e);
        }
        this.#held.ack(key);
      },
      (e) => this.#refused(key, info, e, bytes.length),
    );
  }

  /** `run()` rejected: cancelled at close, pool closed or full, payload too large, or the handler failed. */
  #refused(key: number, info: MessageInfo, e: unknown, bytes: number): void {
    const held = this.#held, set = this.#set, host = this.#host;
    if (e === CLOSING) held.nak(key, 0);
    else if (e instanceof ClosedError) this.#poolGone(key, e);
    else if (e instanceof FullError) {
      // Other run() callers filled the queue after ready(): not the message's fault.
      held.nak(key, set.nakDelay);
    } else if (e instanceof RangeError) {
      // run() refuses a payload the queue cannot hold, before queueing it.
      held.nak(key, set.nakDelay);
      host.report(new MessageTooLargeError(info.seq, bytes, e));
    } else this.#handlerFailed(key, info, (e as Error)?.cause ?? e);
  }

  /** The pool refused the message because it takes no more work: nak it and end the source. */
  #poolGone(key: number, cause: unknown): void {
    const name = this.#host.name;
    // Fault first: closing delays the nak past our last pull request, so
    // the message goes to another host, not back to us.
    this.#host.fault(
      new JetStreamSourceError(`the pool fed by ${name} was closed`, { cause }),
    );
    this.#held.nak(key, 0);
  }

  /** The handler (or its worker, or `onResult`) failed: nak for a retry, or term on the last delivery. */
  #handlerFailed(key: number, info: MessageInfo, cause: unknown): void {
    const held = this.#held, set = this.#set;
    held.n.failed++;
    this.#host.report(
      cause instanceof Error ? cause : new Error(String(cause)),
      info,
    );
    if (info.deliveryCount >= set.maxDeliver) {
      held.term(
        key,
        `handler failed on delivery ${info.deliveryCount} of ${set.maxDeliver}`,
      );
    } else held.nak(key, set.nakDelay);
  }
}
