/**
 * Side-by-side benchmark: efdpool's notification mode and `run()` against a
 * plain Deno postMessage pool, piscina 5 under Node and a C pthreads +
 * eventfd reference, at 1 producer and W = 1 … 2 × cores workers.
 *
 * The source rows are fair: one C producer (c_ref.c's `prod` mode) writes
 * the units for both the C consumer threads and the efdpool pool, so their
 * ratio compares consumers; the Deno-main-thread producer is a second row.
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
import { PAYLOAD_MARK } from "./compare/runner.ts";
import { renderSvg } from "./compare/svg.ts";
import { renderSweep, SWEEP_MEASURES } from "./compare/sweep.ts";
import { ensurePiscina } from "./compare/piscina.ts";
import {
  buildTable,
  type Measure,
  renderTable,
  type RunOutcome,
} from "./compare/table.ts";

const HELP = `Usage: deno task compare [options]
  --items N          items per throughput run (default 200000)
  --workers LIST     worker counts (default 1 … 2 × cores)
  --rounds N         interleaved rounds of every measurement (default 3)
  --payloads LIST    task payload sizes in bytes for the size sweep (efdpool
                     takes up to ~1 MiB - 56 B per task today)
                     (default 8,1024,65536,1000000; "" skips it)
  --sweep-workers N  W for the size sweep (default: cores)
  --batch-size N     units per write in batched runs (default 1024)
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

const here = (f: string) => new URL(`./compare/${f}`, import.meta.url).pathname;
const efdpoolThere = await Deno.stat(
  new URL("../workers/pool.ts", import.meta.url),
)
  .then(() => true, () => false);
const deno = (file: string, args: (string | number)[]) => [
  Deno.execPath(),
  "run",
  "--allow-all",
  here(file),
  ...args.map(String),
];

/** What a measurement's sum must be: seqs 1..M for sources, (payload + 1) for tasks. */
function expected(kind: "seq" | "task", total: number): number {
  return total * (total + 1) / 2 + (kind === "task" ? total : 0);
}

/** Items in a sweep run of `bytes`-byte tasks: at most 256 MiB copied each way. */
const sweepItems = (bytes: number) =>
  Math.max(200, Math.min(params.items, Math.floor(2 ** 28 / bytes)));

const TASK_MEASURES: Measure[] = [
  "efd-run",
  "efd-run-lat",
  "pm",
  "pm-lat",
  "piscina",
];

function verify(o: RunOutcome): void {
  const r = o.report;
  if (!r || o.measure.startsWith("idle")) return;
  const total = r.items + (r.warmup ?? 0);
  const want = r.payloadBytes
    ? total * (r.payloadBytes + PAYLOAD_MARK)
    : expected(TASK_MEASURES.includes(o.measure) ? "task" : "seq", total);
  o.verified = r.handled === total && r.sum === want;
  if (!o.verified) {
    o.error =
      `SUM CHECK FAILED: handled ${r.handled} of ${total}, sum ${r.sum}, expected ${want}`;
  }
}

let round = 0;

async function execute(
  measure: Measure,
  w: number,
  cmd: string[] | { skipped: string },
  payload?: number,
): Promise<RunOutcome> {
  const o: RunOutcome = { measure, workers: w, round, payload };
  if (!Array.isArray(cmd)) {
    o.skipped = cmd.skipped;
    return o;
  }
  const child = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const timer = setTimeout(() => {
    o.error = `timed out after ${timeoutMs / 1000} s`;
    child.kill("SIGKILL");
  }, timeoutMs);
  const out = await child.output();
  clearTimeout(timer);
  const text = new TextDecoder();
  if (!o.error && !out.success) {
    const err = text.decode(out.stderr).trim().split("\n").slice(-8).join("\n");
    o.error = `exit ${out.code}: ${err}`;
  }
  if (!o.error) {
    const line = text.decode(out.stdout).trim().split("\n").at(-1) ?? "";
    try {
      o.report = JSON.parse(line);
    } catch {
      o.error = `no JSON report, got: ${line.slice(0, 200)}`;
    }
  }
  verify(o);
  return o;
}

const outcomes: RunOutcome[] = [];
function progress(o: RunOutcome, label: string): void {
  const r = o.report;
  const what = o.error
    ? `FAIL ${o.error}`
    : o.skipped
    ? `skipped: ${o.skipped}`
    : r?.itemsPerSec
    ? `${Math.round(r.itemsPerSec)} items/s${o.verified ? ", sum ok" : ""}`
    : JSON.stringify(r);
  console.error(
    `[compare] round ${(o.round ?? 0) + 1} ${label} W=${o.workers}: ${what}`,
  );
}

async function measure(
  m: Measure,
  w: number,
  label: string,
  cmd: string[] | { skipped: string },
  payload?: number,
): Promise<void> {
  const o = await execute(m, w, cmd, payload);
  outcomes.push(o);
  progress(o, label);
}

const tmp = await Deno.makeTempDir({ prefix: "efdpool-compare-" });
try {
  const cRef: string | { skipped: string } = await buildCRef(tmp).catch((
    e,
  ) => ({
    skipped: (e as Error).message,
  }));
  const piscina = await ensurePiscina({ install: !opt["no-install"] });
  const noEfd = { skipped: "workers/pool.ts is not there yet" };
  const { items, batchSize, latencyUnits, spacingUs } = params;
  const c = (args: (string | number)[]) =>
    typeof cRef === "string" ? [cRef, ...args.map(String)] : cRef;
  const efd = (file: string, args: (string | number)[]) =>
    efdpoolThere ? deno(file, args) : noEfd;

  for (round = 0; round < params.rounds; round++) {
    for (const w of workers) {
      const common = ["--workers", w];
      const tput = [...common, "--items", items, "--mode", "tput"];
      const lat = [
        ...common,
        "--items",
        latencyUnits,
        "--mode",
        "latency",
        "--spacing-us",
        spacingUs,
      ];
      await measure("c-1", w, "C 1 write/unit", c(["tput", w, items, 1]));
      await measure(
        "c-batch",
        w,
        "C batched",
        c(["tput", w, items, batchSize]),
      );
      await measure(
        "c-lat",
        w,
        "C latency",
        c(["lat", w, latencyUnits, spacingUs]),
      );
      const fromC = typeof cRef === "string"
        ? ["--producer", "c", "--c-ref", cRef]
        : [];
      await measure(
        "efd-1-c",
        w,
        "efdpool ← C producer, 1 write/unit",
        typeof cRef === "string"
          ? efd("efdpool_notify_run.ts", [...tput, "--batch-size", 1, ...fromC])
          : cRef,
      );
      await measure(
        "efd-batch-c",
        w,
        "efdpool ← C producer, batched",
        typeof cRef === "string"
          ? efd("efdpool_notify_run.ts", [
            ...tput,
            "--batch-size",
            batchSize,
            ...fromC,
          ])
          : cRef,
      );
      await measure(
        "efd-1",
        w,
        "efdpool 1 write/unit",
        efd("efdpool_notify_run.ts", [...tput, "--batch-size", 1]),
      );
      await measure(
        "efd-batch",
        w,
        "efdpool batched",
        efd("efdpool_notify_run.ts", [...tput, "--batch-size", batchSize]),
      );
      await measure(
        "efd-lat",
        w,
        "efdpool source latency",
        efd("efdpool_notify_run.ts", lat),
      );
      await measure(
        "efd-run",
        w,
        "efdpool run()",
        efd("task_run.ts", [...tput, "--pool", "efdpool"]),
      );
      await measure(
        "efd-run-lat",
        w,
        "efdpool run() latency",
        efd("task_run.ts", [...lat, "--pool", "efdpool"]),
      );
      await measure(
        "pm",
        w,
        "postMessage pool",
        deno("task_run.ts", [...tput, "--pool", "postmessage"]),
      );
      await measure(
        "pm-lat",
        w,
        "postMessage latency",
        deno("task_run.ts", [...lat, "--pool", "postmessage"]),
      );
      await measure(
        "piscina",
        w,
        "piscina",
        "prefix" in piscina
          ? [
            "node",
            here("piscina_run.mjs"),
            piscina.prefix,
            String(w),
            String(items),
          ]
          : piscina,
      );
    }
    for (const bytes of payloads) {
      const n = sweepItems(bytes);
      const args = [
        "--workers",
        sweepW,
        "--items",
        n,
        "--payload-bytes",
        bytes,
      ];
      const [efdM, pmM, pisM] = SWEEP_MEASURES;
      const label = `${bytes} B tasks`;
      await measure(
        efdM,
        sweepW,
        `efdpool run() ${label}`,
        efd("task_run.ts", [...args, "--pool", "efdpool"]),
        bytes,
      );
      await measure(
        pmM,
        sweepW,
        `postMessage pool ${label}`,
        deno("task_run.ts", [...args, "--pool", "postmessage"]),
        bytes,
      );
      await measure(
        pisM,
        sweepW,
        `piscina ${label}`,
        "prefix" in piscina
          ? [
            "node",
            here("piscina_run.mjs"),
            piscina.prefix,
            ...[sweepW, n, bytes].map(String),
          ]
          : piscina,
        bytes,
      );
    }
  }

  // Idle processes hardly compete for the CPU, so they share one window.
  const idle = (pool: string, w: number) =>
    deno("idle_run.ts", [
      "--pool",
      pool,
      "--workers",
      w,
      "--idle-ms",
      params.idleMs,
    ]);
  const idleRuns: [Measure, number, string, string[] | { skipped: string }][] =
    [
      ["idle-bare", 0, "idle bare Deno", idle("none", 0)],
      ...workers.flatMap((w) =>
        [
          [
            "idle-efd",
            w,
            "idle efdpool",
            efdpoolThere ? idle("efdpool", w) : noEfd,
          ],
          ["idle-pm", w, "idle postMessage pool", idle("postmessage", w)],
        ] as [Measure, number, string, string[] | { skipped: string }][]
      ),
    ];
  for (round = 0; round < params.rounds; round++) {
    await Promise.all(
      idleRuns.map(([m, w, label, cmd]) => measure(m, w, label, cmd)),
    );
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
