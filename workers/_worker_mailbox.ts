/**
 * Worker side: the order of the pool's mail. Messages run one at a time,
 * in the order they came (also while a handler awaits): an attach still
 * importing its handler must not be overtaken by the detach after it. The
 * pool announces each message in shared memory before posting it, so the
 * worker's loop can wait until it has run every message announced.
 *
 * @module
 */

import type { MailMessage } from "./_protocol.ts";

/** One worker's mail, run in order. */
export class Mailbox {
  #seen = 0;
  #waiter: (() => void) | null = null;
  #chain: Promise<void>;
  readonly #run: (msg: MailMessage) => Promise<void>;
  readonly #posted: () => number;

  /**
   * Runs each message with `run` after `first` settles (the handlers'
   * load); `posted` reads the newest generation the pool announced.
   */
  constructor(
    first: Promise<unknown>,
    run: (msg: MailMessage) => Promise<void>,
    posted: () => number,
  ) {
    this.#chain = first.then(() => {}, () => {});
    this.#run = run;
    this.#posted = posted;
  }

  /** Queues a message behind those before it. */
  push(msg: MailMessage): void {
    this.#chain = this.#chain.then(() => this.#run(msg));
  }

  /** Message `gen` has been run (or is parked until its units finish). */
  done(gen: number): void {
    this.#seen = gen;
    this.#waiter?.();
  }

  /** Waits until every message the pool announced has been run. */
  async catchUp(): Promise<void> {
    const target = this.#posted();
    while (this.#seen < target) {
      await new Promise<void>((r) => this.#waiter = r);
      this.#waiter = null;
    }
  }
}
