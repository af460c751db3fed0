/**
 * Timers that never outlive what they bound (the test sanitizers count them).
 *
 * @module
 */

/** Resolves after `ms`. */
export function later(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Awaits `p` for at most `ms`: true if it settled in time. */
export async function within(
  p: Promise<unknown>,
  ms: number,
): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((r) =>
    timer = setTimeout(() => r(false), ms)
  );
  try {
    return await Promise.race([p.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
