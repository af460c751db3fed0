/**
 * The checks behind each public `WorkerPool` call: options in, normalized
 * settings out, or a `TypeError`/`RangeError` naming what is wrong.
 *
 * @module
 */

import { EventFd } from "../ffi/eventfd.ts";
import { type EventFdInfo, eventFdInfo } from "../ffi/_fdinfo.ts";
import type { PoolConfig } from "./_assemble.ts";
import "./_clone_main.ts";
import { encode, type Encoded } from "./_codec.ts";
import { MAX_CONCURRENCY } from "./_layout.ts";
import { PRIORITY_MAX, PRIORITY_MIN } from "./_priority.ts";
import type { AttachOptions, PoolOptions, RunOptions } from "./types.ts";
import {
  checkFunction,
  checkHandler,
  checkInt,
  checkMs,
  checkOptions,
  checkSignal,
  checkString,
  checkTransfer,
  or,
  show,
} from "./_validate.ts";

/** The constructor's options, checked and with defaults. */
export function checkPoolOptions(options: PoolOptions): PoolConfig {
  const o = checkOptions("options", options);
  const { workers, minWorkers } = checkSize(o);
  return {
    workers,
    minWorkers,
    idleTimeout: checkMs("options.idleTimeout", or(o.idleTimeout, 10_000)),
    maxQueue: checkInt("options.maxQueue", or(o.maxQueue, 65536), 1, 2 ** 30),
    batch: checkInt("options.batch", or(o.batch, 32), 1, 2 ** 20),
    concurrency: checkInt(
      "options.concurrency",
      or(o.concurrency, 1),
      1,
      MAX_CONCURRENCY,
    ),
    maxUnits: checkInt(
      "options.maxUnitsPerWorker",
      or(o.maxUnitsPerWorker, 0),
      o.maxUnitsPerWorker === undefined ? 0 : 1,
      2 ** 52,
    ),
    maxHeap: checkInt(
      "options.maxHeapBytes",
      or(o.maxHeapBytes, 0),
      o.maxHeapBytes === undefined ? 0 : 1,
      2 ** 52,
    ),
    name: checkString("options.name", or(o.name, "efdpool")),
    loadTimeout: checkMs("options.loadTimeout", or(o.loadTimeout, 60_000)),
    grace: checkMs("options.timeoutGrace", or(o.timeoutGrace, 5_000)),
    handler: o.handler === undefined
      ? null
      : checkHandler("options.handler", o.handler),
  };
}

/** `workers`, `minWorkers` and `maxWorkers`, which must agree. */
function checkSize(o: PoolOptions): { workers: number; minWorkers: number } {
  const given = o.workers === undefined
    ? undefined
    : checkInt("options.workers", o.workers, 1, 1024);
  const max = o.maxWorkers === undefined
    ? undefined
    : checkInt("options.maxWorkers", o.maxWorkers, 1, 1024);
  if (given !== undefined && max !== undefined && given !== max) {
    throw new RangeError(
      `options.workers (${given}) and options.maxWorkers (${max}) disagree: give one`,
    );
  }
  const workers = given ?? max ?? navigator.hardwareConcurrency;
  const minWorkers = o.minWorkers === undefined
    ? workers
    : checkInt("options.minWorkers", o.minWorkers, 0, workers);
  return { workers, minWorkers };
}

/** `run()`'s options. */
export function checkRunOptions(options: RunOptions): RunOptions {
  const opts = checkOptions("options", options);
  checkSignal("options.signal", opts.signal);
  if (opts.timeout !== undefined) checkMs("options.timeout", opts.timeout);
  if (opts.name !== undefined) checkTaskName("options.name", opts.name);
  if (opts.priority !== undefined) {
    checkInt("options.priority", opts.priority, PRIORITY_MIN, PRIORITY_MAX);
  }
  checkTransfer(opts.transfer);
  return opts;
}

const nameEncoder = new TextEncoder();

/** A task name: a non-empty string that is not one of the module hooks. */
export function checkTaskName(what: string, name: unknown): string {
  checkString(what, name);
  if (name === "" || name === "setup" || name === "teardown") {
    throw new TypeError(
      `${what} must name a task function, got ${show(name)}`,
    );
  }
  return name as string;
}

/**
 * Encodes a task payload that fits a queue record; a task name travels
 * after the payload's bytes. Returns the name's length in bytes too.
 */
export function encodeTask(
  payload: unknown,
  name: string | undefined,
  maxPayload: number,
): { encoded: Encoded; nameLen: number } {
  const encoded = encodePayload(payload, maxPayload);
  if (name === undefined) return { encoded, nameLen: -1 };
  const tail = nameEncoder.encode(name);
  const head = encoded.bytes ?? new Uint8Array(0);
  const bytes = new Uint8Array(head.length + tail.length);
  bytes.set(head);
  bytes.set(tail, head.length);
  if (bytes.length > maxPayload) {
    throw new RangeError(
      `payload and name of ${bytes.length} bytes exceed the ${maxPayload}-byte limit`,
    );
  }
  return { encoded: { ...encoded, bytes }, nameLen: tail.length };
}

/** Encodes a task payload that fits a queue record. */
export function encodePayload(payload: unknown, maxPayload: number): Encoded {
  let encoded: Encoded;
  try {
    encoded = encode(payload);
  } catch (e) {
    throw new TypeError(
      `payload cannot be sent to a worker: ${(e as Error).message}`,
    );
  }
  const size = encoded.bytes?.length ?? 0;
  if (size > maxPayload) {
    throw new RangeError(
      `payload of ${size} bytes exceeds the ${maxPayload}-byte limit`,
    );
  }
  return encoded;
}

/** `attach()`'s arguments; `poolHandler` is the default handler. */
export function checkAttach(
  eventfd: unknown,
  options: AttachOptions,
  poolHandler: string | null,
): { opts: AttachOptions; handler: string } {
  if (!(eventfd instanceof EventFd)) {
    throw new TypeError(`eventfd must be an EventFd, got ${show(eventfd)}`);
  }
  const o = checkOptions("options", options);
  if (o.name !== undefined) checkString("options.name", o.name);
  const handler = o.handler === undefined
    ? poolHandler
    : checkHandler("options.handler", o.handler);
  if (handler === null) {
    throw new TypeError(
      "attach needs a handler: pass options.handler here or handler to the pool",
    );
  }
  checkFunction("options.onResult", o.onResult);
  checkFunction("options.onError", o.onError);
  checkFunction("options.onWorkerLost", o.onWorkerLost);
  try {
    structuredClone(o.data);
  } catch (e) {
    throw new TypeError(
      `options.data cannot be sent to a worker: ${(e as Error).message}`,
    );
  }
  return { opts: o, handler };
}

/**
 * An eventfd a pool can serve: open, and a semaphore (the kernel's word in
 * /proc/self/fdinfo where it can be read). Returns what the kernel said.
 */
export function checkAttachable(eventfd: EventFd): EventFdInfo | null {
  if (eventfd.closed) throw new TypeError("eventfd is closed");
  const info = eventFdInfo(eventfd.fd);
  if ((info?.semaphore ?? eventfd.semaphore) === false) {
    throw new TypeError(
      `eventfd ${eventfd.fd} is not an EFD_SEMAPHORE eventfd: one read would hand a worker every unit at once`,
    );
  }
  return info;
}
