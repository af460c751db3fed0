/**
 * `JetStreamSource`: a durable pull consumer of a NATS JetStream stream,
 * feeding a pool through its task queue — one message, one task, one
 * eventfd unit — acked after its handler succeeds.
 *
 * @module
 */

import { PoolClosedError } from "../mod.ts";
import { open, type Opened } from "./connect.ts";
import { pack, probe, PROBE_ANSWER } from "./envelope.ts";
import {
  ConsumerNotFoundError,
  HandlerNotWrappedError,
  JetStreamConnectError,
  JetStreamSourceClosedError,
  JetStreamSourceError,
  MessageTooLargeError,
} from "./errors.ts";
import type { ConsumerMessages, JsMsg } from "./nats.ts";
import { later, within } from "./timing.ts";
import type {
  JetStreamAttachOptions,
  JetStreamCloseOptions,
  JetStreamConnectOptions,
  JetStreamStats,
  MessageInfo,
  PoolLike,
} from "./types.ts";

interface Held {
  m: JsMsg;
  info: MessageInfo;
  /** When it was pulled or last kept alive with `working()`. */
  touched: number;
}

interface Settings {
  pool: PoolLike;
  max: number;
  nakDelay: number;
  maxDeliver: number;
  expires: number;
  onResult?: JetStreamAttachOptions["onResult"];
  onError?: JetStreamAttachOptions["onError"];
}

/** Aborts what the pool still runs for us at close, recognisably. */
const CLOSING = new JetStreamSourceClosedError("finish a handler in time");
const PROBE_TIMEOUT = 30_000;

function checkInt(what: string, v: unknown, min: number): number {
  if (!Number.isInteger(v) || (v as number) < min) {
    throw new RangeError(`${what} must be an integer ≥ ${min}, got ${v}`);
  }
  return v as number;
}

/**
 * Messages of a JetStream stream, handled by a pool on this host — and by
 * pools on other hosts pointed at the same consumer, each message by one of
 * them. A message is acked after its handler succeeds, nak'ed (with a
 * delay) if it throws, `term`ed if it throws on its last allowed delivery,
 * and kept alive with `working()` while it waits or runs longer than the
 * consumer's `ack_wait`. A host that dies leaves its messages unacked; the
 * server redelivers them to the others after `ack_wait`.
 *
 * @example
 * ```ts ignore
 * import { WorkerPool } from "@efdpool/efdpool";
 * import { JetStreamSource } from "@efdpool/efdpool/jetstream";
 * // handler.ts: export const handle = jetStreamHandler((msg) => msg.json());
 * await using pool = new WorkerPool({ workers: 4, handler: new URL("./handler.ts", import.meta.url) });
 * await using source = await JetStreamSource.connect({
 *   servers: ["nats://10.0.0.1:4222", "nats://10.0.0.2:4222"],
 *   stream: "JOBS",
 *   consumer: "workers",
 * });
 * await source.attach(pool, { nakDelay: 5000, onResult: (r, m) => console.log(m.seq, r) });
 * Deno.addSignalListener("SIGTERM", () => source.close());
 * await source.stopped;
 * ```
 */
export class JetStreamSource extends EventTarget {
  /** The name in stats (default `stream/consumer`). */
  readonly name: string;
  /** The stream consumed. */
  readonly stream: string;
  /** The durable pull consumer pulled from. */
  readonly consumer: string;
  /**
   * Settles when the source has stopped and drained its connection: with
   * undefined after `close()`, with the error after a fault that ended it
   * (the consumer or stream deleted, the pool closed). Never rejects.
   */
  readonly stopped: Promise<Error | undefined>;
  readonly #o: Opened;
  readonly #ackWait: number;
  readonly #held = new Map<number, Held>();
  readonly #abort = new AbortController();
  #set?: Settings;
  #nextKey = 1;
  #state: "open" | "attached" | "closing" | "closed" = "open";
  #connected = true;
  #iter?: ConsumerMessages;
  #wake?: () => void;
  #idle?: () => void;
  #pulling?: Promise<void>;
  #keepalive?: ReturnType<typeof setInterval>;
  #closing?: Promise<void>;
  #stop!: (e: Error | undefined) => void;
  readonly #n = {
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

  private constructor(o: Opened, options: JetStreamConnectOptions) {
    super();
    this.#o = o;
    this.stream = options.stream;
    this.consumer = options.consumer;
    this.name = options.name ?? `${options.stream}/${options.consumer}`;
    this.#ackWait = (o.info.config.ack_wait ?? 30e9) / 1e6;
    this.stopped = new Promise((r) => this.#stop = r);
    void this.#watch();
  }

  /**
   * Connects to NATS and checks the stream and the consumer: it must be a
   * durable pull consumer with explicit acks. Throws `TypeError`/`RangeError`
   * for bad options (before connecting), `JetStreamConnectError`,
   * `StreamNotFoundError`, `ConsumerNotFoundError`, `NotPullConsumerError`
   * or `ConsumerConfigError`; no connection stays open after a throw.
   *
   * @example
   * ```ts ignore
   * import { JetStreamSource } from "@efdpool/efdpool/jetstream";
   * const source = await JetStreamSource.connect({ servers: "127.0.0.1:4222", stream: "JOBS", consumer: "workers" });
   * await source.close();
   * ```
   */
  static async connect(
    options: JetStreamConnectOptions,
  ): Promise<JetStreamSource> {
    return new JetStreamSource(await open(options), options);
  }

  /**
   * Starts feeding `pool`. First runs one probe task to check that the
   * pool's handler is wrapped with `jetStreamHandler` (else
   * `HandlerNotWrappedError`), then pulls in batches of what is free of
   * `maxInFlight`. A source feeds one pool.
   *
   * @example
   * ```ts ignore
   * await source.attach(pool, { maxInFlight: 256, nakDelay: 2000 });
   * ```
   */
  async attach(
    pool: PoolLike,
    options: JetStreamAttachOptions = {},
  ): Promise<this> {
    if (this.#state !== "open") {
      if (this.#state === "attached") {
        throw new JetStreamSourceError(
          `source ${this.name} is already attached to a pool`,
        );
      }
      throw new JetStreamSourceClosedError("attach");
    }
    if (typeof pool?.run !== "function" || typeof pool.ready !== "function") {
      throw new TypeError("attach(pool): pool must be a WorkerPool");
    }
    const cfg = this.#o.info.config;
    const pending = cfg.max_ack_pending ?? -1;
    const cap = pending > 0 ? pending : Infinity;
    const max = checkInt(
      "maxInFlight",
      options.maxInFlight ?? Math.min(cap, Math.max(64, 16 * pool.size)),
      1,
    );
    const nakDelay = options.nakDelay ?? 1000;
    if (!(nakDelay >= 0)) {
      throw new RangeError(
        `nakDelay must be a number of ms ≥ 0, got ${nakDelay}`,
      );
    }
    const expires = options.expires ?? 5000;
    if (!(expires >= 1000)) {
      throw new RangeError(
        `expires must be a number of ms ≥ 1000, got ${expires}`,
      );
    }
    const maxDeliver = options.maxDeliver === undefined
      ? ((cfg.max_deliver ?? -1) > 0 ? cfg.max_deliver! : Infinity)
      : checkInt("maxDeliver", options.maxDeliver, 1);
    this.#state = "attached";
    try {
      const answer = await pool.run(probe(), { timeout: PROBE_TIMEOUT });
      if (answer !== PROBE_ANSWER) throw new HandlerNotWrappedError(answer);
    } catch (e) {
      this.#state = "open";
      throw e instanceof HandlerNotWrappedError
        ? e
        : new HandlerNotWrappedError(e);
    }
    if (this.#state !== "attached") {
      throw new JetStreamSourceClosedError("attach");
    }
    this.#set = {
      pool,
      max: Math.min(max, cap),
      nakDelay,
      maxDeliver,
      expires,
      onResult: options.onResult,
      onError: options.onError,
    };
    const every = Math.max(20, this.#ackWait / 3);
    this.#keepalive = setInterval(() => this.#keepAlive(every), every);
    this.#pulling = this.#pull();
    return this;
  }

  /** Follows the connection: counts reconnects, and ends the source if it closes under us. */
  async #watch(): Promise<void> {
    const { nc, servers } = this.#o;
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === "disconnect") this.#connected = false;
        else if (s.type === "reconnect") {
          this.#connected = true;
          this.#n.reconnects++;
        }
      }
    })();
    const err = await nc.closed();
    this.#connected = false;
    if (this.#state === "open" || this.#state === "attached") {
      this.#fault(
        new JetStreamConnectError(
          servers,
          err ?? "closed",
          "lost the connection to",
        ),
      );
    }
  }

  async #pull(): Promise<void> {
    const set = this.#set!;
    while (this.#state === "attached") {
      const free = set.max - this.#held.size;
      // Pull in batches: wait for half the capacity unless nothing is held.
      if (free <= 0 || (this.#held.size > 0 && free < set.max / 2)) {
        await new Promise<void>((r) => this.#wake = r);
        continue;
      }
      if (!this.#connected) {
        await later(100);
        continue;
      }
      let iter: ConsumerMessages;
      try {
        iter = await this.#o.consumer.fetch({
          max_messages: free,
          expires: set.expires,
        });
      } catch (e) {
        if (this.#fatal(e)) return;
        await later(100);
        continue;
      }
      this.#iter = iter;
      this.#n.pulls++;
      try {
        for await (const m of iter) {
          if (this.#state !== "attached") this.#give(m, 0);
          else await this.#dispatch(m);
        }
      } catch (e) {
        if (this.#fatal(e)) return;
      }
      this.#iter = undefined;
      const end = await iter.closed().catch((e) => e);
      if (end instanceof Error && this.#fatal(end)) return;
    }
  }

  /** True (and the source ends) for errors no retry can fix. */
  #fatal(e: unknown): boolean {
    const msg = e instanceof Error ? e.message : String(e);
    if (!/consumer (not found|deleted)|stream (not found|deleted)/i.test(msg)) {
      return false;
    }
    this.#fault(new ConsumerNotFoundError(this.stream, this.consumer, e));
    return true;
  }

  async #dispatch(m: JsMsg): Promise<void> {
    const set = this.#set!;
    const n = this.#n;
    const deliveryCount = m.info.deliveryCount;
    n.pulled++;
    if (deliveryCount > 1) n.redelivered++;
    const info: MessageInfo = { subject: m.subject, seq: m.seq, deliveryCount };
    const key = this.#nextKey++;
    const held: Held = { m, info, touched: performance.now() };
    this.#held.set(key, held);
    if (this.#held.size > n.peakInFlight) n.peakInFlight = this.#held.size;
    const bytes = pack({
      subject: m.subject,
      seq: m.seq,
      deliveryCount,
      timestamp: m.info.timestampNanos / 1e6,
      headers: m.headers,
      data: m.data,
    });
    await set.pool.ready();
    set.pool.run(bytes, { signal: this.#abort.signal }).then(
      (result) => this.#succeeded(key, held, result),
      (e) => this.#failed(key, held, e, bytes.length),
    );
  }

  #succeeded(key: number, h: Held, result: unknown): void {
    try {
      this.#set!.onResult?.(result, h.info);
    } catch (e) {
      return this.#failed(key, h, e, 0);
    }
    if (this.#reply(h.m, "ack")) this.#n.acked++;
    this.#release(key);
  }

  #failed(key: number, h: Held, e: unknown, bytes: number): void {
    const set = this.#set!;
    if (e === CLOSING) this.#give(h.m, 0);
    else if (e instanceof PoolClosedError) {
      this.#give(h.m, 0);
      this.#fault(
        new JetStreamSourceError(`the pool fed by ${this.name} was closed`, {
          cause: e,
        }),
      );
    } else if (e instanceof RangeError) {
      this.#give(h.m, set.nakDelay);
      this.#report(new MessageTooLargeError(h.info.seq, bytes, e));
    } else {
      this.#n.failed++;
      const cause = (e as Error)?.cause ?? e;
      this.#report(
        cause instanceof Error ? cause : new Error(String(cause)),
        h.info,
      );
      if (h.info.deliveryCount >= set.maxDeliver) {
        if (
          this.#reply(
            h.m,
            "term",
            `handler failed on delivery ${h.info.deliveryCount} of ${set.maxDeliver}`,
          )
        ) this.#n.termed++;
      } else this.#give(h.m, set.nakDelay);
    }
    this.#release(key);
  }

  /** Naks a message so the server hands it out again (here or on another host). */
  #give(m: JsMsg, delay: number): void {
    if (this.#reply(m, "nak", delay || undefined)) this.#n.naked++;
  }

  /** Sends an ack, nak or term; false if the connection is gone (the server redelivers after `ack_wait`). */
  #reply(
    m: JsMsg,
    how: "ack" | "nak" | "term",
    arg?: number | string,
  ): boolean {
    try {
      if (how === "ack") m.ack();
      else if (how === "nak") m.nak(arg as number | undefined);
      else m.term(arg as string);
      return true;
    } catch {
      return false;
    }
  }

  #release(key: number): void {
    this.#held.delete(key);
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
    if (this.#held.size === 0) this.#idle?.();
  }

  #keepAlive(every: number): void {
    const now = performance.now();
    for (const h of this.#held.values()) {
      if (now - h.touched < every) continue;
      h.touched = now;
      try {
        h.m.working();
        this.#n.working++;
      } catch { /* disconnected: the server redelivers after ack_wait */ }
    }
  }

  #report(error: Error, message?: MessageInfo): void {
    const onError = this.#set?.onError;
    if (onError) onError(error, message);
    else {
      this.dispatchEvent(
        new ErrorEvent("error", { error, message: error.message }),
      );
    }
  }

  #fault(error: Error): void {
    if (this.#state === "closing" || this.#state === "closed") return;
    this.#report(error);
    void this.#close(10_000, error);
  }

  /**
   * Counters: pulled, acked, nak'ed, termed, redelivered, failed, in
   * flight (and its peak), `working()` signals, pulls, reconnects.
   *
   * @example
   * ```ts ignore
   * const { pulled, acked, inFlight } = source.stats();
   * ```
   */
  stats(): JetStreamStats {
    return {
      name: this.name,
      ...this.#n,
      inFlight: this.#held.size,
      connected: this.#connected,
    };
  }

  /**
   * Stops pulling, lets in-flight handlers finish for up to `timeout` ms
   * (acking them), naks what is left, and drains the connection. Resolves
   * when done; calling it again returns the same promise.
   *
   * @example
   * ```ts ignore
   * await source.close({ timeout: 5000 });
   * ```
   */
  close(options: JetStreamCloseOptions = {}): Promise<void> {
    const timeout = options.timeout ?? 10_000;
    if (!(timeout >= 0)) {
      return Promise.reject(
        new RangeError(`timeout must be a number of ms ≥ 0, got ${timeout}`),
      );
    }
    return this.#close(timeout);
  }

  #close(timeout: number, fault?: Error): Promise<void> {
    return this.#closing ??= (async () => {
      this.#state = "closing";
      this.#iter?.stop();
      this.#wake?.();
      await within(this.#pulling ?? Promise.resolve(), 2000);
      const idle = () =>
        this.#held.size === 0
          ? Promise.resolve()
          : new Promise<void>((r) => this.#idle = r);
      if (!(await within(idle(), timeout))) {
        this.#abort.abort(CLOSING);
        await within(idle(), 2000);
      }
      clearInterval(this.#keepalive);
      const { nc } = this.#o;
      if (!(await within(nc.drain().catch(() => {}), 5000))) {
        await nc.close().catch(() => {});
      }
      this.#state = "closed";
      this.#stop(fault);
    })();
  }

  /**
   * `await using source = await JetStreamSource.connect(…)` closes it at the end of the scope.
   *
   * @example
   * ```ts ignore
   * await using source = await JetStreamSource.connect({ servers: "127.0.0.1:4222", stream: "JOBS", consumer: "workers" });
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
