/**
 * Side-by-side benchmark: efdpool's notification mode and `run()` against a
 * plain Deno postMessage pool, piscina 5 under Node and a C pthreads +
 * eventfd reference, at 1 producer and W = 1 … 2 × cores workers.
 *
 * The source rows are fair: one C producer (c_ref.c's `prod` mode) writes
 * the units for both the C consumer threads and the efdpool pool, so their
 * ratio compares consumers; the Deno-main-thread producer is a second row.
 * Latency likewise: c_ref.c's `prodlat` paces and stamps units for efdpool
 * exactly as its `lat` mode does for the C threads.
 * Task rows come twice: all tasks submitted at once, and with at most
 * `--window` in flight (how a caller usually feeds a pool; with 200k
 * unsettled promises the first mostly times V8's heap growth).
 * Every measurement is repeated in `--rounds` interleaved rounds (round 1 of
 * everything, then round 2, …) so a burst of load on this shared machine
 * skews one round of each, not every round of one; the table shows medians
 * with the min–max, and ratios are taken within a round.
 * Every measurement runs in its own process; every run's handled count and
 * sum are checked against what this script expects, and a mismatch fails
 * the run (exit 1) after the table is printed.
 *
 * ```sh
 * deno task compare                      # the full table, a few minutes
 * deno task compare --svg bench/compare.svg   # also draw the charts
 * deno task compare --json               # the same as JSON
 * deno task compare --items 2000 --latency-units 100 --idle-ms 200 --no-install
 * ```
 *
 * piscina is npm-installed into target/bench-node on first use (skipped
 * with `--no-install`); the C reference is compiled with `cc` into a temp dir.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { buildCRef } from "./compare/c_ref.ts";
import { execute } from "./compare/execute.ts";
import { ensurePiscina } from "./compare/piscina.ts";
import {
  idleSteps,
  type Step,
  stepsAt,
  sweepSteps,
  type Tools,
} from "./compare/plan.ts";
import type { RunOutcome } from "./compare/results.ts";
import { renderSvg } from "./compare/svg.ts";
import { renderSweep } from "./compare/sweep.ts";
import { buildTable, renderTable } from "./compare/table.ts";

const HELP = `Usage: deno task compare [options]
  --items N          items per throughput run (default 200000)
  --workers LIST     worker counts (default 1 … 2 × cores)
  --rounds N         interleaved rounds of every measurement (default 3)
  --payloads LIST    task payload sizes in bytes for the size sweep (efdpool
                     takes up to ~1 MiB - 56 B per task today)
                     (default 8,1024,65536,1000000; "" skips it)
  --sweep-workers N  W for the size sweep (default: cores)
  --batch-size N     units per write in batched runs (default 1024)
  --window N         most tasks in flight in the windowed task rows (default 1024)
  --latency-units N  units per latency run (default 2000)
  --spacing-us N     producer spacing in latency runs (default 200)
  --idle-ms N        idle window (default 5000)
  --timeout-s N      limit per measurement process (default 120)
  --no-install       do not npm-install piscina; skip it if missing
  --json             print JSON instead of the table
  --svg FILE         also write the charts (throughput vs W, latency CDF) as SVG`;

const { values: opt } = parseArgs({
  options: {
    items: { type: "string", default: "200000" },
    workers: {
      type: "string",
      default: Array.from(
        { length: 2 * navigator.hardwareConcurrency },
        (_, i) => i + 1,
      ).join(","),
    },
    rounds: { type: "string", default: "3" },
    payloads: { type: "string", default: "8,1024,65536,1000000" },
    "sweep-workers": {
      type: "string",
      default: String(navigator.hardwareConcurrency),
    },
    svg: { type: "string" },
    "batch-size": { type: "string", default: "1024" },
    window: { type: "string", default: "1024" },
    "latency-units": { type: "string", default: "2000" },
    "spacing-us": { type: "string", default: "200" },
    "idle-ms": { type: "string", default: "5000" },
    "timeout-s": { type: "string", default: "120" },
    "no-install": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (opt.help) {
  console.log(HELP);
  Deno.exit(0);
}

function positive(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) {
    console.error(
      `--${name} must be a positive integer, got "${v}"\n\n${HELP}`,
    );
    Deno.exit(2);
  }
  return n;
}

// Other processes on a 2-core box skew every number here; say so next to the table.
const loadAvg = Number(
  (await Deno.readTextFile("/proc/loadavg")).split(" ")[0],
);

const params = {
  items: positive("items", opt.items),
  batchSize: positive("batch-size", opt["batch-size"]),
  window: positive("window", opt.window),
  latencyUnits: positive("latency-units", opt["latency-units"]),
  spacingUs: positive("spacing-us", opt["spacing-us"]),
  idleMs: positive("idle-ms", opt["idle-ms"]),
  rounds: positive("rounds", opt.rounds),
};
const workers = opt.workers.split(",").map((w) => positive("workers", w));
const payloads = opt.payloads === ""
  ? []
  : opt.payloads.split(",").map((b) => positive("payloads", b));
const sweepW = positive("sweep-workers", opt["sweep-workers"]);
const timeoutMs = positive("timeout-s", opt["timeout-s"]) * 1000;

const efdpoolThere = await Deno.stat(
  new URL("../workers/pool.ts", import.meta.url),
)
  .then(() => true, () => false);

const outcomes: RunOutcome[] = [];
async function measure(step: Step, round: number): Promise<void> {
  const o = await execute(step, round, timeoutMs);
  outcomes.push(o);
  const r = o.report;
  const what = o.error
    ? `FAIL ${o.error}`
    : o.skipped
    ? `skipped: ${o.skipped}`
    : r?.itemsPerSec
    ? `${Math.round(r.itemsPerSec)} items/s${o.verified ? ", sum ok" : ""}`
    : JSON.stringify(r);
  console.error(
    `[compare] round ${round + 1} ${step.label} W=${o.workers}: ${what}`,
  );
}

const tmp = await Deno.makeTempDir({ prefix: "efdpool-compare-" });
try {
  const tools: Tools = {
    cRef: await buildCRef(tmp).catch((e) => ({
      skipped: (e as Error).message,
    })),
    piscina: await ensurePiscina({ install: !opt["no-install"] }),
    efdpool: efdpoolThere,
  };
  for (let round = 0; round < params.rounds; round++) {
    const steps = [
      ...workers.flatMap((w) => stepsAt(w, tools, params)),
      ...sweepSteps(payloads, sweepW, params.items, tools),
    ];
    for (const step of steps) await measure(step, round);
  }
  // Idle processes hardly compete for the CPU, so they share one window.
  const idle = idleSteps(workers, params.idleMs, tools);
  for (let round = 0; round < params.rounds; round++) {
    await Promise.all(idle.map((step) => measure(step, round)));
  }
} finally {
  await Deno.remove(tmp, { recursive: true });
}

const { rows, targets } = buildTable(outcomes, workers, params);
if (opt.svg) {
  await Deno.writeTextFile(opt.svg, renderSvg(outcomes, workers, params));
  console.error(`[compare] charts written to ${opt.svg}`);
}
const failures = outcomes.filter((o) => o.error);
const sumsVerified = failures.length === 0 &&
  outcomes.some((o) => o.verified) &&
  outcomes.every((o) => o.verified !== false);

if (opt.json) {
  console.log(JSON.stringify(
    {
      params: { ...params, workers, loadAvg },
      efdpool: efdpoolThere ? "present" : "missing",
      sumsVerified,
      failures: failures.map(({ measure, workers, error }) => ({
        measure,
        workers,
        error,
      })),
      targets,
      rows,
      runs: outcomes,
    },
    null,
    2,
  ));
} else {
  console.log(renderTable(rows, workers));
  if (payloads.length) {
    console.log("\n" + renderSweep(outcomes, payloads, sweepW));
  }
  console.log(
    `\nsums: ${
      sumsVerified
        ? "every run's handled count and sum verified"
        : "NOT all verified"
    }` +
      (efdpoolThere ? "" : "; efdpool rows: workers/pool.ts is not there yet"),
  );
  if (loadAvg > 1) {
    console.log(
      `note: load average was ${loadAvg} at start, so other processes shared the CPUs`,
    );
  }
}
if (failures.length > 0) {
  for (const f of failures) {
    console.error(`[compare] FAILED ${f.measure} W=${f.workers}: ${f.error}`);
  }
  Deno.exit(1);
}
