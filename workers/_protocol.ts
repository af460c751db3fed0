/**
 * Messages between the pool thread and its workers, and the epoll `data`
 * tags that tell a worker which fd woke it.
 *
 * @module
 */

import type { RingLayout } from "../io/_uring_ring.ts";

/** epoll data of the shared task eventfd. */
export const TASK_TAG = 0xffff;
/** epoll data of a worker's private control eventfd. */
export const CONTROL_TAG = 0xfffe;

/** Result record status. */
export const Status = {
  Ok: 0,
  Error: 1,
  /** A named task whose name the worker does not know; the value is `{ name, known }`. */
  Unknown: 2,
} as const;

/** A handler added to a running pool under a task name. */
export interface NamedHandler {
  name: string;
  url: string;
}

/** A source as a worker needs to know it. */
export interface SourceSpec {
  index: number;
  name: string;
  /** The pool's own duplicate of the source's eventfd. */
  fd: number;
  handler: string;
  data: unknown;
  wantResults: boolean;
}

/** Everything a fresh worker needs to join the pool. */
export interface InitMessage {
  type: "init";
  slot: number;
  slots: number;
  ctl: SharedArrayBuffer;
  seq: SharedArrayBuffer;
  queue: SharedArrayBuffer;
  results: SharedArrayBuffer;
  /** This worker's epoll: only its control fd is in it; the worker adds the rest. */
  epfd: number;
  ctlfd: number;
  taskfd: number;
  handler: string | null;
  /** Handlers added to the pool by name, loaded before serving. */
  handlers: NamedHandler[];
  batch: number;
  /** Units one worker may hold at once. */
  concurrency: number;
  /** Units after which the worker leaves to be replaced (0: no limit). */
  maxUnits: number;
  /** Heap bytes above which the worker leaves to be replaced (0: no limit). */
  maxHeap: number;
  sources: SourceSpec[];
  /** The io_uring this incarnation takes batches of units with, if any (see _worker_take.ts). */
  take: RingLayout | null;
}

/** Pool → worker, delivered through the mailbox (post, then bump the generation, then wake). */
export type MailMessage =
  | { type: "attach"; gen: number; source: SourceSpec }
  | { type: "detach"; gen: number; index: number }
  | { type: "handler"; gen: number; name: string; url: string }
  /** Leave after the units in hand, to be replaced by a fresh worker. */
  | { type: "recycle"; gen: number }
  | { type: "abort"; gen: number; id: number; reason: string };

/** Why a worker's thread ended, as it tells the pool. */
export type ExitReason =
  /** Left its loop because the pool is stopping. */
  | "stopped"
  /** A handler called `self.close()`; the unit in hand was finished. */
  | "closed"
  /** A handler called `Deno.exit()`; the unit in hand was not finished. */
  | "exit"
  /** Left to be replaced: asked to, or past its unit or heap limit. */
  | "recycled";

/** Worker → pool. */
export type WorkerMessage =
  /** In its loop; `names` are the task names it knows. */
  | { type: "ready"; names: string[] }
  /** Left its loop for good; its modules' teardowns run now. */
  | { type: "leaving"; reason: ExitReason }
  | { type: "teardown-error"; error: unknown }
  | { type: "init-error"; error: unknown; source?: number }
  | { type: "ack"; gen: number; error?: unknown }
  | { type: "exit"; reason: ExitReason; code?: number }
  | { type: "source-error"; index: number; error: unknown; load: boolean };
