/**
 * Tasks: from `run()` to the shared queue (through the backlog,
 * _backlog.ts, while it is full; units written by _task_units.ts), cancel
 * and timeout (with the grace after which a handler that ignores its
 * signal loses its worker), and settling each task's promise exactly once.
 *
 * @module
 */

import { IdTable } from "./_id_table.ts";
import { decode, type Encoded } from "./_codec.ts";
import { asError } from "./_deliver.ts";
import {
  TaskFailedError,
  TaskTimeoutError,
  UnknownTaskError,
  WorkerDiedError,
} from "./errors.ts";
import type { EventFd } from "../ffi/eventfd.ts";
import { Backlog } from "./_backlog.ts";
import type { Shared } from "./_layout.ts";
import { Status } from "./_protocol.ts";
import type { RingRecord, TaskQueue } from "./_ring.ts";
import { TaskUnits } from "./_task_units.ts";

type Outcome = "completed" | "failed" | "cancelled" | "timedOut";

interface Task {
  id: number;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  /** Queue position once pushed; -1 while in the backlog, -2 cancelled there. */
  pos: number;
  payload?: Encoded;
  /** Bytes of the task's name after the payload; -1 for the default handler. */
  nameLen: number;
  enqueuedAt: number;
  signal?: AbortSignal;
  onAbort?: () => void;
  timer?: ReturnType<typeof setTimeout>;
}

/** What the task book needs from the rest of the pool. */
export interface TaskHooks {
  /** Tells the handler running task `id` that it was cancelled. */
  abortRunning(id: number, reason: string): void;
  /** Replaces the worker still running task `id` past its grace. */
  killRunning(id: number, cause: Error): void;
  /** Wakes the result pump. */
  poke(): void;
  /** The last task settled (the pool's `drain` event). */
  drained(): void;
}

/** Validated options of one task. */
export interface TaskOptions {
  signal?: AbortSignal;
  timeout?: number;
  /** Higher runs sooner; see _priority.ts. */
  priority?: number;
}

/** Every task of one pool, from `run()` to its settlement. */
export class Tasks {
  readonly #tasks = new IdTable<Task>();
  readonly #shared: Shared;
  readonly #queue: TaskQueue;
  /** Most tasks waiting before `run()` is refused. */
  readonly maxQueue: number;
  readonly #grace: number;
  readonly #hooks: TaskHooks;
  /** Tasks waiting for room in the shared queue. */
  readonly #backlog: Backlog<Task>;
  readonly #units: TaskUnits;
  #pushed = 0;
  /** Pushed tasks cancelled before a worker claimed them. */
  #cancelledPushed = 0;
  #nextId = 1;
  /** Whether a task was added since the last `drain`. */
  #undrained = false;
  readonly #readyWaiters: (() => void)[] = [];
  readonly #idleWaiters: (() => void)[] = [];
  /** Tasks settled, by outcome. */
  readonly outcomes = { completed: 0, failed: 0, cancelled: 0, timedOut: 0 };

  constructor(
    cfg: {
      shared: Shared;
      queue: TaskQueue;
      taskFd: EventFd;
      size: number;
      /** Units the workers may hold at once (slots × concurrency). */
      cells: number;
      maxQueue: number;
      grace: number;
    },
    hooks: TaskHooks,
  ) {
    this.#shared = cfg.shared;
    this.#queue = cfg.queue;
    this.#units = new TaskUnits(cfg.taskFd, cfg.size);
    this.#backlog = new Backlog(2 * cfg.cells, {
      push: (task) => this.#push(task),
      inQueue: () => this.#inQueue(),
    });
    this.maxQueue = cfg.maxQueue;
    this.#grace = cfg.grace;
    this.#hooks = hooks;
  }

  /** Tasks queued and not yet taken by a worker. */
  get queued(): number {
    return this.#backlog.live + this.#inQueue();
  }

  /** Tasks in the shared queue, neither claimed by a worker nor cancelled. */
  #inQueue(): number {
    return this.#pushed - this.#cancelledPushed - this.#shared.claimed();
  }

  /** Tasks not yet settled. */
  get unsettled(): number {
    return this.#tasks.size;
  }

  /** Whether anything waits on the pump. */
  get busy(): boolean {
    return this.#tasks.size > 0 || this.#readyWaiters.length > 0 ||
      this.#idleWaiters.length > 0;
  }

  /** Whether `maxQueue` tasks are waiting. */
  get full(): boolean {
    return this.queued >= this.maxQueue;
  }

  /**
   * Queues a task whose payload and options were checked; `nameLen` is the
   * byte length of a task name after the payload (see `encodeTask`), or -1.
   */
  add(
    payload: Encoded,
    options: TaskOptions,
    nameLen = -1,
  ): Promise<unknown> {
    const id = this.#nextId;
    this.#nextId = this.#nextId >= 0x7fffffff ? 1 : this.#nextId + 1;
    // The first task of a turn pokes the pump: it runs a round at once,
    // then sleeps until a result, which every task brings; a poke per task
    // would also notify the sleeping pump once per task.
    const first = this.#units.open();
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    const task: Task = {
      id,
      resolve,
      reject,
      pos: -1,
      payload,
      nameLen,
      enqueuedAt: this.#units.clock,
    };
    this.#tasks.set(task);
    this.#undrained = true;
    this.#backlog.enter(task, options.priority);
    const { signal, timeout } = options;
    if (signal) {
      task.signal = signal;
      task.onAbort = () => this.#cancel(task, signal.reason, "cancelled");
      signal.addEventListener("abort", task.onAbort, { once: true });
    }
    if (timeout !== undefined) {
      task.timer = setTimeout(
        () => this.#cancel(task, new TaskTimeoutError(timeout), "timedOut"),
        timeout,
      );
    }
    if (first) this.#hooks.poke();
    return promise;
  }

  #push(task: Task): boolean {
    const pos = this.#queue.push(
      {
        id: task.id,
        status: 0,
        source: -1,
        worker: task.nameLen,
        redelivered: false,
        time: task.enqueuedAt,
        seq: 0,
      },
      task.payload!,
    );
    if (pos < 0) return false;
    task.pos = pos;
    task.payload = undefined;
    this.#pushed++;
    this.#units.owe();
    return true;
  }

  #cancel(task: Task, reason: unknown, outcome: Outcome): void {
    if (!this.#tasks.has(task.id)) return;
    if (this.#backlog.drop(task)) {
      // Waiting in the backlog: skipped when its turn comes.
    } else if (this.#queue.cancel(task.pos, task.id)) {
      this.#cancelledPushed++;
    } else {
      // Already running: tell its handler through ctx.signal, and replace
      // its worker if the handler ignores that past the grace period.
      const id = task.id;
      this.#hooks.abortRunning(id, asError(reason).message);
      const why =
        `the handler of task ${id} ran ${this.#grace} ms past its cancellation`;
      const grace = setTimeout(
        () => this.#hooks.killRunning(id, new Error(why)),
        this.#grace,
      );
      Deno.unrefTimer(grace);
    }
    this.#settle(task, false, reason, outcome);
    this.#hooks.poke(); // close() may wait for this task; ready() for room.
  }

  #settle(task: Task, ok: boolean, value: unknown, outcome: Outcome): void {
    this.#tasks.delete(task.id);
    if (task.timer !== undefined) clearTimeout(task.timer);
    if (task.onAbort) task.signal!.removeEventListener("abort", task.onAbort);
    this.outcomes[outcome]++;
    if (ok) task.resolve(value);
    else task.reject(value);
    if (this.#undrained && this.#tasks.size === 0) {
      this.#undrained = false;
      this.#hooks.drained();
    }
  }

  /** A task's result record. */
  onRecord(r: RingRecord): void {
    const t = this.#tasks.get(r.id);
    if (!t) return; // Cancelled or timed out while running: its result is moot.
    const value = decode(r.kind, r.num, r.bytes);
    if (r.status === Status.Ok) this.#settle(t, true, value, "completed");
    else if (r.status === Status.Unknown) {
      const { name, known } = value as { name: string; known: string[] };
      this.#settle(t, false, new UnknownTaskError(name, known), "failed");
    } else this.#settle(t, false, new TaskFailedError(value), "failed");
  }

  /** The worker running task `id` died. */
  lost(id: number, slot: number, cause: Error): void {
    const t = this.#tasks.get(id);
    if (t) this.#settle(t, false, new WorkerDiedError(slot, cause), "failed");
    this.#hooks.poke(); // close() may wait for this task.
  }

  /**
   * A worker died holding a task's unit taken with others and not started:
   * its record is still queued, so the unit goes back for another worker.
   */
  putBack(): void {
    this.#units.owe();
  }

  /** Rejects every task (destroy, failed start). */
  rejectAll(error: unknown): void {
    for (const t of this.#tasks.values()) {
      this.#settle(t, false, error, "cancelled");
    }
    this.#backlog.clear();
    this.#hooks.poke();
  }

  /** Resolves when the queue has room. */
  ready(): Promise<void> {
    if (!this.full) return Promise.resolve();
    const p = new Promise<void>((r) => this.#readyWaiters.push(r));
    this.#hooks.poke();
    return p;
  }

  /** Resolves when no task is left unsettled. */
  idle(): Promise<void> {
    if (!this.#tasks.size) return Promise.resolve();
    const p = new Promise<void>((r) => this.#idleWaiters.push(r));
    this.#hooks.poke();
    return p;
  }

  /** Resolves every `ready()` and `idle()` waiter: the pool stopped. */
  releaseWaiters(): void {
    for (const r of this.#readyWaiters.splice(0)) r();
    for (const r of this.#idleWaiters.splice(0)) r();
  }

  /** One round of bookkeeping; returns how much progress it made. */
  step(): number {
    this.#queue.reclaim();
    let n = this.#backlog.refill();
    if (this.#readyWaiters.length && !this.full) {
      for (const r of this.#readyWaiters.splice(0)) r();
      n++;
    }
    if (this.#idleWaiters.length && this.#tasks.size === 0) {
      for (const r of this.#idleWaiters.splice(0)) r();
      n++;
    }
    return n;
  }
}
