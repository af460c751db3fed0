/**
 * The comparison table's resource sections: CPU time while idle against
 * bare Deno, and RSS per worker against the postMessage pool's.
 *
 * @module
 */

import type { Measure, Pick } from "./results.ts";
import {
  type TableBuilder,
  type TableParams,
  TARGET,
} from "./table_builder.ts";

const fmt = (v: number) => v.toFixed(2);
const fmtMiB = (v: number) => v.toFixed(1);

/**
 * Adds the idle-CPU and RSS sections to `t`.
 *
 * @example
 * ```ts
 * import { Results } from "./results.ts";
 * import { TableBuilder } from "./table_builder.ts";
 * import { resourceRows } from "./table_resources.ts";
 * const t = new TableBuilder(new Results([]), [1]);
 * resourceRows(t, { items: 1, batchSize: 1, window: 1, spacingUs: 1, idleMs: 5000, latencyUnits: 1, rounds: 1 });
 * console.log(t.rows.length); // 5
 * ```
 */
export function resourceRows(t: TableBuilder, params: TableParams): void {
  const { res, workers } = t;
  t.section(`idle CPU ms over ${params.idleMs / 1000} s, W workers waiting`);
  const cpu: Pick = (r) => r.cpuMs;
  const bare = res.spread("idle-bare", 0, cpu);
  t.add(
    "bare Deno, no workers",
    workers.map(() => res.cell("idle-bare", 0, cpu, fmt)),
  );
  t.row(
    "efdpool",
    "idle-efd",
    cpu,
    fmt,
    t.judge(
      "idle CPU, efdpool",
      `≤ bare + ${TARGET.idleOverBareMs} ms`,
      t.atEveryW(
        (w) => res.spread("idle-efd", w, cpu),
        (v) => bare !== undefined && v <= bare.med + TARGET.idleOverBareMs,
      ),
    ),
  );
  t.row("Deno postMessage pool", "idle-pm", cpu, fmt);

  t.section("RSS per worker MiB, (RSS(W) − RSS(bare)) / W");
  const bareRss = res.spread("idle-bare", 0, (r) => r.rssKiB)?.med;
  const perWorker = (m: Measure, w: number) =>
    bareRss === undefined
      ? undefined
      : res.spread(m, w, (r) => (r.rssKiB - bareRss) / 1024 / w);
  const cells = (m: Measure) =>
    workers.map((w) => {
      const s = perWorker(m, w);
      return s ? fmtMiB(s.med) : "n/a";
    });
  t.add(
    "efdpool",
    cells("idle-efd"),
    t.judge(
      "RSS per worker, efdpool",
      `≤ postMessage + ${TARGET.rssOverPmMiB} MiB`,
      workers.map((w) => {
        const e = perWorker("idle-efd", w), p = perWorker("idle-pm", w);
        return e && p && e.med <= p.med + TARGET.rssOverPmMiB;
      }),
    ),
  );
  t.add("Deno postMessage pool", cells("idle-pm"));
}
