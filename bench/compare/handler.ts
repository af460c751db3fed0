/**
 * The benchmark's handler, the same code under efdpool and the postMessage
 * pool, so the pools differ only in how work reaches it.
 *
 * - A task `n` (number) returns `n + 1`.
 * - A task of bytes (a `Uint8Array`, the payload-size sweep) returns its
 *   length plus its first byte, so the handler must really receive them.
 * - A task `{ i, stampedAt }` returns `{ value: i + 1, latencyUs }`, the time
 *   from the producer's stamp to the handler starting.
 * - A source unit adds its seq to this worker's slot of `data.sums` (and
 *   counts it); with `data.times`, it also records when the unit was taken
 *   (`takenAt`) and when the handler started, for the runner to diff with
 *   the producer's stamps (which may live in another process: c_ref.c's
 *   `prodlat`).
 *
 * @module
 */

import { now } from "../../workers/_clock.ts";
import type { HandlerContext, Notification } from "../../workers/types.ts";

/** A stamped task, for wake latency. */
export interface StampedTask {
  /** Value to increment, for the sum check. */
  i: number;
  /** Producer's stamp, epoch ms. */
  stampedAt: number;
}

/** What a stamped task returns. */
export interface StampedResult {
  /** `i + 1`. */
  value: number;
  /** Stamp to handler start, µs. */
  latencyUs: number;
}

/** A source's `data`. */
export interface SourceData {
  /** Float64 slots: worker w's seq sum at `w * SLOT`, its unit count at `w * SLOT + 1`. */
  sums: SharedArrayBuffer;
  /**
   * Latency mode: `2 * units` float64s — each unit's `takenAt`, then the
   * time its handler started (epoch ms), indexed by `seq - firstSeq`.
   */
  times?: SharedArrayBuffer;
  /** Seq of the first timed unit; earlier ones (warm-up) are only summed. */
  firstSeq?: number;
}

/** Float64s per worker in `SourceData.sums`: one cache line, so workers never share one. */
export const SLOT = 8;

let cached:
  | { data: SourceData; sums: Float64Array; times?: Float64Array }
  | undefined;

// The pool hands the same `data` object to every call in a worker; making
// typed-array views once keeps allocation out of the measured path.
function views(data: SourceData) {
  if (cached?.data !== data) {
    cached = {
      data,
      sums: new Float64Array(data.sums),
      times: data.times && new Float64Array(data.times),
    };
  }
  return cached;
}

/**
 * Handles one benchmark item (see the module doc).
 *
 * @example
 * ```ts
 * import { handle } from "./handler.ts";
 * console.log(handle(41)); // 42
 * ```
 */
export function handle(
  input: number | Uint8Array | StampedTask | Notification,
  ctx?: HandlerContext,
): number | StampedResult | undefined {
  if (typeof input === "number") return input + 1;
  if (input instanceof Uint8Array) return input.length + input[0];
  if ("stampedAt" in input) {
    return {
      value: input.i + 1,
      latencyUs: (now() - input.stampedAt) * 1000,
    };
  }
  const v = views(ctx!.data as SourceData);
  const slot = input.worker * SLOT;
  v.sums[slot] += input.seq;
  v.sums[slot + 1] += 1;
  const at = input.seq - (v.data.firstSeq ?? 1);
  if (v.times && at >= 0) {
    v.times[at] = input.takenAt;
    v.times[v.times.length / 2 + at] = now();
  }
  return undefined;
}
