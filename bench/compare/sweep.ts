/**
 * The payload-size sweep's table: `run()` tasks/s and MiB/s for efdpool,
 * the postMessage pool and piscina as each task grows from a few bytes to
 * a MiB, at one W.
 *
 * @module
 */

import {
  fmtRate,
  type Measure,
  rate,
  Results,
  type RunOutcome,
  withRange,
} from "./results.ts";

/** The sweep's measures, in the order bench/compare.ts runs them. */
export const SWEEP_MEASURES: readonly [Measure, Measure, Measure] = [
  "efd-run-bytes",
  "pm-bytes",
  "piscina-bytes",
];

const LABELS = ["efdpool run()", "Deno postMessage pool", "piscina 5 (Node)"];

const size = (b: number) =>
  b % (1 << 20) === 0
    ? `${b >> 20} MiB`
    : b % 1024 === 0
    ? `${b >> 10} KiB`
    : b % 1000 === 0
    ? `${b / 1000} kB`
    : `${b} B`;

/**
 * Renders the sweep as text: a row per pool, a column per size, each cell
 * tasks/s (median and range) and the MiB/s that makes.
 *
 * @example
 * ```ts
 * import { renderSweep } from "./sweep.ts";
 * console.log(renderSweep([], [8, 1024], 2).includes("8 B"));
 * ```
 */
export function renderSweep(
  outcomes: RunOutcome[],
  payloads: number[],
  w: number,
): string {
  const res = new Results(outcomes);
  const lines = [
    ["", ...payloads.map(size)],
    ...SWEEP_MEASURES.map((m, i) => [
      LABELS[i],
      ...payloads.map((b) => {
        const runs = res.runs(m, w, b);
        if (runs.some((o) => o.error)) return "FAIL";
        const s = res.spread(m, w, rate, b);
        if (!s) return "n/a";
        return `${withRange(s, fmtRate)} ${
          (s.med * b / (1 << 20)).toFixed(0)
        } MiB/s`;
      }),
    ]),
  ];
  const width = lines[0].map((_, i) =>
    Math.max(...lines.map((l) => l[i].length))
  );
  return [
    `run() tasks/s by payload size at W=${w} (MiB/s of payload copied in)`,
    ...lines.map((l) =>
      l.map((c, i) => i ? c.padStart(width[i]) : c.padEnd(width[i])).join("  ")
    ),
  ].join("\n");
}
