/**
 * The pool's clock: epoch milliseconds with sub-microsecond precision,
 * shared by the pool thread (task enqueue times) and the workers (take and
 * finish times), so times from different threads compare directly.
 *
 * @module
 */

import { type Libc, libc } from "../ffi/_libc.ts";

const CLOCK_REALTIME = 0;
/** Bound on first use: importing the pool must not need --allow-ffi yet. */
let clockGettime: Libc["clock_gettime"] | undefined;
/** `struct timespec` on x86_64: tv_sec (int64, as two uint32), tv_nsec. */
const ts = new Uint32Array(4);

/**
 * Now, in epoch ms (what `Date.now()` says, to the nanosecond).
 *
 * A worker reads it once per unit, right after a system call: there
 * `performance.now()` (a Deno op) measured 290 ns of the unit's cost against
 * 130 ns for clock_gettime through FFI and the vDSO. Durations between two
 * readings can come out negative if the system clock is stepped; the
 * counters clamp them at zero.
 */
export function now(): number {
  (clockGettime ??= libc().clock_gettime)(CLOCK_REALTIME, ts);
  return (ts[1] * 4294967296 + ts[0]) * 1000 + ts[2] / 1e6;
}
