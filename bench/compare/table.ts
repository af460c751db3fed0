/**
 * Turns the runs of bench/compare.ts into the side-by-side table: rows of
 * measurements and ratios per worker count, and each target with whether it
 * was met. With several interleaved rounds a cell is the median, with the
 * min–max of the rounds after it; a ratio is the median of the per-round
 * ratios (each round's two runs were made minutes apart at most), again with
 * its min–max.
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
  | "efd-lat"
  | "efd-run-lat"
  | "pm"
  | "pm-lat"
  | "piscina"
  | "efd-run-bytes"
  | "pm-bytes"
  | "piscina-bytes"
  | "idle-bare"
  | "idle-efd"
  | "idle-pm";

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
  /** The target as the issue states it. */
  target: string;
  /** Met, missed, or not measured. */
  met: boolean | null;
}

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
const fmtRatio = (v: number) => `${v.toFixed(v < 10 ? 2 : 0)}×`;
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
   * import { Results } from "./table.ts";
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

/** Issue 14's targets, checked against the medians. */
const TARGET = {
  sourceVsC: 0.8,
  batchedVsC: 0.7,
  p50VsC: 2,
  p99VsC: 3,
  runVsPiscina: 20,
  runVsPm: 4,
  rssOverPmMiB: 2,
  idleOverBareMs: 1,
  ctxPerUnitW4: 1.2,
};

/**
 * Builds the rows and target verdicts.
 *
 * @example
 * ```ts
 * import { buildTable } from "./table.ts";
 * const { rows } = buildTable([], [1, 2, 4], { items: 200000, batchSize: 1024, spacingUs: 200, idleMs: 5000, latencyUnits: 2000, rounds: 1 });
 * console.log(rows.length > 0);
 * ```
 */
export function buildTable(
  outcomes: RunOutcome[],
  workers: number[],
  params: {
    items: number;
    batchSize: number;
    spacingUs: number;
    idleMs: number;
    latencyUnits: number;
    rounds: number;
  },
): { rows: Row[]; targets: TargetResult[] } {
  const res = new Results(outcomes);
  const rows: Row[] = [];
  const targets: TargetResult[] = [];
  let group = "";

  const judge = (target: string, checks: (boolean | undefined)[]): string => {
    const met = checks.length === 0 || checks.some((c) => c === undefined)
      ? null
      : checks.every(Boolean);
    targets.push({ target, met });
    return `${target} ${met === null ? "?" : met ? "✓" : "✗"}`;
  };
  const atEveryW = (
    f: (w: number) => Spread | undefined,
    ok: (v: number) => boolean,
  ) => workers.map((w) => f(w)).map((s) => s && ok(s.med));
  const section = (name: string) => (group = name);
  const row = (
    label: string,
    m: Measure,
    pick: Pick,
    fmt: (v: number) => string,
    target = "",
  ) =>
    rows.push({
      group,
      label,
      cells: workers.map((w) => res.cell(m, w, pick, fmt)),
      target,
    });
  const ratioRow = (
    label: string,
    a: Measure,
    b: Measure,
    target?: { min: number; text: string },
    pick: Pick = rate,
  ) =>
    rows.push({
      group,
      label,
      cells: workers.map((w) => {
        const s = res.ratio(a, b, w, pick);
        return s ? withRange(s, fmtRatio) : "n/a";
      }),
      target: target
        ? judge(
          target.text,
          atEveryW((w) => res.ratio(a, b, w, pick), (v) => v >= target.min),
        )
        : "",
    });
  const atLeast = (min: number) => ({ min, text: `≥ ${min}× at every W` });
  const rounds = params.rounds > 1
    ? `, median (min–max) of ${params.rounds} interleaved rounds`
    : "";

  section(`units/s, ${params.items} units, 1 write per unit${rounds}`);
  row("C consumer threads ← C producer", "c-1", rate, fmtRate);
  row("efdpool ← the same C producer", "efd-1-c", rate, fmtRate);
  row("efdpool ← Deno main thread", "efd-1", rate, fmtRate);
  section(`units/s, batched write(${params.batchSize})${rounds}`);
  row("C consumer threads ← C producer", "c-batch", rate, fmtRate);
  row("efdpool ← the same C producer", "efd-batch-c", rate, fmtRate);
  row("efdpool ← Deno main thread", "efd-batch", rate, fmtRate);

  section(`tasks/s with results${rounds}`);
  row("efdpool run()", "efd-run", rate, fmtRate);
  row("Deno postMessage pool", "pm", rate, fmtRate);
  row("piscina 5 (Node)", "piscina", rate, fmtRate);

  section("ratios (per round, then median)");
  ratioRow(
    "efdpool ÷ C consumers, 1 write/unit",
    "efd-1-c",
    "c-1",
    atLeast(TARGET.sourceVsC),
  );
  ratioRow(
    "efdpool ÷ C consumers, batched",
    "efd-batch-c",
    "c-batch",
    atLeast(TARGET.batchedVsC),
  );
  ratioRow(
    "efdpool run() ÷ postMessage pool",
    "efd-run",
    "pm",
    atLeast(TARGET.runVsPm),
  );
  ratioRow(
    "efdpool run() ÷ piscina",
    "efd-run",
    "piscina",
    atLeast(TARGET.runVsPiscina),
  );

  const p50: Pick = (r) => r.latencyUs?.p50;
  const p99: Pick = (r) => r.latencyUs?.p99;
  const fmtUs = (v: number) => v.toFixed(v < 10 ? 1 : 0);
  section(
    `wake latency µs (p50, p99), ${params.latencyUnits} units 1 per ${params.spacingUs} µs`,
  );
  row("C consumer threads, p50", "c-lat", p50, fmtUs);
  row("C consumer threads, p99", "c-lat", p99, fmtUs);
  row("efdpool source (stamp → taken), p50", "efd-lat", p50, fmtUs);
  row("efdpool source (stamp → taken), p99", "efd-lat", p99, fmtUs);
  row(
    "efdpool source (stamp → handler), p50",
    "efd-lat",
    (r) => r.entryLatencyUs?.p50,
    fmtUs,
  );
  row("efdpool run() (stamp → handler), p50", "efd-run-lat", p50, fmtUs);
  row("Deno postMessage pool (→ handler), p50", "pm-lat", p50, fmtUs);
  ratioRow("efdpool ÷ C, p50", "efd-lat", "c-lat", undefined, p50);
  ratioRow("efdpool ÷ C, p99", "efd-lat", "c-lat", undefined, p99);
  const latOk = (pick: Pick, max: number) =>
    atEveryW((w) => res.ratio("efd-lat", "c-lat", w, pick), (v) => v <= max);
  rows.at(-2)!.target = judge(`≤ ${TARGET.p50VsC}× C`, latOk(p50, 2));
  rows.at(-1)!.target = judge(`≤ ${TARGET.p99VsC}× C`, latOk(p99, 3));

  section("context switches per unit, full rate, 1 write per unit");
  const ctx: Pick = (r) => r.ctxPerUnit;
  const fmtCtx = (v: number) => v.toFixed(2);
  const w4 = workers.includes(4) ? res.spread("efd-1-c", 4, ctx) : undefined;
  row(
    "efdpool ← C producer",
    "efd-1-c",
    ctx,
    fmtCtx,
    judge(`W=4: ≤ ${TARGET.ctxPerUnitW4}`, [
      w4 && w4.med <= TARGET.ctxPerUnitW4,
    ]),
  );
  row("efdpool ← Deno main thread", "efd-1", ctx, fmtCtx);
  row("efdpool run()", "efd-run", ctx, fmtCtx);
  row("Deno postMessage pool", "pm", ctx, fmtCtx);
  row("piscina 5 (Node)", "piscina", ctx, fmtCtx);
  row("C consumer threads (the herd)", "c-1", ctx, fmtCtx);

  section("per-worker share of units %, 1 write per unit (last round)");
  const shareCell = (m: Measure, w: number) =>
    res.runs(m, w).at(-1)?.report?.shares?.map((x) => Math.round(x * 100))
      .join("/") ?? "n/a";
  for (
    const [label, m] of [
      ["efdpool ← C producer", "efd-1-c"],
      ["C consumer threads", "c-1"],
    ] as const
  ) {
    rows.push({ group, label, cells: workers.map((w) => shareCell(m, w)) });
  }

  section("context switches per unit, low rate (producer's sleep included)");
  row("efdpool source", "efd-lat", ctx, fmtCtx);
  row("C consumer threads", "c-lat", ctx, fmtCtx);

  section(
    `idle CPU ms over ${params.idleMs / 1000} s, W workers waiting`,
  );
  const cpu: Pick = (r) => r.cpuMs;
  const bare = res.spread("idle-bare", 0, cpu);
  rows.push({
    group,
    label: "bare Deno, no workers",
    cells: workers.map(() => res.cell("idle-bare", 0, cpu, fmtCtx)),
  });
  row(
    "efdpool",
    "idle-efd",
    cpu,
    fmtCtx,
    judge(
      `≤ bare + ${TARGET.idleOverBareMs} ms`,
      atEveryW(
        (w) => res.spread("idle-efd", w, cpu),
        (v) => bare !== undefined && v <= bare.med + TARGET.idleOverBareMs,
      ),
    ),
  );
  row("Deno postMessage pool", "idle-pm", cpu, fmtCtx);

  section("RSS per worker MiB, (RSS(W) − RSS(bare)) / W");
  const bareRss = res.spread("idle-bare", 0, (r) => r.rssKiB)?.med;
  const perWorker = (m: Measure, w: number) =>
    bareRss === undefined
      ? undefined
      : res.spread(m, w, (r) => (r.rssKiB - bareRss) / 1024 / w);
  const fmtMiB = (v: number) => v.toFixed(1);
  const rssRow = (label: string, m: Measure, target = "") =>
    rows.push({
      group,
      label,
      cells: workers.map((w) => {
        const s = perWorker(m, w);
        return s ? fmtMiB(s.med) : "n/a";
      }),
      target,
    });
  rssRow(
    "efdpool",
    "idle-efd",
    judge(
      `≤ postMessage + ${TARGET.rssOverPmMiB} MiB`,
      workers.map((w) => {
        const e = perWorker("idle-efd", w), p = perWorker("idle-pm", w);
        return e && p && e.med <= p.med + TARGET.rssOverPmMiB;
      }),
    ),
  );
  rssRow("Deno postMessage pool", "idle-pm");
  return { rows, targets };
}

const rate: Pick = (r) => r.itemsPerSec;

/** A latency CDF (quantile, µs) of one measurement at one W, from its last round. */
export function latencyCdf(
  outcomes: RunOutcome[],
  m: Measure,
  w: number,
): [number, number][] | undefined {
  return new Results(outcomes).runs(m, w).findLast((o) => o.report?.latencyUs)
    ?.report?.latencyUs?.cdf;
}

/**
 * Renders rows as an aligned text table with one header line.
 *
 * @example
 * ```ts
 * import { renderTable } from "./table.ts";
 * console.log(renderTable([{ group: "g", label: "x", cells: ["1"], target: "" }], [1]));
 * ```
 */
export function renderTable(rows: Row[], workers: number[]): string {
  const header = ["", "", ...workers.map((w) => `W=${w}`), "target"];
  const body: string[][] = [];
  let prev = "";
  for (const r of rows) {
    if (r.group !== prev) {
      body.push([r.group, "", ...workers.map(() => ""), ""]);
      prev = r.group;
    }
    body.push(["", r.label, ...r.cells, r.target ?? ""]);
  }
  const all = [header, ...body];
  const width = header.map((_, i) =>
    Math.max(
      ...all.filter((l) => l[0] === "" || l === header).map((l) =>
        [...l[i]].length
      ),
    )
  );
  const numeric = (i: number) => i >= 2 && i < 2 + workers.length;
  return all.map((l) =>
    l[0] !== "" ? l[0] : l.map((
      c,
      i,
    ) => (numeric(i) ? c.padStart(width[i]) : c.padEnd(width[i])))
      .join("  ").trimEnd()
  ).join("\n");
}
