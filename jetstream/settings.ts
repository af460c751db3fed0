/**
 * `attach()` options, checked and completed from the consumer's config.
 *
 * @module
 */

import type { ConsumerConfig } from "./nats.ts";
import type { JetStreamAttachOptions, PoolLike } from "./types.ts";

/** Checked attach options. */
export interface Settings {
  pool: PoolLike;
  /** Most messages held at once. */
  max: number;
  nakDelay: number;
  maxDeliver: number;
  expires: number;
  onResult?: JetStreamAttachOptions["onResult"];
  onError?: JetStreamAttachOptions["onError"];
}

function int(what: string, v: unknown, min: number): number {
  if (!Number.isInteger(v) || (v as number) < min) {
    throw new RangeError(`${what} must be an integer ≥ ${min}, got ${v}`);
  }
  return v as number;
}

function ms(what: string, v: unknown, min: number): number {
  if (typeof v !== "number" || !(v >= min) || !Number.isFinite(v)) {
    throw new RangeError(`${what} must be a number of ms ≥ ${min}, got ${v}`);
  }
  return v;
}

/** Checks `options` (throwing a `TypeError`/`RangeError` naming the bad one) and fills in defaults. */
export function settings(
  pool: PoolLike,
  o: JetStreamAttachOptions,
  cfg: Partial<ConsumerConfig>,
): Settings {
  if (typeof pool?.run !== "function" || typeof pool.ready !== "function") {
    throw new TypeError("attach(pool): pool must be a WorkerPool");
  }
  if (typeof o !== "object" || o === null) {
    throw new TypeError("attach(pool, options): options must be an object");
  }
  for (const f of ["onResult", "onError"] as const) {
    if (o[f] !== undefined && typeof o[f] !== "function") {
      throw new TypeError(`${f} must be a function`);
    }
  }
  const pending = cfg.max_ack_pending ?? -1;
  const cap = pending > 0 ? pending : Infinity;
  const max = int(
    "maxInFlight",
    o.maxInFlight ?? Math.max(128, 32 * pool.size),
    1,
  );
  const deliver = cfg.max_deliver ?? -1;
  return {
    pool,
    max: Math.min(max, cap),
    nakDelay: ms("nakDelay", o.nakDelay ?? 1000, 0),
    maxDeliver: o.maxDeliver === undefined
      ? (deliver > 0 ? deliver : Infinity)
      : int("maxDeliver", o.maxDeliver, 1),
    expires: ms("expires", o.expires ?? 1000, 1000),
    onResult: o.onResult,
    onError: o.onError,
  };
}
