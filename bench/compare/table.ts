/**
 * Turns the runs of bench/compare.ts into the side-by-side table: rows of
 * measurements and ratios per worker count, the reference numbers,
 * and each target with whether it was met.
 *
 * @module
 */

import type { LatencyUs, RunReport } from "./runner.ts";

/** What one measurement subprocess produced. */
export interface RunOutcome {
  /** Which measurement (see `Measure`). */
  measure: Measure;
  /** Worker count (0 for the bare baseline). */
  workers: number;
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
  | "efd-run"
  | "efd-lat"
  | "efd-run-lat"
  | "pm"
  | "pm-lat"
  | "piscina"
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
  /** The reference numbers for this row. */
  ref: string;
  /** The target, with ✓ or ✗ once measured. */
  target: string;
}

/** A target of the issue and whether this run met it (`null`: not measured). */
export interface TargetResult {
  /** The target as the issue states it. */
  target: string;
  /** Met, missed, or not measured. */
  met: boolean | null;
}

type Get = (m: Measure, w: number) => RunOutcome | undefined;

const fmtRate = (v: number) =>
  v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : `${(v / 1e3).toFixed(0)}k`;
const fmtLat = (l: LatencyUs | undefined) =>
  l ? `${l.p50.toFixed(1)} / ${l.p99.toFixed(0)}` : "n/a";

function cell(
  o: RunOutcome | undefined,
  show: (r: RunReport & IdleReport) => string,
) {
  if (!o) return "";
  if (o.error) return "FAIL";
  if (o.skipped || !o.report) return "n/a";
  return show(o.report);
}

function value(
  o: RunOutcome | undefined,
  pick: (r: RunReport & IdleReport) => number | undefined,
) {
  return o?.report && !o.error ? pick(o.report) : undefined;
}

const rate = (r: RunReport) => r.itemsPerSec;

/**
 * Builds the rows and target verdicts.
 *
 * @example
 * ```ts
 * import { buildTable } from "./table.ts";
 * const { rows } = buildTable([], [1, 2, 4], { items: 200000, batchSize: 1024, spacingUs: 200, idleMs: 5000, latencyUnits: 2000 });
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
  },
): { rows: Row[]; targets: TargetResult[] } {
  const get: Get = (m, w) =>
    outcomes.find((o) => o.measure === m && o.workers === w);
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
  const section = (name: string) => (group = name);
  const row = (
    label: string,
    m: Measure,
    show: (r: RunReport & IdleReport) => string,
    ref = "",
    target = "",
  ) =>
    rows.push({
      group,
      label,
      cells: workers.map((w) => cell(get(m, w), show)),
      ref,
      target,
    });
  const each = (
    m: Measure,
    pick: (r: RunReport & IdleReport) => number | undefined,
  ) => workers.map((w) => value(get(m, w), pick));

  section(`items/s, ${params.items} items, 1 write per unit`);
  row(
    "efdpool notification",
    "efd-1",
    (r) => fmtRate(r.itemsPerSec),
    "",
    judge(
      "≥ 1.0M at every W",
      each("efd-1", rate).map((v) => v === undefined ? v : v >= 1e6),
    ),
  );
  row(
    "C pthreads + eventfd",
    "c-1",
    (r) => fmtRate(r.itemsPerSec),
    "1.58M/0.57M/0.34M",
  );

  section(`items/s, batched write(${params.batchSize})`);
  row(
    "efdpool notification",
    "efd-batch",
    (r) => fmtRate(r.itemsPerSec),
    "",
    judge(
      "≥ 2.0M at every W",
      each("efd-batch", rate).map((v) => v === undefined ? v : v >= 2e6),
    ),
  );
  row("C pthreads + eventfd", "c-batch", (r) => fmtRate(r.itemsPerSec), "3.0M");

  section("items/s, tasks with results");
  row("efdpool run()", "efd-run", (r) => fmtRate(r.itemsPerSec));
  row(
    "Deno postMessage pool",
    "pm",
    (r) => fmtRate(r.itemsPerSec),
    "375k/298k/279k",
  );
  row(
    "piscina 5 (Node)",
    "piscina",
    (r) => fmtRate(r.itemsPerSec),
    "39k/35k/29k",
  );

  section("ratios");
  const ratioRow = (label: string, a: Measure, b: Measure, min?: number) => {
    const ra = each(a, rate), rb = each(b, rate);
    const q = workers.map((_, i) =>
      ra[i] !== undefined && rb[i] ? ra[i]! / rb[i]! : undefined
    );
    rows.push({
      group,
      label,
      cells: q.map((v) =>
        v === undefined ? "n/a" : `${v.toFixed(v < 10 ? 2 : 0)}×`
      ),
      ref: "",
      target: min === undefined
        ? ""
        : judge(`≥ ${min}×`, q.map((v) => v === undefined ? v : v >= min)),
    });
  };
  ratioRow("efdpool notification ÷ C (1 write/unit)", "efd-1", "c-1");
  ratioRow("efdpool batched ÷ C batched", "efd-batch", "c-batch");
  ratioRow("efdpool notification ÷ postMessage pool", "efd-1", "pm");
  ratioRow("efdpool run() ÷ postMessage pool", "efd-run", "pm", 1.5);
  ratioRow("efdpool run() ÷ piscina", "efd-run", "piscina", 20);

  const lat4 = value(get("efd-lat", 4), (r) => r.latencyUs?.p50);
  const lat4p99 = value(get("efd-lat", 4), (r) => r.latencyUs?.p99);
  section(
    `wake latency µs p50 / p99, ${params.latencyUnits} units 1 per ${params.spacingUs} µs`,
  );
  row(
    "efdpool source (stamp → takenAt)",
    "efd-lat",
    (r) => fmtLat(r.latencyUs),
    "",
    judge("W=4: p50 ≤ 15, p99 ≤ 80", [
      lat4 === undefined ? undefined : lat4 <= 15,
      lat4p99 === undefined ? undefined : lat4p99 <= 80,
    ]),
  );
  row(
    "efdpool source (stamp → handler)",
    "efd-lat",
    (r) => fmtLat(r.entryLatencyUs),
  );
  row(
    "efdpool run() (stamp → handler)",
    "efd-run-lat",
    (r) => fmtLat(r.latencyUs),
  );
  row(
    "Deno postMessage pool (→ handler)",
    "pm-lat",
    (r) => fmtLat(r.latencyUs),
  );
  row(
    "C pthreads + eventfd (→ read returns)",
    "c-lat",
    (r) => fmtLat(r.latencyUs),
    "p50 5–12",
  );

  section("context switches per unit, full rate, 1 write per unit");
  const cs4 = value(get("efd-1", 4), (r) => r.ctxPerUnit);
  const ctx = (r: RunReport) => r.ctxPerUnit.toFixed(2);
  row(
    "efdpool notification",
    "efd-1",
    ctx,
    "",
    judge("W=4: ≤ 1.2", [cs4 === undefined ? undefined : cs4 <= 1.2]),
  );
  row("efdpool notification, batched", "efd-batch", ctx);
  row("efdpool run()", "efd-run", ctx);
  row("Deno postMessage pool", "pm", ctx);
  row("piscina 5 (Node)", "piscina", ctx);
  row("C pthreads + eventfd", "c-1", ctx, "W (the herd)");
  row("C pthreads + eventfd, batched", "c-batch", ctx);

  section("per-worker share of units %, 1 write per unit");
  const shares = (r: RunReport) =>
    r.shares?.map((x) => Math.round(x * 100)).join("/") ?? "n/a";
  row("efdpool notification", "efd-1", shares);
  row("C pthreads + eventfd", "c-1", shares);

  section(
    "context switches per unit, low rate (producer's own sleep included)",
  );
  row("efdpool source", "efd-lat", ctx);
  row("C pthreads + eventfd", "c-lat", ctx);

  section(
    `idle CPU ms over ${
      params.idleMs / 1000
    } s, W workers waiting (after 1 s settling)`,
  );
  const bare = get("idle-bare", 0);
  rows.push({
    group,
    label: "bare Deno, no workers",
    cells: workers.map(() => cell(bare, (r) => r.cpuMs.toFixed(2))),
    ref: "",
    target: "",
  });
  const bareCpu = value(bare, (r) => r.cpuMs);
  row(
    "efdpool",
    "idle-efd",
    (r) => r.cpuMs.toFixed(2),
    "",
    judge(
      "≤ bare + 1 ms",
      each("idle-efd", (r) => r.cpuMs).map((v) =>
        v === undefined || bareCpu === undefined ? undefined : v <= bareCpu + 1
      ),
    ),
  );
  row("Deno postMessage pool", "idle-pm", (r) => r.cpuMs.toFixed(2));

  section("RSS per worker MiB, (RSS(W) − RSS(bare)) / W");
  const bareRss = value(bare, (r) => r.rssKiB);
  const perWorker = (w: number) => (r: IdleReport) =>
    bareRss === undefined
      ? "n/a"
      : ((r.rssKiB - bareRss) / 1024 / w).toFixed(1);
  for (
    const [label, m] of [["efdpool", "idle-efd"], [
      "Deno postMessage pool",
      "idle-pm",
    ]] as const
  ) {
    rows.push({
      group,
      label,
      cells: workers.map((w) => cell(get(m, w), perWorker(w))),
      ref: "",
      target: "",
    });
  }
  return { rows, targets };
}

/**
 * Renders rows as an aligned text table with one header line.
 *
 * @example
 * ```ts
 * import { renderTable } from "./table.ts";
 * console.log(renderTable([{ group: "g", label: "x", cells: ["1"], ref: "", target: "" }], [1]));
 * ```
 */
export function renderTable(rows: Row[], workers: number[]): string {
  const header = [
    "",
    "",
    ...workers.map((w) => `W=${w}`),
    "issue ref",
    "target",
  ];
  const body: string[][] = [];
  let prev = "";
  for (const r of rows) {
    if (r.group !== prev) {
      body.push([r.group, "", ...workers.map(() => ""), "", ""]);
      prev = r.group;
    }
    body.push(["", r.label, ...r.cells, r.ref, r.target]);
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
