/**
 * What every Deno benchmark runner shares: its command line, the one JSON
 * line it prints, time stamps, sleeping to a deadline and percentiles.
 *
 * A runner measures one thing in its own process and prints one JSON object
 * (a {@linkcode RunReport}); bench/compare.ts checks the sums and builds the
 * table.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { now } from "../../workers/_clock.ts";
import { contextSwitches, threadCpuNs } from "./procstat.mjs";

/** Units or tasks pushed through before a latency run's samples count (JIT, cold caches). */
export const LATENCY_WARMUP = 50;

/**
 * Units or tasks pushed through at full speed before a latency run, so a
 * JavaScript consumer is measured with its code optimised, as a long-running
 * one is (C needs none). With only LATENCY_WARMUP, efdpool's p99 at W=1 was
 * 1.2 ms from tier-up; after 30k units, 0.17–0.24 ms (one run each, side by
 * side).
 */
export const JIT_WARMUP = 20_000;

/** Percentiles of a latency sample, in microseconds. */
export interface LatencyUs {
  /** Median. */
  p50: number;
  /** 99th percentile. */
  p99: number;
  /** Largest sample. */
  max: number;
  /** Number of samples. */
  count: number;
  /** `[quantile, µs]` pairs at {@linkcode CDF_QUANTILES}, for the latency CDF chart. */
  cdf?: [number, number][];
}

/** Quantiles a latency CDF is drawn through (c_ref.c prints the same ones). */
export const CDF_QUANTILES: readonly number[] = [
  0.01,
  0.05,
  0.1,
  0.2,
  0.3,
  0.4,
  0.5,
  0.6,
  0.7,
  0.8,
  0.9,
  0.95,
  0.98,
  0.99,
  0.995,
  0.999,
  1,
];

/**
 * What a runner prints. `handled` and `sum` cover every unit or task the run
 * made, warm-up included (`items + warmup` of them), so the parent can check
 * exactly-once against a sum it computes itself.
 */
export interface RunReport {
  /** Units or tasks measured. */
  items: number;
  /** Units or tasks made before the measurement, to warm up. */
  warmup: number;
  /** Units or tasks that were handled (warm-up included). */
  handled: number;
  /** Sum of the seqs (sources) or results (tasks) seen. */
  sum: number;
  /** Measured items per second. */
  itemsPerSec: number;
  /** Context switches of the whole process per measured item. */
  ctxPerUnit: number;
  /**
   * Task runs: CPU time of the runner's main thread per measured task, µs.
   * That thread submits the tasks and settles their promises: what bounds
   * `run()` when the workers are not the limit.
   */
  mainCpuUs?: number;
  /** Bytes per task in the payload sweep (0 or absent: number tasks). */
  payloadBytes?: number;
  /** Share of the units each worker took, when the runner can tell. */
  shares?: number[];
  /** Wake latency: from the producer's stamp to the unit being taken. */
  latencyUs?: LatencyUs;
  /** From the producer's stamp to the handler starting (efdpool sources). */
  entryLatencyUs?: LatencyUs;
}

/** Options every runner reads from its command line. */
export interface RunnerArgs {
  /** Worker count. */
  workers: number;
  /** Items (units or tasks) to measure. */
  items: number;
  /** `tput` or `latency`. */
  mode: string;
  /** Units per write for sources (1: one write per unit). */
  batchSize: number;
  /** Producer spacing in latency mode, µs. */
  spacingUs: number;
  /** Which pool, for runners that serve several. */
  pool: string;
  /** Idle time to measure, ms. */
  idleMs: number;
  /** Who writes source units: `deno` (this main thread) or `c` (c_ref prod). */
  producer: string;
  /** Path of the built c_ref binary, for `--producer c`. */
  cRef: string;
  /** Task payload size for the size sweep; 0 sends small numbers. */
  payloadBytes: number;
  /** Tasks in flight at most in tput mode; 0 submits them all at once. */
  window: number;
}

/**
 * Parses a runner's command line (`--workers 4 --items 200000 --mode tput …`).
 *
 * @example
 * ```ts
 * import { runnerArgs } from "./runner.ts";
 * console.log(runnerArgs(["--workers", "2"]).workers); // 2
 * ```
 */
export function runnerArgs(args: string[] = Deno.args): RunnerArgs {
  const { values } = parseArgs({
    args,
    options: {
      workers: { type: "string", default: "1" },
      items: { type: "string", default: "200000" },
      mode: { type: "string", default: "tput" },
      "batch-size": { type: "string", default: "1" },
      "spacing-us": { type: "string", default: "200" },
      pool: { type: "string", default: "none" },
      "idle-ms": { type: "string", default: "5000" },
      producer: { type: "string", default: "deno" },
      "c-ref": { type: "string", default: "" },
      "payload-bytes": { type: "string", default: "0" },
      window: { type: "string", default: "0" },
    },
  });
  const int = (name: string, v: string, min: number): number => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min) {
      throw new RangeError(
        `--${name} must be an integer >= ${min}, got "${v}"`,
      );
    }
    return n;
  };
  return {
    workers: int("workers", values.workers, 0),
    items: int("items", values.items, 1),
    mode: values.mode,
    batchSize: int("batch-size", values["batch-size"], 1),
    spacingUs: int("spacing-us", values["spacing-us"], 1),
    pool: values.pool,
    idleMs: int("idle-ms", values["idle-ms"], 0),
    producer: values.producer,
    cRef: values["c-ref"],
    payloadBytes: int("payload-bytes", values["payload-bytes"], 0),
    window: int("window", values.window, 0),
  };
}

/** First byte of every sweep payload; the handler returns length + this. */
export const PAYLOAD_MARK = 7;

/**
 * The payload of the size sweep: `bytes` bytes, the first {@linkcode PAYLOAD_MARK}.
 * One array serves every task; each pool copies it on submission.
 *
 * @example
 * ```ts
 * import { sweepPayload } from "./runner.ts";
 * console.log(sweepPayload(8).length); // 8
 * ```
 */
export function sweepPayload(bytes: number): Uint8Array {
  const p = new Uint8Array(bytes);
  p[0] = PAYLOAD_MARK;
  return p;
}

/** Warm-up size for a throughput run of `items`. */
export function warmupFor(items: number): number {
  return Math.min(2000, items);
}

/**
 * Prints the runner's one JSON line.
 *
 * @example
 * ```ts
 * import { emit } from "./runner.ts";
 * emit({ rssKiB: 1 });
 * ```
 */
export function emit(report: RunReport | Record<string, unknown>): void {
  console.log(JSON.stringify(report));
}

/**
 * Wall clock in epoch ms with sub-µs resolution, comparable across Workers:
 * the clock `Notification.takenAt` is read from.
 *
 * @example
 * ```ts
 * import { epochNow } from "./runner.ts";
 * console.log(epochNow() > 0);
 * ```
 */
export function epochNow(): number {
  return now();
}

const nap = new Int32Array(new SharedArrayBuffer(4));

/**
 * Blocks the thread until `deadline` (a `performance.now()` value). Deno lets
 * the main thread `Atomics.wait`, which sleeps in the kernel like C's
 * `clock_nanosleep` does, rather than spinning a core away from the workers.
 *
 * @example
 * ```ts
 * import { sleepUntil } from "./runner.ts";
 * sleepUntil(performance.now() + 0.2);
 * ```
 */
export function sleepUntil(deadline: number): void {
  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0) return;
    Atomics.wait(nap, 0, 0, left);
  }
}

/**
 * Percentiles of latency samples (µs), leaving out the first `skip`.
 *
 * @example
 * ```ts
 * import { percentilesUs } from "./runner.ts";
 * console.log(percentilesUs([3, 1, 2]).p50); // 2
 * ```
 */
export function percentilesUs(
  samples: ArrayLike<number>,
  skip = 0,
): LatencyUs {
  const s = Float64Array.from(samples).subarray(skip).sort();
  if (s.length === 0) throw new RangeError("no latency samples after warm-up");
  const at = (q: number) => s[Math.floor(q * (s.length - 1))];
  return {
    p50: at(0.5),
    p99: at(0.99),
    max: s[s.length - 1],
    count: s.length,
    cdf: CDF_QUANTILES.map((q) => [q, at(q)]),
  };
}

/**
 * Runs `body` and returns its wall time, the process's context switches and
 * this thread's CPU time (ns) over it.
 *
 * @example
 * ```ts
 * import { measured } from "./runner.ts";
 * const { seconds } = await measured(() => new Promise((r) => setTimeout(r, 5)));
 * console.log(seconds > 0);
 * ```
 */
export async function measured(
  body: () => unknown,
): Promise<{ seconds: number; switches: number; cpuNs: number }> {
  const cs0 = contextSwitches();
  const cpu0 = threadCpuNs();
  const t0 = performance.now();
  await body();
  const t1 = performance.now();
  const cpu1 = threadCpuNs();
  const cs1 = contextSwitches();
  return { seconds: (t1 - t0) / 1000, switches: cs1 - cs0, cpuNs: cpu1 - cpu0 };
}
