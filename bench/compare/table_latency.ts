/**
 * The comparison table's latency sections: wake latency percentiles of
 * every contender, the efdpool ÷ C ratios the targets are judged on,
 * and context switches per unit at that low rate.
 *
 * The targets are judged on efdpool fed by c_ref.c's `prodlat`, which paces
 * and stamps units exactly as the C latency run does, so only the consumer
 * differs; the Deno-main-thread producer's rows and ratios come second.
 *
 * @module
 */

import type { Pick } from "./results.ts";
import {
  atMost,
  type TableBuilder,
  type TableParams,
  TARGET,
} from "./table_builder.ts";

const p50: Pick = (r) => r.latencyUs?.p50;
const p99: Pick = (r) => r.latencyUs?.p99;
const entryP50: Pick = (r) => r.entryLatencyUs?.p50;
const fmtUs = (v: number) => v.toFixed(v < 10 ? 1 : 0);
const ctx: Pick = (r) => r.ctxPerUnit;
const fmtCtx = (v: number) => v.toFixed(2);

/**
 * Adds the latency sections to `t`.
 *
 * @example
 * ```ts
 * import { Results } from "./results.ts";
 * import { TableBuilder } from "./table_builder.ts";
 * import { latencyRows } from "./table_latency.ts";
 * const t = new TableBuilder(new Results([]), [1]);
 * latencyRows(t, { items: 1, batchSize: 1, window: 1, spacingUs: 200, idleMs: 1, latencyUnits: 2000, rounds: 1 });
 * console.log(t.targets.length); // 2
 * ```
 */
export function latencyRows(t: TableBuilder, params: TableParams): void {
  t.section(
    `wake latency µs (p50, p99), ${params.latencyUnits} units 1 per ${params.spacingUs} µs`,
  );
  t.row("C consumer threads ← C producer, p50", "c-lat", p50, fmtUs);
  t.row("C consumer threads ← C producer, p99", "c-lat", p99, fmtUs);
  const fromC = "efdpool ← C producer (stamp → taken)";
  t.row(`${fromC}, p50`, "efd-lat-c", p50, fmtUs);
  t.row(`${fromC}, p99`, "efd-lat-c", p99, fmtUs);
  t.row(
    "efdpool ← C producer (stamp → handler), p50",
    "efd-lat-c",
    entryP50,
    fmtUs,
  );
  const fromDeno = "efdpool ← Deno main thread (stamp → taken)";
  t.row(`${fromDeno}, p50`, "efd-lat", p50, fmtUs);
  t.row(`${fromDeno}, p99`, "efd-lat", p99, fmtUs);
  t.row(
    "efdpool ← Deno main thread (stamp → handler), p50",
    "efd-lat",
    entryP50,
    fmtUs,
  );
  t.row("efdpool run() (stamp → handler), p50", "efd-run-lat", p50, fmtUs);
  t.row("Deno postMessage pool (→ handler), p50", "pm-lat", p50, fmtUs);
  t.ratioRow(
    "efdpool ← C producer ÷ C, p50",
    "efd-lat-c",
    "c-lat",
    atMost(TARGET.p50VsC, "C"),
    p50,
  );
  t.ratioRow(
    "efdpool ← C producer ÷ C, p99",
    "efd-lat-c",
    "c-lat",
    atMost(TARGET.p99VsC, "C"),
    p99,
  );
  t.ratioRow(
    "efdpool ← Deno main thread ÷ C, p50",
    "efd-lat",
    "c-lat",
    undefined,
    p50,
  );
  t.ratioRow(
    "efdpool ← Deno main thread ÷ C, p99",
    "efd-lat",
    "c-lat",
    undefined,
    p99,
  );

  t.section("context switches per unit, low rate");
  t.row(
    "efdpool ← C producer (producer not counted)",
    "efd-lat-c",
    ctx,
    fmtCtx,
  );
  t.row(
    "efdpool ← Deno main thread (its sleeps included)",
    "efd-lat",
    ctx,
    fmtCtx,
  );
  t.row(
    "C consumer threads (producer's sleeps included)",
    "c-lat",
    ctx,
    fmtCtx,
  );
}
