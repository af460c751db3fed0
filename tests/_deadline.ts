/**
 * Test helper: every wait in a test has a deadline, so a broken guarantee
 * fails in seconds with the name of what hung instead of at the runner's limit.
 *
 * @module
 */

/** Thrown by {@linkcode deadline} when the awaited thing did not settle in time. */
export class DeadlineError extends Error {
  /** Make one naming what hung and the bound it missed. */
  constructor(what: string, ms: number) {
    super(`${what} did not settle within ${ms} ms`);
    this.name = "DeadlineError";
  }
}

/**
 * Await `p`, or reject with {@linkcode DeadlineError} after `ms`. The timer is
 * cleared either way, so the test's resource sanitizer stays quiet.
 */
export function deadline<T>(
  p: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(what, ms)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Poll `cond` every few ms until it is true, or fail after `ms` naming `what`. */
export async function waitUntil(
  cond: () => boolean,
  ms: number,
  what: string,
): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new DeadlineError(what, ms);
    await new Promise((r) => setTimeout(r, 2));
  }
}
