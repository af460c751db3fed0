/**
 * `JetStreamSource`: a durable pull consumer of a NATS JetStream stream,
 * feeding a pool through its task queue — one message, one task, one
 * eventfd unit — acked after its handler succeeds.
 *
 * @module
 */

import { ClosedError, TaskFailedError } from "../mod.ts";
import { type Attachable, attachTo } from "../workers/attachable.ts";
import { open, type Opened } from "./connect.ts";
import { probe, PROBE_ANSWER } from "./envelope.ts";
import { CLOSING, Feed } from "./feed.ts";
import {
  HandlerNotWrappedError,
  JetStreamConnectError,
  JetStreamSourceError,
} from "./errors.ts";
import { Held } from "./held.ts";
import { type Settings, settings } from "./settings.ts";
import { within } from "./timing.ts";
import type { SourceStats } from "../workers/types.ts";
import type {
  JetStreamAttachOptions,
  JetStreamCloseOptions,
  JetStreamConnectOptions,
  JetStreamStats,
  MessageInfo,
  PoolLike,
} from "./types.ts";

const PROBE_TIMEOUT = 30_000;

/**
 * Messages of a JetStream stream, handled by a pool on this host — and by
 * pools on other hosts pointed at the same consumer, each message by one of
 * them. A message is acked after its handler succeeds, nak'ed (with a
 * delay) if it throws, `term`ed if it throws on its last allowed delivery,
 * and kept alive with `working()` while it waits or runs longer than a
 * third of the consumer's `ack_wait`. A host that dies leaves its messages
 * unacked; the server redelivers them to the others after `ack_wait`.
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
 * await pool.attach(source, { nakDelay: 5000, onResult: (r, m) => console.log(m.seq, r) });
 * Deno.addSignalListener("SIGTERM", () => source.close());
 * await source.stopped;
 * ```
 */
export class JetStreamSource extends EventTarget
  implements Attachable<JetStreamAttachOptions, Promise<JetStreamSource>> {
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
  readonly #held = new Held();
  readonly #abort = new AbortController();
  #set?: Settings;
  #state: "open" | "attached" | "closing" | "closed" = "open";
  #connected = true;
  #pulling?: Promise<void>;
  #keepalive?: ReturnType<typeof setInterval>;
  #listed?: Disposable;
  #closing?: Promise<void>;
  #stop!: (e: Error | undefined) => void;

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
   * Called by `pool.attach(source, options)`: starts feeding `pool`. First runs one probe task to check that the
   * pool's handler is wrapped with `jetStreamHandler` (else
   * `HandlerNotWrappedError`), then pulls in batches of what is free of
   * `maxInFlight`. A source feeds one pool.
   */
  async [attachTo](
    pool: PoolLike,
    options: JetStreamAttachOptions = {},
  ): Promise<JetStreamSource> {
    if (this.#state === "attached") {
      throw new JetStreamSourceError(
        `source ${this.name} is already attached to a pool`,
      );
    }
    if (this.#state !== "open") {
      throw new ClosedError("JetStream source", "attach");
    }
    const set = settings(pool, options, this.#o.info.config);
    this.#state = "attached";
    try {
      const answer = await pool.run(probe(), { timeout: PROBE_TIMEOUT });
      if (answer !== PROBE_ANSWER) throw new HandlerNotWrappedError(answer);
    } catch (e) {
      if (this.#state === "attached") this.#state = "open";
      if (e instanceof HandlerNotWrappedError) throw e;
      if (e instanceof TaskFailedError) throw new HandlerNotWrappedError(e);
      throw new JetStreamSourceError(
        `attach(): the pool did not run the probe task: ${
          (e as Error)?.message ?? e
        }`,
        { cause: e },
      );
    }
    if (this.#state !== "attached") {
      throw new ClosedError("JetStream source", "attach");
    }
    this.#set = set;
    this.#listed = pool.addStatsSource?.(() => this.#asSourceStats());
    // A message untouched for a third of ack_wait gets working(); checking
    // at twice that rate bounds its silence to half of ack_wait.
    const every = Math.max(20, this.#ackWait / 3);
    this.#keepalive = setInterval(
      () => this.#held.keepAlive(every),
      every / 2,
    );
    this.#pulling = new Feed(this.#o, this.#held, set, this.#abort.signal, {
      name: this.name,
      stream: this.stream,
      consumer: this.consumer,
      pulling: () => this.#state === "attached",
      connected: () => this.#connected,
      report: (e, m) => this.#report(e, m),
      fault: (e) => this.#fault(e),
    }).run();
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
          this.#held.n.reconnects++;
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

  /** To `onError`, else an `error` event; a throwing `onError` must not skip the message's reply. */
  #report(error: Error, message?: MessageInfo): void {
    const onError = this.#set?.onError;
    try {
      if (onError) return onError(error, message);
    } catch (e) {
      error = new JetStreamSourceError("onError threw", { cause: e });
    }
    this.dispatchEvent(
      new ErrorEvent("error", { error, message: error.message }),
    );
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
      ...this.#held.n,
      inFlight: this.#held.size,
      connected: this.#connected,
    };
  }

  /** This source as an entry of the pool's `stats().sources`. */
  #asSourceStats(): SourceStats {
    const s = this.stats();
    return {
      name: s.name,
      kind: "jetstream",
      taken: s.pulled,
      handled: s.acked,
      failed: s.failed,
      redelivered: s.redelivered,
      counters: {
        inFlight: s.inFlight,
        peakInFlight: s.peakInFlight,
        naked: s.naked,
        termed: s.termed,
        working: s.working,
        pulls: s.pulls,
        reconnects: s.reconnects,
        connected: s.connected ? 1 : 0,
      },
    };
  }

  /**
   * Stops pulling, lets in-flight handlers finish for up to `timeout` ms
   * (acking them), naks what is left, and drains the connection. Resolves
   * when done, within `timeout` plus the pull's `expires` and a few
   * seconds; calling it again returns the same promise.
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
      const held = this.#held;
      // Pulling once attach() finished its probe (a close during the probe
      // makes attach() throw).
      const set = this.#set;
      if (set) {
        // Nak'ed messages must not land in our own last pull request.
        held.closingUntil = performance.now() + set.expires;
        if (!(await within(held.idle(), timeout))) {
          this.#abort.abort(CLOSING);
          await within(held.idle(), 2000);
        }
        await within(this.#pulling!, set.expires + 2000);
      }
      clearInterval(this.#keepalive);
      const { nc } = this.#o;
      if (!(await within(nc.drain(), 5000))) await nc.close().catch(() => {});
      this.#state = "closed";
      this.#listed?.[Symbol.dispose]();
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
