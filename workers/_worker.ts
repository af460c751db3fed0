/**
 * The Web Worker side of the pool: load the handlers, own this worker's
 * epoll interest list, sleep in epoll on the shared eventfds, take one unit
 * per handler call, and run the pool's mail (attach, detach, abort).
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { EPOLL_EVENT_SIZE } from "../ffi/constants.ts";
import { ERRNO, lastErrno } from "../ffi/errno.ts";
import { libc } from "../ffi/_libc.ts";
import { Shared } from "./_layout.ts";
import {
  CONTROL_TAG,
  type ExitReason,
  type InitMessage,
  type MailMessage,
  type SourceSpec,
  TASK_TAG,
  type WorkerMessage,
} from "./_protocol.ts";
import { attachQueue, attachResults } from "./_ring.ts";
import { Drainer } from "./_worker_drain.ts";
import { Mailbox } from "./_worker_mailbox.ts";
import { isNonblocking, unwatch, watch } from "./_worker_io.ts";
import { handlerOf, Modules } from "./_worker_modules.ts";
import { type Handler, jobs, type WorkerSource } from "./_job.ts";
import { Runner } from "./_worker_run.ts";
import { BatchTaker } from "./_worker_take.ts";

const { EINTR } = ERRNO;
/** How often a worker with async handlers in flight looks for more units. */
const POLL_MS = 1;

const c = libc();
const cell = new BigUint64Array(1);
const zero = new BigUint64Array(1);

function post(msg: WorkerMessage): void {
  self.postMessage(msg);
}

class PoolWorker {
  readonly #m: InitMessage;
  readonly #shared: Shared;
  readonly #runner: Runner;
  readonly #events = new Uint8Array(EPOLL_EVENT_SIZE * 16);
  readonly #eventsView = new DataView(this.#events.buffer);
  readonly #sources = new Map<number, WorkerSource>();
  readonly #modules: Modules;
  readonly #named: (name: string) => Handler | string[];
  #taskFn: Handler | null = null;
  #mailbox?: Mailbox;
  /** Detach acks waiting for the unit in hand of their source. */
  readonly #pendingDetach = new Map<number, number>();
  /** Takes and runs the units of a wake-up. */
  readonly #drainer: Drainer;
  /** Set by a recycle message: leave after the units in hand. */
  #recycle = false;
  /** Set by `self.close()` in a handler: leave after the unit in hand. */
  closing = false;

  constructor(m: InitMessage) {
    this.#m = m;
    this.#shared = new Shared(m.slots, m.concurrency, m.ctl, m.seq);
    const modules = this.#modules = new Modules(m.slot);
    this.#named = (name) => modules.named(name);
    this.#runner = new Runner(
      this.#shared,
      m.slot,
      attachQueue(m.queue),
      attachResults(m.results),
    );
    this.#runner.onSourceDone = (index) => {
      if (this.#pendingDetach.size === 0) return; // The per-unit common case.
      const gen = this.#pendingDetach.get(index);
      if (gen === undefined || this.#runner.holdsSource(index)) return;
      this.#pendingDetach.delete(index);
      this.#sources.delete(index);
      post({ type: "ack", gen });
    };
    const serial = m.concurrency === 1;
    this.#drainer = new Drainer({
      runner: this.#runner,
      shared: this.#shared,
      taker: serial && m.take ? BatchTaker.attach(m.take) : null,
      serial,
      maxUnits: m.maxUnits,
    }, {
      task: () => this.#runner.task(this.#taskFn, this.#named),
      lost: (source, errno) => this.#lost(source, errno),
      closing: () => this.closing,
    });
  }

  /**
   * Loads the handlers first of all mail: a detach that overtook the init
   * would find nothing to remove, and the init would then watch a source
   * the pool has forgotten.
   */
  start(): Promise<void> {
    const init = this.#init();
    this.#mailbox = new Mailbox(
      init,
      (msg) => this.#runMail(msg),
      () => this.#shared.mailPosted(this.#m.slot),
    );
    return init;
  }

  /** Loads the handlers and joins the task eventfd; a source that fails to load is reported, not fatal. */
  async #init(): Promise<void> {
    if (this.#m.handler) {
      this.#taskFn = await this.#modules.main(this.#m.handler);
    }
    for (const h of this.#m.handlers) await this.#modules.add(h.name, h.url);
    this.#watch(this.#m.taskfd, TASK_TAG);
    for (const s of this.#m.sources) {
      try {
        await this.#addSource(s);
      } catch (error) {
        post({ type: "source-error", index: s.index, error, load: true });
      }
    }
  }

  #watch(fd: number, tag: number): void {
    watch(this.#m.epfd, fd, tag);
  }

  #unwatch(fd: number): void {
    unwatch(this.#m.epfd, fd);
  }

  async #addSource(s: SourceSpec): Promise<void> {
    const fn = handlerOf(s.handler, await this.#modules.load(s.handler));
    const nonblocking = isNonblocking(s.fd);
    this.#sources.set(s.index, {
      ...s,
      fn,
      detached: false,
      nonblocking,
      take: 1,
    });
    this.#watch(s.fd, s.index);
  }

  /** Runs a message from the pool after those before it (see _worker_mailbox.ts). */
  mail(msg: MailMessage): void {
    this.#mailbox?.push(msg);
  }

  async #runMail(msg: MailMessage): Promise<void> {
    let error: unknown;
    switch (msg.type) {
      case "attach":
        try {
          await this.#addSource(msg.source);
        } catch (e) {
          error = e;
        }
        break;
      case "handler":
        try {
          await this.#modules.add(msg.name, msg.url);
        } catch (e) {
          error = e;
        }
        break;
      case "recycle":
        this.#recycle = true;
        break;
      case "detach": {
        const s = this.#sources.get(msg.index);
        if (!s) break;
        s.detached = true;
        this.#unwatch(s.fd);
        if (this.#runner.holdsSource(s.index)) {
          // Acknowledged once the units in hand are finished.
          this.#pendingDetach.set(msg.index, msg.gen);
          this.#mailbox!.done(msg.gen);
          return;
        }
        this.#sources.delete(msg.index);
        break;
      }
      case "abort": {
        const job = this.#runner.taskJob(msg.id);
        if (job) {
          jobs.abort(job, new DOMException(msg.reason, "AbortError"));
        }
        break;
      }
    }
    post(
      error === undefined ? { type: "ack", gen: msg.gen } : {
        type: "ack",
        gen: msg.gen,
        error,
      },
    );
    this.#mailbox!.done(msg.gen);
  }

  /** The epoll loop; returns when the pool stops or a handler closed the worker. */
  async run(): Promise<ExitReason> {
    const { epfd, ctlfd, taskfd, batch } = this.#m;
    this.#shared.setServing(this.#m.slot);
    post({ type: "ready", names: this.#modules.names() });
    for (;;) {
      if (this.#shared.stopping()) return this.#leave("stopped");
      // Checked here, between wake-ups, so no wake-up taken is left unserved.
      if (this.#recycle || this.#drainer.left <= 0 || this.#overHeap()) {
        return this.#leave("recycled");
      }
      // With async handlers in flight the thread must not block: it polls,
      // and sleeps in the event loop until one settles or a tick passes.
      // Not being in epoll_wait, it takes no wake-up from an idle peer.
      const timeout = this.#runner.inFlight ? 0 : -1;
      let n: number;
      do n = c.epoll_wait(epfd, this.#events, 16, timeout); while (
        n < 0 && lastErrno() === EINTR
      );
      if (n === 0) {
        await this.#runner.settled(POLL_MS);
        continue;
      }
      if (n < 0) throw new Error(`epoll_wait failed: errno ${lastErrno()}`);
      const ready: number[] = [];
      for (let i = 0; i < n; i++) {
        const tag = Number(
          this.#eventsView.getBigUint64(i * EPOLL_EVENT_SIZE + 4, true),
        );
        if (tag === CONTROL_TAG) {
          c.read(ctlfd, cell, 8n);
          // Let the event loop deliver what the pool posted.
          await this.#mailbox!.catchUp();
        } else ready.push(tag);
      }
      for (const tag of ready) {
        if (this.#shared.stopping()) return this.#leave("stopped");
        if (tag === TASK_TAG) await this.#drainer.drain(taskfd, batch, null);
        else {
          const s = this.#sources.get(tag);
          if (s && !s.detached) await this.#drainer.drain(s.fd, batch, s);
        }
        if (this.closing) return this.#leave("closed");
      }
    }
  }

  /** Whether the heap passed `maxHeapBytes` (checked only if it is set). */
  #overHeap(): boolean {
    return this.#m.maxHeap > 0 &&
      Deno.memoryUsage().heapUsed > this.#m.maxHeap;
  }

  /** Leaves the loop once every unit in hand has finished. */
  async #leave(reason: ExitReason): Promise<ExitReason> {
    while (this.#runner.inFlight) await this.#runner.settled();
    if (reason === "recycled") {
      // A wake-up this worker took may have units it did not drain: a zero
      // write on each fd passes it on to an idle peer.
      c.write(this.#m.taskfd, zero, 8n);
      for (const s of this.#sources.values()) c.write(s.fd, zero, 8n);
    }
    return reason;
  }

  /** A source fd that cannot be read (closed under the pool, say): stop watching it, tell the pool. */
  #lost(source: WorkerSource | null, errno: number): void {
    const error = new Error(
      `worker ${this.#m.slot} cannot read eventfd ${
        source?.fd ?? this.#m.taskfd
      }: errno ${errno}`,
    );
    if (!source) throw error;
    source.detached = true;
    this.#unwatch(source.fd);
    post({ type: "source-error", index: source.index, error, load: false });
  }

  /** Leaving for good: the modules' teardowns run, their errors go to the pool. */
  async teardown(reason: ExitReason): Promise<void> {
    post({ type: "leaving", reason });
    for (const error of await this.#modules.teardown()) {
      post({ type: "teardown-error", error });
    }
  }
}

let worker: PoolWorker | undefined;
const nativeClose = self.close.bind(self);
const nativeExit = Deno.exit;
// A handler's self.close() finishes the unit in hand, then leaves cleanly.
self.close = () => worker ? (worker.closing = true) : nativeClose();
// Deno.exit() ends a worker's thread without an error event: tell the pool
// first, with the ledger still showing the unfinished unit.
Object.defineProperty(Deno, "exit", {
  value: (code?: number): never => {
    post({ type: "exit", reason: "exit", code });
    return nativeExit(code);
  },
});

self.onmessage = async (ev: MessageEvent<InitMessage | MailMessage>) => {
  const msg = ev.data;
  if (msg.type !== "init") return worker?.mail(msg);
  const w = worker = new PoolWorker(msg);
  try {
    await w.start();
  } catch (error) {
    post({ type: "init-error", error });
    return;
  }
  const reason = await w.run();
  await w.teardown(reason);
  post({ type: "exit", reason });
  nativeClose();
};
