/**
 * The messages a source holds (pulled, not yet acked, nak'ed or termed),
 * the replies that release them, and the source's counters.
 *
 * @module
 */

import type { JsMsg } from "./nats.ts";
import type { JetStreamStats, MessageInfo } from "./types.ts";

interface Entry {
  m: JsMsg;
  /** When it was pulled or last kept alive with `working()`. */
  touched: number;
}

/** Counters kept by the source; `JetStreamStats` adds the live ones. */
export type Counters = Omit<JetStreamStats, "name" | "inFlight" | "connected">;

/** Held messages by key; every reply releases its message exactly once. */
export class Held {
  readonly n: Counters = {
    pulled: 0,
    acked: 0,
    naked: 0,
    termed: 0,
    redelivered: 0,
    failed: 0,
    peakInFlight: 0,
    working: 0,
    pulls: 0,
    reconnects: 0,
  };
  /**
   * When the source is closing: until when its last pull request may still
   * be open on the server. A nak'ed message would be redelivered into that
   * request, so nak delays reach past it, and another host gets the message.
   */
  closingUntil = 0;
  readonly #map = new Map<number, Entry>();
  #next = 1;
  #freed: (() => void)[] = [];

  /** Messages held. */
  get size(): number {
    return this.#map.size;
  }

  /** Holds a pulled message; returns its key and identity. */
  add(m: JsMsg): { key: number; info: MessageInfo } {
    const deliveryCount = this.#count(m);
    const key = this.#next++;
    this.#map.set(key, { m, touched: performance.now() });
    if (this.#map.size > this.n.peakInFlight) {
      this.n.peakInFlight = this.#map.size;
    }
    return { key, info: { subject: m.subject, seq: m.seq, deliveryCount } };
  }

  /** Acks a held message: its handler succeeded. */
  ack(key: number): void {
    const e = this.#release(key);
    if (e && send(() => e.m.ack())) this.n.acked++;
  }

  /** Naks a held message for redelivery after `delay` ms. */
  nak(key: number, delay: number): void {
    const e = this.#release(key);
    if (e) this.#nak(e.m, delay);
  }

  /** Terms a held message: no more deliveries. */
  term(key: number, reason: string): void {
    const e = this.#release(key);
    if (e && send(() => e.m.term(reason))) this.n.termed++;
  }

  /** Counts and naks a message that is not to be held (one that arrived while closing). */
  refuse(m: JsMsg): void {
    this.#count(m);
    this.#nak(m, 0);
  }

  /** Counts a pulled message, held or not; returns its delivery count. */
  #count(m: JsMsg): number {
    const deliveryCount = m.info.deliveryCount;
    this.n.pulled++;
    if (deliveryCount > 1) this.n.redelivered++;
    return deliveryCount;
  }

  #nak(m: JsMsg, delay: number): void {
    if (this.closingUntil) {
      delay = Math.max(
        delay,
        Math.ceil(this.closingUntil - performance.now()) + 100,
      );
    }
    if (send(() => m.nak(delay > 0 ? delay : undefined))) this.n.naked++;
  }

  /** Resolves when a message is released (at once if none is held). */
  freed(): Promise<void> {
    if (this.#map.size === 0) return Promise.resolve();
    return new Promise((r) => this.#freed.push(r));
  }

  /** Resolves when nothing is held. */
  async idle(): Promise<void> {
    while (this.#map.size) await this.freed();
  }

  /** Sends `working()` for messages untouched for `every` ms, so `ack_wait` does not pass. */
  keepAlive(every: number): void {
    const now = performance.now();
    for (const e of this.#map.values()) {
      if (now - e.touched < every) continue;
      e.touched = now;
      if (send(() => e.m.working())) this.n.working++;
    }
  }

  #release(key: number): Entry | undefined {
    const e = this.#map.get(key);
    this.#map.delete(key);
    for (const r of this.#freed.splice(0)) r();
    return e;
  }
}

/** False if the connection is gone: the server then redelivers after `ack_wait`. */
function send(reply: () => void): boolean {
  try {
    reply();
    return true;
  } catch {
    return false;
  }
}
