/**
 * Delivering a source unit's result record on the pool's thread: to the
 * source's `onResult` or `onError`, or as the pool's `error` event. A
 * callback that throws is reported the same way; delivery never stops.
 *
 * @module
 */

import { decode } from "./_codec.ts";
import { Status } from "./_protocol.ts";
import type { RingRecord } from "./_ring.ts";
import type { AttachOptions, Notification } from "./types.ts";

/** What delivery needs to know of a source. */
export interface Recipient {
  name: string;
  onResult?: AttachOptions["onResult"];
  onError?: AttachOptions["onError"];
}

/** Hands one record to its callback; `report` takes what has nowhere else to go. */
export function deliver(
  to: Recipient,
  r: RingRecord,
  report: (error: unknown, message: string) => void,
): void {
  const value = decode(r.kind, r.num, r.bytes);
  const n: Notification = {
    source: to.name,
    seq: r.seq,
    worker: r.worker,
    takenAt: r.time,
    redelivered: r.redelivered,
  };
  const ok = r.status === Status.Ok;
  if (!ok && !to.onError) {
    return report(value, `handler of source ${to.name} failed`);
  }
  try {
    if (ok) to.onResult?.(value, n);
    else to.onError!(asError(value), n);
  } catch (error) {
    report(error, `${ok ? "onResult" : "onError"} of source ${to.name} threw`);
  }
}

/** Any thrown value as an Error, whatever its type. */
export function asError(e: unknown): Error {
  if (e instanceof Error) return e;
  try {
    return new Error(String(e));
  } catch {
    return new Error(Object.prototype.toString.call(e));
  }
}
