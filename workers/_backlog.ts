/**
 * Tasks waiting on the pool's side for the shared queue: in order of
 * arrival while the queue is full or others wait, or, once any task had a
 * priority, every task by priority (_priority.ts), moved in only a few per
 * worker ahead of need so a later urgent task can still overtake them.
 * A task cancelled here is only marked, and skipped when its turn comes.
 *
 * @module
 */

import { now } from "./_clock.ts";
import { PriorityBacklog, type Queued } from "./_priority.ts";

/** How the backlog hands a task on. */
export interface BacklogHooks<T> {
  /** Pushes a task into the shared queue; false if the queue has no room. */
  push(task: T): boolean;
  /** Tasks in the shared queue, neither claimed by a worker nor cancelled. */
  inQueue(): number;
}

/** The tasks of one pool waiting for the shared queue. */
export class Backlog<T extends Queued> {
  /** Tasks in arrival order, from #head on. */
  #fifo: T[] = [];
  #head = 0;
  #live = 0;
  /** Set by the first task with a priority: from then on tasks wait here. */
  #prio?: PriorityBacklog<T>;
  /** Most tasks in the shared queue at once while prioritized. */
  readonly #ahead: number;
  readonly #hooks: BacklogHooks<T>;

  constructor(ahead: number, hooks: BacklogHooks<T>) {
    this.#ahead = ahead;
    this.#hooks = hooks;
  }

  /** Tasks waiting here, not counting cancelled ones. */
  get live(): number {
    return this.#live;
  }

  /**
   * A new task: straight into the shared queue if it has room and no task
   * waits before this one, else it waits here.
   */
  enter(task: T, priority: number | undefined): void {
    if (priority !== undefined || this.#prio) {
      (this.#prio ??= new PriorityBacklog()).push(task, priority ?? 0);
      this.#live++;
      this.refill();
    } else if (this.#live || !this.#hooks.push(task)) {
      this.#fifo.push(task);
      this.#live++;
    }
  }

  /** Cancels `task` if it waits here; false if it is not here. */
  drop(task: T): boolean {
    if (task.pos !== -1) return false;
    task.pos = -2; // Skipped when the backlog drains.
    this.#live--;
    return true;
  }

  /** Forgets every waiting task (their promises are settled elsewhere). */
  clear(): void {
    this.#fifo = [];
    this.#head = this.#live = 0;
    this.#prio?.clear();
  }

  /** Moves waiting tasks into the shared queue while it has room. */
  refill(): number {
    let n = 0;
    while (this.#head < this.#fifo.length) {
      const t = this.#fifo[this.#head];
      if (t.pos === -1 && !this.#hooks.push(t)) break;
      this.#head++;
      if (t.pos >= 0) {
        this.#live--;
        n++;
      }
    }
    if (this.#head > 1024 && this.#head * 2 > this.#fifo.length) {
      this.#fifo = this.#fifo.slice(this.#head);
      this.#head = 0;
    }
    if (this.#prio && this.#head === this.#fifo.length) {
      n += this.#refillByPriority(this.#prio);
    }
    return n;
  }

  /** Keeps a few tasks per worker in the shared queue, the most urgent first. */
  #refillByPriority(prio: PriorityBacklog<T>): number {
    let n = 0;
    const time = now();
    while (this.#hooks.inQueue() < this.#ahead) {
      const t = prio.pick(time);
      if (!t) break;
      if (!this.#hooks.push(t)) {
        this.#fifo.push(t); // The queue is full: it goes first next time.
        break;
      }
      this.#live--;
      n++;
    }
    return n;
  }
}
