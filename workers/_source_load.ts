/**
 * Attaching a source in the workers: each live worker loads the source's
 * handler and adds its fd to its own epoll. A worker that cannot load it
 * fails the attach; one that takes longer than the load timeout is
 * replaced (it may be stuck in a module's top-level await) and fails it too.
 *
 * @module
 */

import type { MailBody } from "./_supervisor.ts";

/** The supervisor calls loading needs. */
export interface LoadHooks {
  /** Worker slots with a running worker. */
  live(): number[];
  /** Mails a worker; resolves with its error or undefined. */
  mail(slot: number, body: MailBody): Promise<unknown>;
  /** Replaces a worker. */
  replace(slot: number, cause: Error): void;
}

/**
 * Resolves once every live worker ran `body` (an attach, or a handler added
 * by name); rejects with the first failure.
 */
export async function loadEverywhere(
  hooks: LoadHooks,
  body: MailBody,
  timeoutMs: number,
): Promise<void> {
  const slots = hooks.live();
  const pending = new Set(slots);
  const acks = slots.map((slot) =>
    hooks.mail(slot, body).then((error) => {
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
