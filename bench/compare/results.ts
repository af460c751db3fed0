/**
 * The runs of bench/compare.ts and how to read them: what each measurement
 * subprocess produced, the measures, and lookups by measure, worker count
 * and round — a median with its min–max over the interleaved rounds, and
 * ratios taken within a round.
 *
 * @module
 */

import { type Spread, spread } from "./stats.ts";
import type { RunReport } from "./runner.ts";

/** What one measurement subprocess produced. */
export interface RunOutcome {
  /** Which measurement (see `Measure`). */
  measure: Measure;
  /** Worker count (0 for the bare baseline). */
  workers: number;
  /** Which of the interleaved rounds (0-based); absent means 0. */
  round?: number;
  /** Task payload bytes, for the size sweep's measures. */
  payload?: number;
  /** The runner's report, when it ran. */
  report?: RunReport & IdleReport;
  /** Why it did not run (not a failure: e.g. piscina not installed). */
  skipped?: string;
  /** Why it failed: crash, timeout, or sums that do not add up. */
  error?: string;
  /** Whether handled count and sum matched what the parent expected. */
  verified?: boolean;
}

/** What the idle runner reports. */
export interface IdleReport {
  /** Process CPU time over the idle window, ms (getrusage). */
  cpuMs: number;
  /** The same from /proc/self/stat, in 10 ms ticks. */
  statCpuMs: number;
  /** RSS at the end, KiB. */
  rssKiB: number;
}

/** Every measurement bench/compare.ts makes. */
export type Measure =
  | "c-1"
  | "c-batch"
  | "c-lat"
  | "efd-1"
  | "efd-batch"
  | "efd-1-c"
  | "efd-batch-c"
  | "efd-run"
  | "efd-run-win"
  | "efd-lat"
  | "efd-lat-c"
  | "efd-run-lat"
  | "pm"
  | "pm-win"
  | "pm-lat"
  | "piscina"
  | "piscina-win"
  | "efd-run-bytes"
  | "pm-bytes"
  | "piscina-bytes"
  | "idle-bare"
  | "idle-efd"
  | "idle-pm";

/** One run's report, whichever runner made it. */
export type Report = RunReport & IdleReport;
/** Reads one figure of a report. */
export type Pick = (r: Report) => number | undefined;

/** `1.23M` / `456k`. */
export const fmtRate = (v: number): string =>
  v >= 1e6
    ? `${(v / 1e6).toFixed(2)}M`
    : v >= 1e3
    ? `${(v / 1e3).toFixed(0)}k`
    : v.toFixed(0);
/** `2.50×` / `15×`. */
export const fmtRatio = (v: number): string => `${v.toFixed(v < 10 ? 2 : 0)}×`;
/** A median with its range when there were several rounds. */
export const withRange = (s: Spread, fmt: (v: number) => string): string =>
  s.n > 1 ? `${fmt(s.med)} (${fmt(s.min)}–${fmt(s.max)})` : fmt(s.med);

/** The runs of every round, looked up by measure and worker count. */
export class Results {
  #outcomes: RunOutcome[];

  /**
   * Wraps the outcomes of one comparison run.
   *
   * @example
   * ```ts
   * import { Results } from "./results.ts";
   * const r = new Results([{ measure: "c-1", workers: 1, report: { items: 1, warmup: 0, handled: 1, sum: 1, itemsPerSec: 5, ctxPerUnit: 0, cpuMs: 0, statCpuMs: 0, rssKiB: 0 } }]);
   * console.log(r.spread("c-1", 1, (x) => x.itemsPerSec)?.med); // 5
   * ```
   */
  constructor(outcomes: RunOutcome[]) {
    this.#outcomes = outcomes;
  }

  /** Every round's outcome of `m` at `w` (and payload size, for the sweep). */
  runs(m: Measure, w: number, payload?: number): RunOutcome[] {
    return this.#outcomes.filter((o) =>
      o.measure === m && o.workers === w && o.payload === payload
    );
  }

  /** `pick` of each round that reported it, by round. */
  byRound(
    m: Measure,
    w: number,
    pick: Pick,
    payload?: number,
  ): Map<number, number> {
    const out = new Map<number, number>();
    for (const o of this.runs(m, w, payload)) {
      const v = o.report && !o.error ? pick(o.report) : undefined;
      if (v !== undefined && Number.isFinite(v)) out.set(o.round ?? 0, v);
    }
    return out;
  }

  /** Median and range of `pick` over the rounds. */
  spread(
    m: Measure,
    w: number,
    pick: Pick,
    payload?: number,
  ): Spread | undefined {
    return spread([...this.byRound(m, w, pick, payload).values()]);
  }

  /** Per-round `a ÷ b`, paired by round, as a median and range. */
  ratio(a: Measure, b: Measure, w: number, pick: Pick): Spread | undefined {
    const ra = this.byRound(a, w, pick), rb = this.byRound(b, w, pick);
    const q: number[] = [];
    for (const [round, v] of ra) {
      const d = rb.get(round);
      if (d) q.push(v / d);
    }
    return spread(q);
  }

  /** A table cell: FAIL, n/a, or the formatted median (and range). */
  cell(m: Measure, w: number, pick: Pick, fmt: (v: number) => string): string {
    const runs = this.runs(m, w);
    if (runs.length === 0) return "";
    if (runs.some((o) => o.error)) return "FAIL";
    const s = this.spread(m, w, pick);
    return s ? withRange(s, fmt) : "n/a";
  }
}

/** Items (units or tasks) per second, the figure of every throughput row. */
export const rate: Pick = (r) => r.itemsPerSec;

/** A latency CDF (quantile, µs) of one measurement at one W, from its last round. */
export function latencyCdf(
  outcomes: RunOutcome[],
  m: Measure,
  w: number,
): [number, number][] | undefined {
  return new Results(outcomes).runs(m, w).findLast((o) => o.report?.latencyUs)
    ?.report?.latencyUs?.cdf;
}
