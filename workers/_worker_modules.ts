/**
 * Worker side: the handler modules one worker loaded, their `setup` and
 * `teardown` hooks, and the task functions `run(payload, { name })` picks
 * from.
 *
 * @module
 */

import type { Handler } from "./_job.ts";

/** What a module's `setup(ctx)` receives. */
export interface SetupContext {
  /** The worker slot. */
  worker: number;
}

/** Exports that are hooks, never task functions. */
const HOOKS = new Set(["setup", "teardown"]);

/** The task names `ns` offers: its function exports but the hooks. */
export function taskNames(ns: Record<string, unknown>): string[] {
  return Object.keys(ns).filter((k) =>
    typeof ns[k] === "function" && !HOOKS.has(k)
  ).sort();
}

/** The modules of one worker, each imported and set up once. */
export class Modules {
  readonly #worker: number;
  readonly #loaded = new Map<string, Promise<Record<string, unknown>>>();
  /** Teardowns of the modules set up, in load order. */
  readonly #teardowns: (() => unknown)[] = [];
  /** The pool handler module's exports (for named tasks). */
  #main: Record<string, unknown> = {};
  /** Handlers added to the running pool, by name. */
  readonly #added = new Map<string, Handler>();

  constructor(worker: number) {
    this.#worker = worker;
  }

  /** Imports `url` once and awaits its `setup(ctx)`, if it exports one. */
  load(url: string): Promise<Record<string, unknown>> {
    let p = this.#loaded.get(url);
    if (!p) {
      p = this.#import(url);
      this.#loaded.set(url, p);
    }
    return p;
  }

  async #import(url: string): Promise<Record<string, unknown>> {
    const ns = await import(url) as Record<string, unknown>;
    const { setup, teardown } = ns;
    if (typeof setup === "function") await setup({ worker: this.#worker });
    if (typeof teardown === "function") {
      this.#teardowns.push(teardown as () => unknown);
    }
    return ns;
  }

  /** Loads the pool's handler module; returns its `handle` (or default) export. */
  async main(url: string): Promise<Handler> {
    this.#main = await this.load(url);
    return handlerOf(url, this.#main);
  }

  /** Loads a handler added to the running pool under `name`. */
  async add(name: string, url: string): Promise<void> {
    this.#added.set(name, handlerOf(url, await this.load(url)));
  }

  /** The task function called `name`, or the names known if there is none. */
  named(name: string): Handler | string[] {
    const fn = this.#added.get(name) ??
      (HOOKS.has(name) || !Object.hasOwn(this.#main, name)
        ? undefined
        : this.#main[name]);
    return typeof fn === "function" ? fn as Handler : this.names();
  }

  /** Every task name this worker knows. */
  names(): string[] {
    return [...new Set([...taskNames(this.#main), ...this.#added.keys()])]
      .sort();
  }

  /** Runs every module's `teardown()` (newest first); errors are returned, not thrown. */
  async teardown(): Promise<unknown[]> {
    const errors: unknown[] = [];
    for (const t of this.#teardowns.splice(0).reverse()) {
      try {
        await t();
      } catch (e) {
        errors.push(e);
      }
    }
    return errors;
  }
}

/** A module's `handle` export, or its default export. */
export function handlerOf(url: string, ns: Record<string, unknown>): Handler {
  const fn = ns.handle ?? ns.default;
  if (typeof fn !== "function") {
    throw new TypeError(
      `handler module ${url} exports no function named "handle" (or a default export)`,
    );
  }
  return fn as Handler;
}
