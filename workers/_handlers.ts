/**
 * The pool's side of named tasks: the handlers added by name (every new
 * worker loads them) and the task names the workers know, once one of them
 * said, so an unknown name is refused before anything is queued.
 *
 * @module
 */

import { HandlerLoadError, UnknownTaskError } from "./errors.ts";
import type { NamedHandler } from "./_protocol.ts";
import { loadEverywhere, type LoadHooks } from "./_source_load.ts";

/** Named handlers and known task names of one pool. */
export class TaskNames {
  readonly #added: NamedHandler[] = [];
  #known?: Set<string>;

  /** The handlers added by name, for a worker that starts now. */
  added(): NamedHandler[] {
    return [...this.#added];
  }

  /** A worker reached its loop knowing `names`. */
  learn(names: string[]): void {
    this.#known ??= new Set(names);
  }

  /** Throws `UnknownTaskError` for a name the workers said they lack. */
  check(name: string): void {
    if (this.#known?.has(name) === false) {
      throw new UnknownTaskError(name, [...this.#known].sort());
    }
  }

  /** Adds a handler by name in every live worker (and every later one). */
  async add(
    workers: LoadHooks,
    name: string,
    url: string,
    timeoutMs: number,
  ): Promise<void> {
    if (this.#added.some((h) => h.name === name)) {
      throw new TypeError(
        `a handler named ${JSON.stringify(name)} was added already`,
      );
    }
    const entry = { name, url };
    this.#added.push(entry);
    try {
      await loadEverywhere(
        workers,
        { type: "handler", name, url },
        timeoutMs,
      );
    } catch (cause) {
      this.#added.splice(this.#added.indexOf(entry), 1);
      throw new HandlerLoadError(cause);
    }
    this.#known?.add(name);
  }
}
