/**
 * Attaching a source in the workers: each live worker loads the source's
 * handler and adds its fd to its own epoll. A worker that cannot load it
 * fails the attach; one that takes longer than the load timeout is
 * replaced (it may be stuck in a module's top-level await) and fails it too.
 *
 * @module
 */

import type { SourceSpec } from "./protocol.ts";

/** The supervisor calls loading needs. */
export interface LoadHooks {
  /** Worker slots with a running worker. */
  live(): number[];
  /** Mails a worker; resolves with its error or undefined. */
  mail(
    slot: number,
    body: { type: "attach"; source: SourceSpec },
  ): Promise<unknown>;
  /** Replaces a worker. */
  replace(slot: number, cause: Error): void;
}

/** Resolves once every live worker serves `spec`; rejects with the first failure. */
export async function loadEverywhere(
  hooks: LoadHooks,
  spec: SourceSpec,
  timeoutMs: number,
): Promise<void> {
  const slots = hooks.live();
  const pending = new Set(slots);
  const acks = slots.map((slot) =>
    hooks.mail(slot, { type: "attach", source: spec }).then((error) => {
      pending.delete(slot);
      if (error !== undefined) throw error;
    })
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(
        `the handler did not load within ${timeoutMs} ms`,
      );
      for (const slot of pending) hooks.replace(slot, error);
      reject(error);
    }, timeoutMs);
  });
  try {
    await Promise.race([Promise.all(acks), late]);
  } finally {
    clearTimeout(timer);
  }
}
