/**
 * The comparison's charts as one standalone SVG (no scripts, no external
 * fonts or services): units or tasks per second against W, with each
 * round's min–max as a bar, and the wake-latency CDF at the largest W.
 *
 * @module
 */

import {
  latencyCdf,
  type Measure,
  rate,
  Results,
  type RunOutcome,
} from "./results.ts";

interface Series {
  label: string;
  measure: Measure;
  color: string;
}

const THROUGHPUT: Series[] = [
  { label: "C threads ← C producer", measure: "c-1", color: "#555555" },
  { label: "efdpool ← C producer", measure: "efd-1-c", color: "#d62728" },
  { label: "efdpool ← Deno producer", measure: "efd-1", color: "#ff7f0e" },
  { label: "efdpool run()", measure: "efd-run", color: "#1f77b4" },
  { label: "postMessage pool", measure: "pm", color: "#2ca02c" },
  { label: "piscina 5", measure: "piscina", color: "#9467bd" },
];

const LATENCY: Series[] = [
  { label: "C threads ← C producer", measure: "c-lat", color: "#555555" },
  { label: "efdpool ← C producer", measure: "efd-lat-c", color: "#d62728" },
  { label: "efdpool ← Deno producer", measure: "efd-lat", color: "#ff7f0e" },
  { label: "efdpool run()", measure: "efd-run-lat", color: "#1f77b4" },
  { label: "postMessage pool", measure: "pm-lat", color: "#2ca02c" },
];

const W = 480, H = 360;
const M = { left: 64, right: 16, top: 40, bottom: 110 };
const PW = W - M.left - M.right, PH = H - M.top - M.bottom;

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const num = (v: number) => Number(v.toFixed(1));
const si = (v: number) =>
  v >= 1e6 ? `${num(v / 1e6)}M` : v >= 1e3 ? `${num(v / 1e3)}k` : `${num(v)}`;

/** Log-scale ticks (1, 2, 5 per decade) between lo and hi. */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (
    let d = Math.floor(Math.log10(lo));
    d <= Math.ceil(Math.log10(hi));
    d++
  ) {
    for (const m of [1, 2, 5]) {
      const t = m * 10 ** d;
      if (t >= lo && t <= hi) out.push(t);
    }
  }
  return out;
}

function frame(title: string, xLabel: string, yLabel: string): string[] {
  return [
    `<text x="${W / 2}" y="22" text-anchor="middle" font-weight="bold">${
      esc(title)
    }</text>`,
    `<rect x="${M.left}" y="${M.top}" width="${PW}" height="${PH}" fill="none" stroke="#999"/>`,
    `<text x="${M.left + PW / 2}" y="${M.top + PH + 34}" text-anchor="middle">${
      esc(xLabel)
    }</text>`,
    `<text transform="translate(16 ${
      M.top + PH / 2
    }) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
  ];
}

function legend(series: Series[]): string[] {
  return series.map((s, i) => {
    const x = M.left + (i % 2) * (PW / 2), y = M.top + PH + 54 + (i >> 1) * 16;
    return `<rect x="${x}" y="${
      y - 9
    }" width="12" height="4" fill="${s.color}"/>` +
      `<text x="${x + 18}" y="${y}">${esc(s.label)}</text>`;
  });
}

function throughputPanel(res: Results, workers: number[]): string[] {
  const pts = THROUGHPUT.map((s) => ({
    s,
    at: workers.map((w) => ({ w, v: res.spread(s.measure, w, rate) })),
  }));
  const all = pts.flatMap((p) =>
    p.at.flatMap((a) => a.v ? [a.v.min, a.v.max] : [])
  );
  const lo = Math.max(1, Math.min(...all, 1e6) / 1.5),
    hi = Math.max(...all, 10) * 1.5;
  const x = (w: number) =>
    M.left +
    (workers.length === 1
      ? PW / 2
      : (workers.indexOf(w) / (workers.length - 1)) * PW);
  const y = (v: number) =>
    M.top + PH - (Math.log(v / lo) / Math.log(hi / lo)) * PH;
  const out = frame(
    "Throughput against W (median, min–max)",
    "workers W",
    "units or tasks / s",
  );
  for (const t of logTicks(lo, hi)) {
    out.push(
      `<line x1="${M.left}" x2="${M.left + PW}" y1="${num(y(t))}" y2="${
        num(y(t))
      }" stroke="#eee"/>`,
      `<text x="${M.left - 6}" y="${num(y(t)) + 4}" text-anchor="end">${
        si(t)
      }</text>`,
    );
  }
  for (const w of workers) {
    out.push(
      `<text x="${num(x(w))}" y="${
        M.top + PH + 16
      }" text-anchor="middle">${w}</text>`,
    );
  }
  for (const { s, at } of pts) {
    const have = at.filter((a) => a.v);
    if (have.length === 0) continue;
    out.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${
        have.map((a) => `${num(x(a.w))},${num(y(a.v!.med))}`).join(" ")
      }"/>`,
      ...have.map((a) =>
        `<line x1="${num(x(a.w))}" x2="${num(x(a.w))}" y1="${
          num(y(a.v!.min))
        }" y2="${num(y(a.v!.max))}" stroke="${s.color}"/><circle cx="${
          num(x(a.w))
        }" cy="${num(y(a.v!.med))}" r="3" fill="${s.color}"/>`
      ),
    );
  }
  return [...out, ...legend(THROUGHPUT)];
}

function latencyPanel(outcomes: RunOutcome[], w: number): string[] {
  const curves = LATENCY.map((s) => ({
    s,
    cdf: latencyCdf(outcomes, s.measure, w),
  }));
  const all = curves.flatMap((c) => c.cdf?.map(([, us]) => us) ?? []).filter((
    v,
  ) => v > 0);
  const lo = Math.max(0.1, Math.min(...all, 1e3) / 1.3),
    hi = Math.max(...all, 10) * 1.3;
  const x = (us: number) =>
    M.left + (Math.log(Math.max(us, lo) / lo) / Math.log(hi / lo)) * PW;
  const y = (q: number) => M.top + PH - q * PH;
  const out = frame(
    `Wake latency CDF at W=${w} (last round)`,
    "µs (log)",
    "fraction of units",
  );
  for (const t of logTicks(lo, hi)) {
    out.push(
      `<line y1="${M.top}" y2="${M.top + PH}" x1="${num(x(t))}" x2="${
        num(x(t))
      }" stroke="#eee"/>`,
      `<text x="${num(x(t))}" y="${M.top + PH + 16}" text-anchor="middle">${
        si(t)
      }</text>`,
    );
  }
  for (const q of [0, 0.25, 0.5, 0.75, 0.9, 1]) {
    out.push(
      `<text x="${M.left - 6}" y="${
        num(y(q)) + 4
      }" text-anchor="end">${q}</text>`,
    );
  }
  for (const { s, cdf } of curves) {
    if (!cdf) continue;
    out.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${
        cdf.map(([q, us]) => `${num(x(us))},${num(y(q))}`).join(" ")
      }"/>`,
    );
  }
  return [...out, ...legend(LATENCY)];
}

/**
 * Both charts side by side as an SVG document.
 *
 * @example
 * ```ts
 * import { renderSvg } from "./svg.ts";
 * console.log(renderSvg([], [1, 2], { items: 1 }).startsWith("<svg"));
 * ```
 */
export function renderSvg(
  outcomes: RunOutcome[],
  workers: number[],
  params: { items: number },
): string {
  const res = new Results(outcomes);
  const panel = (dx: number, body: string[]) =>
    `<g transform="translate(${dx} 0)">${body.join("")}</g>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${
    2 * W
  }" height="${H}" ` +
    `font-family="sans-serif" font-size="11">` +
    `<title>efdpool compare: ${params.items} units per run</title>` +
    `<rect width="100%" height="100%" fill="white"/>` +
    panel(0, throughputPanel(res, workers)) +
    panel(W, latencyPanel(outcomes, Math.max(...workers))) +
    `</svg>\n`;
}
