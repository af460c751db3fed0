// The pool handler of bench/jetstream.ts: a fixed amount of CPU work, the
// number of rounds in the payload (the raw-client loops do the same inline).
// Work, not a wall-clock spin: a spin ends on time even while its thread is
// preempted, so more workers than cores would look faster than they are.
import { jetStreamHandler } from "../jetstream/mod.ts";

/** `rounds` steps of xorshift32: CPU work of a fixed cost. */
export function work(rounds: number): number {
  let x = 88675123; // a small integer: x stays an int32 in optimised code
  for (let i = 0; i < rounds; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x;
}

/** Rounds of {@linkcode work} that take `us` µs on this thread (best of 5 timings). */
export function calibrate(us: number): number {
  const probe = 2_000_000;
  work(probe); // warm up the JIT
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    work(probe);
    best = Math.min(best, performance.now() - t0);
  }
  return Math.round(probe * us / (best * 1000));
}

export const handle = jetStreamHandler((msg) => {
  // The result is used, so the loop cannot be optimised away.
  return work(Number(msg.string())) === 0.5 ? -1 : msg.seq;
});
