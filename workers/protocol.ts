/**
 * Messages between the pool thread and its workers, and the epoll `data`
 * tags that tell a worker which fd woke it.
 *
 * @module
 */

/** epoll data of the shared task eventfd. */
export const TASK_TAG = 0xffff;
/** epoll data of a worker's private control eventfd. */
export const CONTROL_TAG = 0xfffe;

/** Result record status. */
export const Status = { Ok: 0, Error: 1 } as const;

/** A source as a worker needs to know it. */
export interface SourceSpec {
  index: number;
  name: string;
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
  epfd: number;
  ctlfd: number;
  taskfd: number;
  handler: string | null;
  batch: number;
  sources: SourceSpec[];
}

/** Pool → worker, delivered through the mailbox (post, then bump `W.Mail`, then wake). */
export type MailMessage =
  | { type: "attach"; gen: number; source: SourceSpec }
  | { type: "detach"; gen: number; index: number }
  | { type: "abort"; gen: number; id: number; reason: string };

/** Worker → pool. */
export type WorkerMessage =
  | { type: "ready"; slot: number }
  | { type: "init-error"; slot: number; error: unknown }
  | { type: "ack"; slot: number; gen: number }
  | { type: "exit"; slot: number; closed: boolean };
