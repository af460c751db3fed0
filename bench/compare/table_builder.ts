/**
 * How the comparison table is put together: sections of rows, one cell per
 * worker count, and each of issue 14's targets judged on the medians as its
 * row is added.
 *
 * @module
 */

import type { Spread } from "./stats.ts";
import {
  fmtRatio,
  type Measure,
  type Pick,
  rate,
  type Results,
  withRange,
} from "./results.ts";

/** One line of the table. */
export interface Row {
  /** Section heading (shown on the first row of a section). */
  group: string;
  /** What the row measures. */
  label: string;
  /** One cell per worker count. */
  cells: string[];
  /** The target, with ✓ or ✗ once measured. */
  target?: string;
}

/** A target of the issue and whether this run met it (`null`: not measured). */
export interface TargetResult {
  /** The row it was judged on. */
  row: string;
  /** The target as the issue states it. */
  target: string;
  /** Met, missed, or not measured. */
  met: boolean | null;
}

/** A target on a ratio's median, at every W. */
export interface RatioTarget {
  /** The target as the table shows it. */
  text: string;
  /** Whether a median meets it. */
  ok: (v: number) => boolean;
}

/**
 * A ratio of at least `min` at every W.
 *
 * @example
 * ```ts
 * import { atLeast } from "./table_builder.ts";
 * console.log(atLeast(4).ok(5)); // true
 * ```
 */
export function atLeast(min: number): RatioTarget {
  return { text: `≥ ${min}× at every W`, ok: (v) => v >= min };
}

/**
 * A ratio of at most `max` at every W, shown as `≤ max× of`.
 *
 * @example
 * ```ts
 * import { atMost } from "./table_builder.ts";
 * console.log(atMost(2, "C").text); // ≤ 2× C
 * ```
 */
export function atMost(max: number, of: string): RatioTarget {
  return { text: `≤ ${max}× ${of}`, ok: (v) => v <= max };
}

/** Collects the rows of the table and the targets judged on them. */
export class TableBuilder {
  /** The rows so far. */
  readonly rows: Row[] = [];
  /** The targets judged so far. */
  readonly targets: TargetResult[] = [];
  /** The runs the cells come from. */
  readonly res: Results;
  /** Worker counts, one column each. */
  readonly workers: number[];
  #group = "";

  /**
   * Starts an empty table over `res` with a column per worker count.
   *
   * @example
   * ```ts
   * import { Results } from "./results.ts";
   * import { TableBuilder } from "./table_builder.ts";
   * const t = new TableBuilder(new Results([]), [1, 2]);
   * t.section("s");
   * t.add("x", ["a", "b"]);
   * console.log(t.rows[0].group); // s
   * ```
   */
  constructor(res: Results, workers: number[]) {
    this.res = res;
    this.workers = workers;
  }

  /** Starts a section: the rows added next are under `name`. */
  section(name: string): void {
    this.#group = name;
  }

  /** Adds a row with ready-made cells. */
  add(label: string, cells: string[], target = ""): void {
    this.rows.push({ group: this.#group, label, cells, target });
  }

  /** Adds a row of `pick` of measure `m`, the median (and range) per W. */
  row(
    label: string,
    m: Measure,
    pick: Pick,
    fmt: (v: number) => string,
    target = "",
  ): void {
    this.add(
      label,
      this.workers.map((w) => this.res.cell(m, w, pick, fmt)),
      target,
    );
  }

  /** Adds a row of per-round `a ÷ b` of `pick`, judged against `target` if given. */
  ratioRow(
    label: string,
    a: Measure,
    b: Measure,
    target?: RatioTarget,
    pick: Pick = rate,
  ): void {
    const ratio = (w: number) => this.res.ratio(a, b, w, pick);
    this.add(
      label,
      this.workers.map((w) => {
        const s = ratio(w);
        return s ? withRange(s, fmtRatio) : "n/a";
      }),
      target
        ? this.judge(label, target.text, this.atEveryW(ratio, target.ok))
        : "",
    );
  }

  /**
   * Records `target` of row `row` as met when every check passed, not
   * measured when any is missing; returns the target cell (text and ✓/✗/?).
   */
  judge(row: string, target: string, checks: (boolean | undefined)[]): string {
    const met = checks.length === 0 || checks.some((c) => c === undefined)
      ? null
      : checks.every(Boolean);
    this.targets.push({ row, target, met });
    return `${target} ${met === null ? "?" : met ? "✓" : "✗"}`;
  }

  /** `ok` of the median of `f(w)` at every W (`undefined` where not measured). */
  atEveryW(
    f: (w: number) => Spread | undefined,
    ok: (v: number) => boolean,
  ): (boolean | undefined)[] {
    return this.workers.map((w) => f(w)).map((s) => s && ok(s.med));
  }
}

/** What the table's headings say about the run. */
export interface TableParams {
  /** Items per throughput run. */
  items: number;
  /** Units per write in batched runs. */
  batchSize: number;
  /** Most tasks in flight in the windowed task runs. */
  window: number;
  /** Producer spacing in latency runs, µs. */
  spacingUs: number;
  /** Idle window, ms. */
  idleMs: number;
  /** Units per latency run. */
  latencyUnits: number;
  /** Interleaved rounds. */
  rounds: number;
}

/** Issue 14's targets, checked against the medians. */
export const TARGET = {
  sourceVsC: 0.8,
  batchedVsC: 0.7,
  p50VsC: 2,
  p99VsC: 3,
  runVsPiscina: 20,
  runVsPm: 4,
  rssOverPmMiB: 2,
  idleOverBareMs: 1,
  ctxPerUnitW4: 1.2,
} as const;
