/**
 * The pool-side order of prioritized tasks. Once a task with a priority
 * arrives, tasks wait here and enter the shared queue only a few per
 * worker ahead of need, so a later urgent task can overtake them. Picking
 * ages tasks: each `AGING_MS` waited counts as one level more, so a low
 * level's oldest task is never passed over for long.
 *
 * @module
 */

/** Lowest and highest `priority` a task may have. */
export const PRIORITY_MIN = -2;
/** Highest `priority`. */
export const PRIORITY_MAX = 2;
/** Milliseconds of waiting that count as one level of priority. */
export const AGING_MS = 50;

/** What the backlog needs of a task. */
export interface Queued {
  /** -1 while waiting; anything else (cancelled: -2) is skipped. */
  pos: number;
  /** When `run()` was called, epoch ms. */
  enqueuedAt: number;
}

/** Tasks waiting by priority, FIFO within a level. */
export class PriorityBacklog<T extends Queued> {
  /** Per level (index = priority - PRIORITY_MIN): tasks from `heads[i]`. */
  readonly #levels: T[][] = [];
  readonly #heads: number[] = [];

  constructor() {
    for (let p = PRIORITY_MIN; p <= PRIORITY_MAX; p++) {
      this.#levels.push([]);
      this.#heads.push(0);
    }
  }

  /** Adds a waiting task at `priority`. */
  push(task: T, priority: number): void {
    this.#levels[priority - PRIORITY_MIN].push(task);
  }

  /** Takes the task to run next: the best head by level plus age; undefined if none waits. */
  pick(now: number): T | undefined {
    let best = -1;
    let bestScore = -Infinity;
    for (let i = 0; i < this.#levels.length; i++) {
      const head = this.#head(i);
      if (!head) continue;
      const score = i + (now - head.enqueuedAt) / AGING_MS;
      if (score > bestScore) {
        best = i;
        bestScore = score;
      }
    }
    if (best < 0) return undefined;
    const level = this.#levels[best];
    const task = level[this.#heads[best]++];
    if (this.#heads[best] > 1024 && this.#heads[best] * 2 > level.length) {
      this.#levels[best] = level.slice(this.#heads[best]);
      this.#heads[best] = 0;
    }
    return task;
  }

  /** The oldest waiting task of level `i`, skipping cancelled ones. */
  #head(i: number): T | undefined {
    const level = this.#levels[i];
    while (this.#heads[i] < level.length) {
      const t = level[this.#heads[i]];
      if (t.pos === -1) return t;
      this.#heads[i]++;
    }
    return undefined;
  }

  /** Forgets every waiting task. */
  clear(): void {
    for (let i = 0; i < this.#levels.length; i++) {
      this.#levels[i] = [];
      this.#heads[i] = 0;
    }
  }
}
