/**
 * The Web Worker side of the pool: sleep in epoll on the shared eventfds,
 * take one unit per handler call, publish results, keep the ledger.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { decode, encode, type Encoded } from "./codec.ts";
import { bucketOf, BUCKETS, Ctl, F, Layout, MAX_SOURCES, W } from "./layout.ts";
import {
  CONTROL_TAG,
  type InitMessage,
  type MailMessage,
  type SourceSpec,
  Status,
  TASK_TAG,
} from "./protocol.ts";
import { attachQueue, attachResults, type RecordFields } from "./ring.ts";
import { lastErrno } from "../ffi/errno.ts";
import { libc } from "../ffi/libc.ts";
import type { HandlerContext, Notification } from "./types.ts";

type Handler = (input: unknown, ctx: HandlerContext) => unknown;

const EAGAIN = 11;
const EINTR = 4;
const RWF_NOWAIT = 0x8;
const EPOLL_CTL_DEL = 2;
const EVENT_SIZE = 12;

const c = libc();
const cell = new BigUint64Array(1);
const iov = new BigUint64Array([
  BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(cell))),
  8n,
]);
const zero = new BigUint64Array(1);
const now = () => performance.timeOrigin + performance.now();

/** Takes one unit without blocking; false when the counter is 0 (or the fd is gone). */
function takeUnit(fd: number): boolean {
  for (;;) {
    if (c.preadv2(fd, iov, 1, -1n, RWF_NOWAIT) === 8n) return true;
    const e = lastErrno();
    if (e === EINTR) continue;
    if (e === EAGAIN) return false;
    throw new Error(`worker cannot read eventfd ${fd}: errno ${e}`);
  }
}

async function loadHandler(url: string): Promise<Handler> {
  const mod = await import(url);
  const fn = mod.handle ?? mod.default;
  if (typeof fn !== "function") {
    throw new TypeError(
      `handler module ${url} exports no function named "handle" (or a default export)`,
    );
  }
  return fn;
}

interface Source extends SourceSpec {
  fn: Handler;
  detached: boolean;
}

class PoolWorker {
  readonly #m: InitMessage;
  readonly #lay: Layout;
  readonly #queue;
  readonly #results;
  readonly #events = new Uint8Array(EVENT_SIZE * 16);
  readonly #eventsView = new DataView(this.#events.buffer);
  readonly #sources = new Map<number, Source>();
  #taskFn: Handler | null = null;
  #mailSeen = 0;
  #mailWaiter: (() => void) | null = null;
  #current: { id: number; controller?: AbortController } | null = null;
  #currentSource = -1;
  #pendingDetach: { gen: number; index: number } | null = null;
  #closing = false;

  constructor(m: InitMessage) {
    this.#m = m;
    this.#lay = new Layout(m.slots, m.ctl, m.seq);
    this.#queue = attachQueue(m.queue);
    this.#results = attachResults(m.results);
  }

  async init(): Promise<void> {
    if (this.#m.handler) this.#taskFn = await loadHandler(this.#m.handler);
    for (const s of this.#m.sources) await this.#addSource(s);
  }

  async #addSource(s: SourceSpec): Promise<void> {
    this.#sources.set(s.index, {
      ...s,
      fn: await loadHandler(s.handler),
      detached: false,
    });
  }

  /** Runs a mailbox message; called from `onmessage`. */
  async mail(msg: MailMessage): Promise<void> {
    switch (msg.type) {
      case "attach":
        await this.#addSource(msg.source);
        break;
      case "detach": {
        const s = this.#sources.get(msg.index);
        if (s) s.detached = true;
        if (this.#currentSource === msg.index) {
          // Acknowledge once the unit in hand is finished.
          this.#pendingDetach = { gen: msg.gen, index: msg.index };
          this.#mailSeen = msg.gen;
          this.#mailWaiter?.();
          return;
        }
        this.#sources.delete(msg.index);
        break;
      }
      case "abort":
        if (this.#current?.id === msg.id) {
          this.#current.controller?.abort(
            new DOMException(msg.reason, "AbortError"),
          );
        }
        break;
    }
    this.#mailSeen = msg.gen;
    self.postMessage({ type: "ack", slot: this.#m.slot, gen: msg.gen });
    this.#mailWaiter?.();
  }

  /** Waits until every message the pool announced has been run. */
  async #catchUpMail(): Promise<void> {
    const target = Atomics.load(
      this.#lay.i32,
      this.#lay.w(this.#m.slot, W.Mail),
    );
    while (this.#mailSeen < target) {
      await new Promise<void>((r) => this.#mailWaiter = r);
      this.#mailWaiter = null;
    }
  }

  #stopping(): boolean {
    return Atomics.load(this.#lay.i32, Ctl.State) !== 0;
  }

  async run(): Promise<void> {
    const { epfd, ctlfd, taskfd, batch } = this.#m;
    for (;;) {
      let n: number;
      do n = c.epoll_wait(epfd, this.#events, 16, -1); while (
        n < 0 && lastErrno() === EINTR
      );
      if (n < 0) throw new Error(`epoll_wait failed: errno ${lastErrno()}`);
      const ready: number[] = [];
      let control = false;
      for (let i = 0; i < n; i++) {
        const tag = Number(
          this.#eventsView.getBigUint64(i * EVENT_SIZE + 4, true),
        );
        if (tag === CONTROL_TAG) control = true;
        else ready.push(tag);
      }
      if (control) {
        c.read(ctlfd, cell, 8n);
        await this.#catchUpMail();
      }
      if (this.#stopping()) return;
      for (const tag of ready) {
        if (tag === TASK_TAG) {
          await this.#drain(taskfd, batch, () => this.#task());
        } else {
          const s = this.#sources.get(tag);
          if (s && !s.detached) {
            await this.#drain(s.fd, batch, () => this.#unit(s));
          }
        }
        if (this.#closing) return;
      }
    }
  }

  /** Takes up to `batch` units from `fd`, recruiting an idle peer when a backlog shows. */
  async #drain(
    fd: number,
    batch: number,
    handle: () => unknown,
  ): Promise<void> {
    for (let i = 0; i < batch; i++) {
      if (!takeUnit(fd)) return;
      // A second unit ready means a backlog: a zero write adds nothing but
      // wakes one more idle EPOLLEXCLUSIVE waiter, which may recruit the next.
      if (i === 1) c.write(fd, zero, 8n);
      const r = handle();
      if (r instanceof Promise) await r;
      if (this.#closing) return;
    }
  }

  #ctx(data: unknown, notification?: Notification): HandlerContext {
    const current = this.#current;
    return {
      worker: this.#m.slot,
      data,
      notification,
      get signal(): AbortSignal {
        if (!current) return new AbortController().signal;
        current.controller ??= new AbortController();
        return current.controller.signal;
      },
    };
  }

  #task(): unknown {
    const claim = this.#queue.claim();
    Atomics.add(this.#lay.i32, Ctl.Claimed, 1);
    if (claim === null || claim === "cancelled") return undefined;
    const lay = this.#lay;
    const slot = this.#m.slot;
    Atomics.store(lay.i32, lay.w(slot, W.HeldId), claim.id);
    Atomics.store(lay.i32, lay.w(slot, W.HeldKind), 1);
    this.#current = { id: claim.id };
    const start = now();
    this.#record(F.Hist, start - claim.time, F.MaxWait);
    const fields: RecordFields = {
      id: claim.id,
      status: Status.Ok,
      source: -1,
      flags: 0,
      time: start,
      seq: 0,
    };
    const finish = (status: number, value: unknown) => {
      this.#finish(fields, status, value, true, start);
      lay.f64[lay.f(slot, F.Tasks)]++;
    };
    let out: unknown;
    try {
      if (!this.#taskFn) {
        throw new TypeError(
          "the pool has no handler for run(): pass `handler` to WorkerPool",
        );
      }
      out = this.#taskFn(
        decode(claim.kind, claim.num, claim.bytes),
        this.#ctx(undefined),
      );
    } catch (e) {
      return finish(Status.Error, e);
    }
    if (isThenable(out)) {
      return Promise.resolve(out).then(
        (v) => finish(Status.Ok, v),
        (e) => finish(Status.Error, e),
      );
    }
    return finish(Status.Ok, out);
  }

  #unit(s: Source): unknown {
    const lay = this.#lay;
    const slot = this.#m.slot;
    const seq = Number(Atomics.add(lay.seq, s.index, 1n)) + 1;
    const redelivered = takeCredit(lay.seq, MAX_SOURCES + s.index);
    const start = now();
    lay.f64[lay.f(slot, F.HeldSeq)] = seq;
    lay.f64[lay.f(slot, F.HeldTakenAt)] = start;
    Atomics.store(lay.i32, lay.w(slot, W.HeldId), s.index);
    Atomics.store(lay.i32, lay.w(slot, W.HeldKind), 2);
    this.#currentSource = s.index;
    this.#current = { id: -1 };
    const notification: Notification = {
      source: s.name,
      seq,
      worker: slot,
      takenAt: start,
      redelivered,
    };
    const fields: RecordFields = {
      id: -1,
      status: Status.Ok,
      source: s.index,
      flags: redelivered ? 1 : 0,
      time: start,
      seq,
    };
    const finish = (status: number, value: unknown) => {
      lay.f64[lay.f(slot, F.Source + 2 * s.index + status)]++;
      this.#finish(
        fields,
        status,
        value,
        s.wantResults || status === Status.Error,
        start,
      );
      this.#currentSource = -1;
      if (this.#pendingDetach?.index === s.index) {
        this.#sources.delete(s.index);
        self.postMessage({ type: "ack", slot, gen: this.#pendingDetach.gen });
        this.#pendingDetach = null;
      }
    };
    let out: unknown;
    try {
      out = s.fn(notification, this.#ctx(s.data, notification));
    } catch (e) {
      return finish(Status.Error, e);
    }
    if (isThenable(out)) {
      return Promise.resolve(out).then(
        (v) => finish(Status.Ok, v),
        (e) => finish(Status.Error, e),
      );
    }
    return finish(Status.Ok, out);
  }

  #record(hist: number, ms: number, maxField: number): void {
    const lay = this.#lay;
    const slot = this.#m.slot;
    lay.f64[lay.f(slot, hist + bucketOf(ms))]++;
    const mi = lay.f(slot, maxField);
    if (ms > lay.f64[mi]) lay.f64[mi] = ms;
  }

  /** Publishes the outcome (if wanted), then clears the ledger: in that order, so a death in between is seen as "held". */
  #finish(
    f: RecordFields,
    status: number,
    value: unknown,
    publish: boolean,
    start: number,
  ): void {
    const lay = this.#lay;
    const slot = this.#m.slot;
    const end = now();
    this.#record(F.Hist + BUCKETS, end - start, F.MaxRun);
    lay.f64[lay.f(slot, F.BusyMs)] += end - start;
    lay.f64[lay.f(slot, F.Units)]++;
    if (publish) {
      f.status = status;
      let e: Encoded;
      try {
        e = status === Status.Error ? encodeError(value) : encode(value);
      } catch (err) {
        f.status = Status.Error;
        e = encodeError(
          new TypeError(
            `handler result cannot be sent to the pool: ${
              (err as Error).message
            }`,
          ),
        );
      }
      if (!this.#results.append(f, e, () => !this.#stopping())) {
        f.status = Status.Error;
        this.#results.append(
          f,
          encodeError(
            new RangeError(
              `handler result of ${e.bytes?.length} bytes exceeds the result ring`,
            ),
          ),
          () => !this.#stopping(),
        );
      }
    }
    Atomics.store(lay.i32, lay.w(slot, W.HeldKind), 0);
    this.#current = null;
    Atomics.add(lay.i32, Ctl.ResultSignal, 1);
    if (Atomics.load(lay.i32, Ctl.PoolWaiting)) {
      Atomics.notify(lay.i32, Ctl.ResultSignal);
    }
  }

  /** `self.close()` from a handler: finish the unit in hand, then leave cleanly. */
  requestClose(): void {
    this.#closing = true;
  }

  exit(closed: boolean): void {
    Atomics.store(this.#lay.i32, this.#lay.w(this.#m.slot, W.Exited), 1);
    self.postMessage({ type: "exit", slot: this.#m.slot, closed });
  }

  get closing(): boolean {
    return this.#closing;
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as PromiseLike<unknown>)?.then === "function";
}

function takeCredit(arr: BigInt64Array, i: number): boolean {
  for (;;) {
    const v = Atomics.load(arr, i);
    if (v <= 0n) return false;
    if (Atomics.compareExchange(arr, i, v, v - 1n) === v) return true;
  }
}

function encodeError(e: unknown): Encoded {
  if (e instanceof Error) {
    try {
      return encode(e);
    } catch {
      // Unclonable extras on the error: keep what identifies it.
    }
    return encode({ name: e.name, message: e.message, stack: e.stack });
  }
  try {
    return encode(e);
  } catch {
    return encode(String(e));
  }
}

let worker: PoolWorker | undefined;
const nativeClose = self.close.bind(self);
self.close = () => worker ? worker.requestClose() : nativeClose();

self.onmessage = async (ev: MessageEvent<InitMessage | MailMessage>) => {
  const msg = ev.data;
  if (msg.type !== "init") return worker?.mail(msg);
  worker = new PoolWorker(msg);
  try {
    await worker.init();
  } catch (error) {
    self.postMessage({ type: "init-error", slot: msg.slot, error });
    return;
  }
  self.postMessage({ type: "ready", slot: msg.slot });
  await worker.run();
  worker.exit(worker.closing);
  nativeClose();
};
