/**
 * Turns the runs of bench/compare.ts into the side-by-side table: rows of
 * measurements and ratios per worker count, and each target with whether it
 * was met. With several interleaved rounds a cell is the median, with the
 * min–max of the rounds after it; a ratio is the median of the per-round
 * ratios (each round's two runs were made minutes apart at most), again with
 * its min–max. The latency and resource sections are in table_latency.ts and
 * table_resources.ts.
 *
 * @module
 */

import {
  fmtRate,
  type Measure,
  type Pick,
  rate,
  Results,
  type RunOutcome,
} from "./results.ts";
import {
  atLeast,
  type Row,
  TableBuilder,
  type TableParams,
  TARGET,
  type TargetResult,
} from "./table_builder.ts";
import { latencyRows } from "./table_latency.ts";
import { resourceRows } from "./table_resources.ts";

/** The three task pools' measures, all at once or with a bounded window. */
const TASK_ROWS: [string, Measure, Measure][] = [
  ["efdpool run()", "efd-run", "efd-run-win"],
  ["Deno postMessage pool", "pm", "pm-win"],
  ["piscina 5 (Node)", "piscina", "piscina-win"],
];

const ctx: Pick = (r) => r.ctxPerUnit;
const fmtCtx = (v: number) => v.toFixed(2);

/**
 * Builds the rows and target verdicts.
 *
 * @example
 * ```ts
 * import { buildTable } from "./table.ts";
 * const { rows } = buildTable([], [1, 2, 4], { items: 200000, batchSize: 1024, window: 1024, spacingUs: 200, idleMs: 5000, latencyUnits: 2000, rounds: 1 });
 * console.log(rows.length > 0);
 * ```
 */
export function buildTable(
  outcomes: RunOutcome[],
  workers: number[],
  params: TableParams,
): { rows: Row[]; targets: TargetResult[] } {
  const res = new Results(outcomes);
  const t = new TableBuilder(res, workers);
  const rounds = params.rounds > 1
    ? `, median (min–max) of ${params.rounds} interleaved rounds`
    : "";

  t.section(`units/s, ${params.items} units, 1 write per unit${rounds}`);
  t.row("C consumer threads ← C producer", "c-1", rate, fmtRate);
  t.row("efdpool ← the same C producer", "efd-1-c", rate, fmtRate);
  t.row("efdpool ← Deno main thread", "efd-1", rate, fmtRate);
  t.section(`units/s, batched write(${params.batchSize})${rounds}`);
  t.row("C consumer threads ← C producer", "c-batch", rate, fmtRate);
  t.row("efdpool ← the same C producer", "efd-batch-c", rate, fmtRate);
  t.row("efdpool ← Deno main thread", "efd-batch", rate, fmtRate);

  const inFlight = `≤ ${params.window} in flight`;
  t.section(`tasks/s with results, all ${params.items} at once${rounds}`);
  for (const [label, all] of TASK_ROWS) t.row(label, all, rate, fmtRate);
  t.section(`tasks/s with results, ${inFlight}${rounds}`);
  for (const [label, , win] of TASK_ROWS) t.row(label, win, rate, fmtRate);
  t.section(
    "main-thread CPU µs per task (it submits them and settles their promises)",
  );
  const mainCpu: Pick = (r) => r.mainCpuUs;
  for (const [label, all, win] of TASK_ROWS) {
    t.row(`${label}, all at once`, all, mainCpu, fmtCtx);
    t.row(`${label}, ${inFlight}`, win, mainCpu, fmtCtx);
  }

  t.section("ratios (per round, then median)");
  t.ratioRow(
    "efdpool ÷ C consumers, 1 write/unit",
    "efd-1-c",
    "c-1",
    atLeast(TARGET.sourceVsC),
  );
  t.ratioRow(
    "efdpool ÷ C consumers, batched",
    "efd-batch-c",
    "c-batch",
    atLeast(TARGET.batchedVsC),
  );
  for (
    const [suffix, efd, pm, pis] of [
      [", all at once", "efd-run", "pm", "piscina"],
      [`, ${inFlight}`, "efd-run-win", "pm-win", "piscina-win"],
    ] as const
  ) {
    t.ratioRow(
      `efdpool run() ÷ postMessage pool${suffix}`,
      efd,
      pm,
      atLeast(TARGET.runVsPm),
    );
    t.ratioRow(
      `efdpool run() ÷ piscina${suffix}`,
      efd,
      pis,
      atLeast(TARGET.runVsPiscina),
    );
  }

  latencyRows(t, params);

  t.section("context switches per unit, full rate, 1 write per unit");
  const w4 = workers.includes(4) ? res.spread("efd-1-c", 4, ctx) : undefined;
  t.row(
    "efdpool ← C producer",
    "efd-1-c",
    ctx,
    fmtCtx,
    t.judge(
      "context switches per unit, efdpool ← C producer",
      `W=4: ≤ ${TARGET.ctxPerUnitW4}`,
      [
        w4 && w4.med <= TARGET.ctxPerUnitW4,
      ],
    ),
  );
  t.row("efdpool ← Deno main thread", "efd-1", ctx, fmtCtx);
  for (const [label, all, win] of TASK_ROWS) {
    t.row(label, all, ctx, fmtCtx);
    t.row(`${label}, ${inFlight}`, win, ctx, fmtCtx);
  }
  t.row("C consumer threads (the herd)", "c-1", ctx, fmtCtx);

  t.section("per-worker share of units %, 1 write per unit (last round)");
  const shareCell = (m: Measure, w: number) =>
    res.runs(m, w).at(-1)?.report?.shares?.map((x) => Math.round(x * 100))
      .join("/") ?? "n/a";
  for (
    const [label, m] of [
      ["efdpool ← C producer", "efd-1-c"],
      ["C consumer threads", "c-1"],
    ] as const
  ) {
    t.add(label, workers.map((w) => shareCell(m, w)));
  }

  resourceRows(t, params);
  return { rows: t.rows, targets: t.targets };
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
