/**
 * Test helper: a client connection to make streams and consumers, publish
 * in bulk, and read consumer state.
 *
 * @module
 */

import {
  connect,
  type NatsConnection,
} from "npm:@nats-io/transport-node@3.4.0";
import {
  AckPolicy,
  type ConsumerConfig,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
} from "npm:@nats-io/jetstream@3.4.0";
import { DeadlineError } from "./_deadline.ts";

/** Polls async `cond` every 20 ms until true, or fails after `ms` naming `what`. */
export async function pollUntil(
  cond: () => Promise<boolean> | boolean,
  ms: number,
  what: string,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new DeadlineError(what, ms);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An admin connection to a test server. */
export class Admin {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;

  private constructor(nc: NatsConnection, jsm: JetStreamManager) {
    this.nc = nc;
    this.jsm = jsm;
  }

  static async open(url: string): Promise<Admin> {
    const nc = await connect({
      servers: url,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 100,
    });
    return new Admin(nc, await jetstreamManager(nc));
  }

  /** A work-queue stream on `subject.>` and a durable pull consumer with explicit acks. */
  async queue(
    stream: string,
    consumer: string,
    config: Partial<ConsumerConfig> = {},
  ): Promise<void> {
    await this.jsm.streams.add({
      name: stream,
      subjects: [`${stream.toLowerCase()}.>`],
      retention: RetentionPolicy.Workqueue,
    });
    await this.jsm.consumers.add(stream, {
      durable_name: consumer,
      ack_policy: AckPolicy.Explicit,
      ...config,
    });
  }

  /**
   * Publishes `n` messages (payload: their index as text) without waiting
   * for a per-message ack, then waits until the stream holds them all.
   */
  async publish(
    stream: string,
    n: number,
    payload = (i: number) => String(i),
  ): Promise<void> {
    const before = (await this.jsm.streams.info(stream)).state.last_seq;
    const subject = `${stream.toLowerCase()}.job`;
    for (let i = 0; i < n; i++) {
      this.nc.publish(subject, payload(i));
      if (i % 5000 === 4999) await this.nc.flush();
    }
    await this.nc.flush();
    await pollUntil(
      async () =>
        (await this.jsm.streams.info(stream)).state.last_seq - before >= n,
      30_000,
      `${n} messages stored in ${stream}`,
    );
  }

  /** Messages not yet acked or termed: pending plus ack-pending. */
  async outstanding(stream: string, consumer: string): Promise<number> {
    // While a restarted server recovers, info requests time out: not done yet.
    const ci = await this.jsm.consumers.info(stream, consumer).catch(() =>
      null
    );
    return ci ? ci.num_pending + ci.num_ack_pending : -1;
  }

  async close(): Promise<void> {
    await this.nc.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
