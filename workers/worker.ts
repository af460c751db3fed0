/**
 * The Web Worker side of the pool: sleep in epoll on the shared eventfds,
 * take one unit per handler call, publish results, keep the ledger.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { decode, encode, type Encoded } from "./codec.ts";
import {
  bucketOf,
  BUCKETS,
  Ctl,
  doneWord,
  F,
  Layout,
  MAX_SOURCES,
  W,
} from "./layout.ts";
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
const F_GETFL = 3;
const O_NONBLOCK = 0o4000;
const EINTR = 4;
const RWF_NOWAIT = 0x8;
const EVENT_SIZE = 12;

const c = libc();
const cell = new BigUint64Array(1);
const iov = new BigUint64Array([
  BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(cell))),
  8n,
]);
const zero = new BigUint64Array(1);
const one = new BigUint64Array([1n]);
const now = () => performance.timeOrigin + performance.now();

/** Takes one unit without blocking; false when the counter is 0 (or the fd is gone). */
function takeUnit(fd: number, nonblocking: boolean): boolean {
  for (;;) {
    // A plain read is cheaper; RWF_NOWAIT keeps a blocking fd from blocking.
    const n = nonblocking
      ? c.read(fd, cell, 8n)
      : c.preadv2(fd, iov, 1, -1n, RWF_NOWAIT);
    if (n === 8n) return true;
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
  nonblocking: boolean;
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
  #mailChain: Promise<void> = Promise.resolve();
  #job: Job | null = null;
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
      nonblocking: (c.fcntl(s.fd, F_GETFL, 0n) & O_NONBLOCK) !== 0,
    });
  }

  /**
   * Runs mailbox messages one at a time, in order; called from `onmessage`.
   * An attach still importing its handler must not be overtaken by the
   * detach after it (which would leave `#mailSeen` behind for good).
   */
  mail(msg: MailMessage): Promise<void> {
    const run = this.#mailChain.then(() => this.#runMail(msg));
    this.#mailChain = run.catch(() => {});
    return run;
  }

  async #runMail(msg: MailMessage): Promise<void> {
    switch (msg.type) {
      case "attach":
        await this.#addSource(msg.source);
        break;
      case "detach": {
        const s = this.#sources.get(msg.index);
        if (s) s.detached = true;
        if (this.#job?.source?.index === msg.index) {
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
        if (this.#job?.id === msg.id) {
          (this.#job.controller ??= new AbortController()).abort(
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
          await this.#drain(taskfd, batch, null);
        } else {
          const s = this.#sources.get(tag);
          if (s && !s.detached) {
            await this.#drain(s.fd, batch, s);
          } else if (!s) {
            // An fd the pool added before its attach mail was run here:
            // level-triggered epoll would report it again at once, so let the
            // event loop deliver the mail instead of spinning.
            await new Promise((r) => setTimeout(r, 1));
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
    source: Source | null,
  ): Promise<void> {
    for (let i = 0; i < batch; i++) {
      // A detach arrives through the mailbox while an async handler awaits.
      if (
        source?.detached || this.#stopping() ||
        !takeUnit(fd, source ? source.nonblocking : true)
      ) return;
      // A second unit ready means a backlog: a zero write adds nothing but
      // wakes one more idle EPOLLEXCLUSIVE waiter, which may recruit the next.
      if (i === 1) c.write(fd, zero, 8n);
      const pending = source ? this.#unit(source) : this.#task();
      if (pending) await pending;
      if (this.#closing) return;
    }
  }

  /**
   * Publishes the unit in hand; false if the pool began stopping meanwhile.
   * The pool sets the stop flag, then terminates the workers it sees holding
   * and waits for the others to leave their loop: a worker that published
   * its hold too late to be seen must not start a handler it could hang in.
   */
  #hold(kind: number, id: number): boolean {
    const lay = this.#lay;
    const slot = this.#m.slot;
    Atomics.store(lay.i32, lay.w(slot, W.HeldId), id);
    Atomics.store(lay.i32, lay.w(slot, W.HeldKind), kind);
    if (!this.#stopping()) return true;
    Atomics.store(lay.i32, lay.w(slot, W.HeldKind), 0);
    return false;
  }

  #task(): Promise<void> | undefined {
    const claim = this.#queue.claim();
    Atomics.add(this.#lay.i32, Ctl.Claimed, 1);
    if (claim === null || claim === "cancelled") return undefined;
    // Stopping with tasks left means destroy(), which has rejected them.
    if (!this.#hold(1, claim.id)) return undefined;
    const start = now();
    this.#record(F.Hist, start - claim.time, F.MaxWait);
    const job = new Job(claim.id, null, 0, start, false);
    this.#job = job;
    let out: unknown;
    try {
      if (!this.#taskFn) {
        throw new TypeError(
          "the pool has no handler for run(): pass `handler` to WorkerPool",
        );
      }
      out = this.#taskFn(
        decode(claim.kind, claim.num, claim.bytes),
        new Context(this.#m.slot, undefined, job),
      );
    } catch (e) {
      this.#finish(job, Status.Error, e);
      return undefined;
    }
    return this.#await(job, out);
  }

  #unit(s: Source): Promise<void> | undefined {
    const lay = this.#lay;
    const seq = Number(Atomics.add(lay.seq, s.index, 1n)) + 1;
    const redelivered = takeCredit(lay.seq, MAX_SOURCES + s.index);
    const start = now();
    if (!this.#hold(2, s.index)) {
      c.write(s.fd, one, 8n); // Left in the counter, as detach promises.
      return undefined;
    }
    const job = new Job(-1, s, seq, start, redelivered);
    this.#job = job;
    job.notification = {
      source: s.name,
      seq,
      worker: this.#m.slot,
      takenAt: start,
      redelivered,
    };
    let out: unknown;
    try {
      out = s.fn(job.notification, new Context(this.#m.slot, s.data, job));
    } catch (e) {
      this.#finish(job, Status.Error, e);
      return undefined;
    }
    return this.#await(job, out);
  }

  #await(job: Job, out: unknown): Promise<void> | undefined {
    if (!isThenable(out)) {
      this.#finish(job, Status.Ok, out);
      return undefined;
    }
    return Promise.resolve(out).then(
      (v) => this.#finish(job, Status.Ok, v),
      (e) => this.#finish(job, Status.Error, e),
    );
  }

  #record(hist: number, ms: number, maxField: number): void {
    const lay = this.#lay;
    const slot = this.#m.slot;
    lay.f64[lay.f(slot, hist + bucketOf(ms))]++;
    const mi = lay.f(slot, maxField);
    if (ms > lay.f64[mi]) lay.f64[mi] = ms;
  }

  /**
   * Counts the outcome, publishes it if anyone wants it, then clears the
   * ledger: in that order, so a death before the end is seen as "held".
   */
  #finish(job: Job, status: number, value: unknown): void {
    const lay = this.#lay;
    const i32 = lay.i32;
    const slot = this.#m.slot;
    const end = now();
    this.#record(F.Hist + BUCKETS, end - job.start, F.MaxRun);
    lay.f64[lay.f(slot, F.BusyMs)] += end - job.start;
    lay.f64[lay.f(slot, F.Units)]++;
    const s = job.source;
    if (s) lay.f64[lay.f(slot, F.Source + 2 * s.index + status)]++;
    else lay.f64[lay.f(slot, F.Tasks)]++;
    let wake = !s || s.wantResults || status === Status.Error;
    if (wake) this.#publish(job, status, value);
    Atomics.store(i32, lay.w(slot, W.HeldKind), 0);
    this.#job = null;
    if (s) {
      const at = doneWord(s.index);
      const done = Atomics.add(i32, at, 1) + 1;
      // The pool sleeps until a source reaches the count it awaits; waking
      // it for every unit would cost it a context switch per unit.
      if (
        Atomics.load(i32, at + 1) &&
        ((done - Atomics.load(i32, at + 2)) | 0) >= 0
      ) wake = true;
      if (this.#pendingDetach?.index === s.index) {
        this.#sources.delete(s.index);
        self.postMessage({ type: "ack", slot, gen: this.#pendingDetach.gen });
        this.#pendingDetach = null;
      }
    }
    if (wake) {
      Atomics.add(i32, Ctl.ResultSignal, 1);
      if (Atomics.load(i32, Ctl.PoolWaiting)) {
        Atomics.notify(i32, Ctl.ResultSignal);
      }
    }
  }

  #publish(job: Job, status: number, value: unknown): void {
    const f: RecordFields = {
      id: job.id,
      status,
      source: job.source?.index ?? -1,
      flags: (this.#m.slot << 1) | (job.redelivered ? 1 : 0),
      time: job.start,
      seq: job.seq,
    };
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
    const open = () => !this.#stopping();
    if (!this.#results.append(f, e, open)) {
      f.status = Status.Error;
      const size = e.bytes?.length;
      this.#results.append(
        f,
        encodeError(
          new RangeError(
            `handler result of ${size} bytes exceeds the result ring`,
          ),
        ),
        open,
      );
    }
  }

  /** `self.close()` from a handler: finish the unit in hand, then leave cleanly. */
  requestClose(): void {
    this.#closing = true;
  }

  exit(closed: boolean): void {
    self.postMessage({ type: "exit", slot: this.#m.slot, closed });
  }

  get closing(): boolean {
    return this.#closing;
  }
}

/** The unit in hand. */
class Job {
  controller?: AbortController;
  notification?: Notification;
  constructor(
    readonly id: number,
    readonly source: Source | null,
    readonly seq: number,
    readonly start: number,
    readonly redelivered: boolean,
  ) {}
}

/** What a handler gets as `ctx`; the AbortController is made only if asked for. */
class Context implements HandlerContext {
  readonly #job: Job;
  constructor(readonly worker: number, readonly data: unknown, job: Job) {
    this.#job = job;
  }
  get notification(): Notification | undefined {
    return this.#job.notification;
  }
  get signal(): AbortSignal {
    return (this.#job.controller ??= new AbortController()).signal;
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
