/**
 * The units on the pool's task eventfd: one per task pushed into the
 * shared queue, written once per turn of the event loop rather than once
 * per task, and spread over several writes so that each worker that may be
 * idle is woken by one (`EPOLLEXCLUSIVE` wakes one waiter per write).
 *
 * @module
 */

import type { EventFd } from "../ffi/eventfd.ts";
import { now } from "./_clock.ts";

/** The task eventfd's writer for one pool. */
export class TaskUnits {
  readonly #taskFd: EventFd;
  /** Worker slots: the most writes one flush needs. */
  readonly #size: number;
  #unitsToWrite = 0;
  #flushQueued = false;
  /** Whether this turn has added a task, and its enqueue time. */
  #turnOpen = false;
  #turnClock = 0;

  constructor(taskFd: EventFd, size: number) {
    this.#taskFd = taskFd;
    this.#size = size;
  }

  /**
   * Opens this turn for a task being added; true for its first task. The
   * first task of a turn reads the clock, which the turn's tasks share as
   * their enqueue time: they are enqueued together, at the turn's end.
   */
  open(): boolean {
    if (this.#turnOpen) return false;
    this.#turnOpen = true;
    this.#turnClock = now();
    this.#queueFlush();
    return true;
  }

  /** The enqueue time of this turn's tasks, epoch ms. */
  get clock(): number {
    return this.#turnClock;
  }

  /** A task entered the shared queue: its unit goes out at the turn's end. */
  owe(): void {
    this.#unitsToWrite++;
    this.#queueFlush();
  }

  #queueFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => this.#flush());
  }

  /** Writes the units of this turn's tasks: one write per worker that may be idle, so each wakes one. */
  #flush(): void {
    this.#flushQueued = false;
    this.#turnOpen = false;
    const n = this.#unitsToWrite;
    if (!n || this.#taskFd.closed) return;
    this.#unitsToWrite = 0;
    const spread = Math.min(n, this.#size);
    this.#taskFd.write(n - spread + 1);
    for (let i = 1; i < spread; i++) this.#taskFd.write(1);
  }
}
