// The pool handler of bench/jetstream.ts: spin for the number of
// microseconds in the payload (the raw-client loop does the same inline).
import { jetStreamHandler } from "../jetstream/mod.ts";

/** Busy-waits `us` microseconds: a CPU-bound handler of known cost. */
export function spin(us: number): number {
  const end = performance.now() + us / 1000;
  let x = 0;
  while (performance.now() < end) x++;
  return x;
}

export const handle = jetStreamHandler((msg) => {
  spin(Number(msg.string()));
  return msg.seq;
});
