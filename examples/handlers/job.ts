/**
 * The pool handler of `examples/distributed.ts`: one JetStream message is
 * one job `{ "n": N }`; the answer is the number of primes below N, a
 * CPU-bound stand-in for real work. Idempotent: the same job gives the same
 * answer, so a redelivered message does no harm.
 *
 * @module
 */

import { jetStreamHandler } from "../../jetstream/mod.ts";

/** Counts the primes below `n` by trial division. */
export function primesBelow(n: number): number {
  let count = 0;
  for (let i = 2; i < n; i++) {
    let prime = true;
    for (let d = 2; d * d <= i; d++) {
      if (i % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}

export const handle = jetStreamHandler((msg) => {
  const { n } = msg.json<{ n: number }>();
  if (!Number.isInteger(n) || n < 0) {
    throw new TypeError(`bad job at seq ${msg.seq}: ${msg.string()}`);
  }
  return primesBelow(n);
});
