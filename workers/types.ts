/**
 * The shapes of the worker pool's public API.
 *
 * @module
 */

/** Options for {@linkcode WorkerPool}. */
export interface PoolOptions {
  /**
   * Number of Web Workers (default: `navigator.hardwareConcurrency`); with
   * `minWorkers`, the most there may be (the same as `maxWorkers`).
   */
  workers?: number;
  /**
   * Makes the pool elastic: it starts this many workers, starts more (up
   * to `maxWorkers`) while tasks back up or every worker is busy, and stops
   * those idle for `idleTimeout` down to this many again (default: a fixed
   * pool of `workers`). With `minWorkers: 0` and no worker running, units
   * on an attached source start one within `idleTimeout / 4` ms (250 at most).
   */
  minWorkers?: number;
  /** The most workers an elastic pool runs (default: `workers`). */
  maxWorkers?: number;
  /** Milliseconds a worker above `minWorkers` may idle before it stops (default 10000). */
  idleTimeout?: number;
  /**
   * Module whose exported `handle(input, ctx)` (or default export) runs in
   * each worker, for `run()` tasks and for sources attached without a
   * handler of their own.
   */
  handler?: string | URL;
  /** Most tasks waiting to start before `run()` rejects with `FullError` (default 65536). */
  maxQueue?: number;
  /**
   * Most units one worker takes per wake-up before it lets the others in
   * (default 32). Larger batches mean fewer wake-ups; smaller, fairer shares.
   */
  batch?: number;
  /**
   * Units one worker holds at once (default 1). Above 1, a worker whose
   * handler returned a promise takes the next unit while it waits, up to
   * this many; each one is still handled exactly once, and a worker's death
   * gives all of them back. A worker with units in flight looks for more
   * every millisecond instead of sleeping in epoll, so idle peers get the
   * wake-ups first.
   */
  concurrency?: number;
  /**
   * Units (tasks and source units) after which a worker leaves and a fresh
   * one takes its slot (default: no limit): a leaking handler is reset
   * without loss; the worker finishes the units in hand first.
   */
  maxUnitsPerWorker?: number;
  /**
   * Heap bytes (`Deno.memoryUsage().heapUsed` in the worker, checked
   * between wake-ups) above which a worker is recycled as for
   * `maxUnitsPerWorker` (default: no limit).
   */
  maxHeapBytes?: number;
  /** A name for messages and stats (default "efdpool"). */
  name?: string;
  /**
   * Milliseconds a worker may take to load its handler modules (default
   * 60000). A pool handler slower than that rejects `started()` (and the
   * pool's tasks) with `HandlerLoadError`; a source's handler fails that
   * source's `started()` and `until()`, not the pool.
   */
  loadTimeout?: number;
  /**
   * Milliseconds a task's handler may go on after its task timed out or was
   * aborted before its worker is replaced (default 5000): a handler that
   * ignores `ctx.signal` cannot pin a worker for good.
   */
  timeoutGrace?: number;
}

/** Options for {@linkcode WorkerPool.run}. */
export interface RunOptions {
  /** Aborts the task: a queued one is removed and never runs; a running one's handler sees `ctx.signal` abort. */
  signal?: AbortSignal;
  /** Buffers to move rather than copy: they are detached in the caller. */
  transfer?: ArrayBuffer[];
  /** Milliseconds before the task rejects with `TaskTimeoutError` (and its handler's signal aborts). */
  timeout?: number;
  /**
   * Which task function runs it: an export of the pool's handler module by
   * that name, or a handler added with `addHandler` (default: the module's
   * `handle` or default export). An unknown name rejects with
   * `UnknownTaskError` listing the known ones.
   */
  name?: string;
  /**
   * An integer from -2 to 2 (default 0): higher runs sooner. Once a task
   * has a priority, queued tasks wait in the pool and enter the shared queue
   * a few per worker ahead of need, so urgent ones overtake; a task's
   * priority grows by one level per 50 ms it waits, so none starves.
   */
  priority?: number;
}

/** A unit taken from an attached source, as the handler and callbacks see it. */
export interface Notification {
  /** The source's name. */
  source: string;
  /** Sequence number of the unit within its source, from 1, in the order units were taken. */
  seq: number;
  /** The worker (0-based slot) that took the unit. */
  worker: number;
  /**
   * When the unit was taken, in epoch milliseconds: the system's real-time
   * clock (what `Date.now()` reads), to a fraction of a microsecond. Units a
   * worker takes back to back share clock reads: one's end is the next
   * one's take, a read syscall early.
   */
  takenAt: number;
  /** Whether the unit is a re-delivery of one whose worker died. */
  redelivered: boolean;
}

/** Options for {@linkcode WorkerPool.attach}. */
export interface AttachOptions {
  /** Name in stats and notifications (default: `source-N`). */
  name?: string;
  /** Handler module for this source's units (default: the pool's handler). */
  handler?: string | URL;
  /** Structured-cloneable value handed to the handler as `ctx.data` (sent once per worker). */
  data?: unknown;
  /** Called on the main thread with each handler result (results are only shipped when this is set). */
  onResult?: (result: unknown, notification: Notification) => void;
  /** Called on the main thread when a handler throws; without it the pool dispatches an `error` event. */
  onError?: (error: Error, notification: Notification) => void;
  /**
   * Called on the main thread when worker `worker` died holding a unit of
   * this source, just before the unit goes back to the eventfd: a source
   * with per-unit state (a reaped completion, say) puts it back here.
   */
  onWorkerLost?: (worker: number) => void;
}

/** What a handler receives besides its input. */
export interface HandlerContext {
  /** The worker slot running the handler. */
  worker: number;
  /** Aborts when the task is cancelled or times out (`destroy()` terminates busy workers instead). */
  signal: AbortSignal;
  /** The source's `data` (undefined for tasks). */
  data: unknown;
  /** The notification, for source units (undefined for tasks). */
  notification?: Notification;
}

/** Latency percentiles in milliseconds. */
export interface Percentiles {
  /** Median. */
  p50: number;
  /** 99th percentile. */
  p99: number;
  /** Largest seen. */
  max: number;
  /** Number of samples. */
  count: number;
}

/** Per-source counters. */
export interface SourceStats {
  /** Source name. */
  name: string;
  /** Units taken from the eventfd. */
  taken: number;
  /** Units whose handler finished. */
  handled: number;
  /** Units whose handler threw. */
  failed: number;
  /** Units re-delivered after their worker died. */
  redelivered: number;
  /**
   * What kind of source, for sources outside the pool that feed it through
   * `run()` and list themselves with `addStatsSource` (e.g. `"jetstream"`).
   */
  kind?: string;
  /** Further counters such a source keeps (e.g. `inFlight`, `naked`). */
  counters?: Record<string, number>;
}

/** Per-worker counters. */
export interface WorkerStats {
  /** Worker slot. */
  id: number;
  /** Units (tasks and source units) this worker handled. */
  units: number;
  /** Tasks among them. */
  tasks: number;
  /** Share of all units, 0..1. */
  share: number;
  /** Times this slot's worker died and was replaced. */
  restarts: number;
  /**
   * Where the slot is in its life: "starting" (loading handlers), "serving",
   * "recycling" (finishing its units before a fresh worker replaces it),
   * "retiring" (idle past `idleTimeout`, leaving), "parked" (no worker: an
   * elastic pool's spare slot),
   * "backoff" (its worker died; a new one comes soon), "stopping", "gone".
   */
  state:
    | "starting"
    | "serving"
    | "recycling"
    | "retiring"
    | "parked"
    | "backoff"
    | "stopping"
    | "gone";
  /** Times this slot's worker was recycled (replaced after leaving cleanly). */
  recycled: number;
  /** Fraction of wall time spent in handlers since the pool started, 0..1. */
  utilization: number;
}

/** A snapshot from {@linkcode WorkerPool.stats}. */
export interface PoolStats {
  /** Tasks queued, not yet taken by a worker. */
  queued: number;
  /** Tasks taken and not yet settled. */
  running: number;
  /** Tasks settled since start, by outcome. */
  tasks: {
    completed: number;
    failed: number;
    cancelled: number;
    timedOut: number;
  };
  /** Time from `run()` to a worker taking the task. */
  waitTime: Percentiles;
  /** Time spent in handlers (tasks and source units). */
  runTime: Percentiles;
  /** Per-source counters. */
  sources: SourceStats[];
  /** Per-worker counters. */
  workers: WorkerStats[];
}
