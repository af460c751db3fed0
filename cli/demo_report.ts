/**
 * The demo's figures: the side-by-side table, the ratios against the
 * targets, and the checks, as lines for a terminal or one JSON object.
 *
 * @module
 */

import process from "node:process";
import type { Skipped, Timed, Verified } from "./baselines.ts";
import { libzVersion } from "./libz.ts";

// Deno's node:zlib is its own zlib build (Chromium's), not the system's that
// efdpool's workers and pigz use: the same format, other matches found at a
// given level, and faster.
const zlibVersion = process.versions.zlib;

/**
 * "1 worker", "2 workers".
 *
 * @example
 * ```ts ignore
 * console.log(workersLabel(1)); // 1 worker
 * ```
 */
export function workersLabel(n: number): string {
  return `${n} worker${n === 1 ? "" : "s"}`;
}

/** A contender's medians over the runs, with spread; or why it did not run. */
export type Figures = {
  /** Median wall time, ms. */
  ms: number;
  /** Fastest run, ms. */
  minMs: number;
  /** Slowest run, ms. */
  maxMs: number;
  /** Compressed bytes. */
  outBytes: number;
  /** Input MiB per second at the median. */
  mibPerSecond: number;
} | Skipped;

/** What the demo did, measured and checked. */
export interface DemoFacts {
  input: string;
  output: string;
  generated: boolean;
  bytes: number;
  level: number;
  workers: number;
  block: number;
  depth: number;
  source: string;
  notes: string[];
  runs: number;
  efdpool: Figures & {
    warmupMs: number;
    /** Median time the main thread spent writing the output, ms. */
    writeMs: number;
    perWorker: number[];
    crc: number;
  };
  zlib: Figures;
  /** The pool's blocks, compressed one after another on one thread. */
  blocks: Figures;
  gzip: Figures;
  pigz: Figures;
  verified: Verified;
}

/** The facts, the ratios (null where they mean nothing, e.g. empty input) and the verdict. */
export interface DemoResult extends DemoFacts {
  /** One node:zlib thread's time ÷ efdpool's. */
  speedup: number | null;
  /** The same blocks on one thread ÷ efdpool's: the gain from parallelism alone. */
  parallelSpeedup: number | null;
  /** efdpool's throughput ÷ pigz -p W's. */
  vsPigz: number | null;
  /** efdpool's size ÷ pigz's − 1. */
  sizeVsPigz: number | null;
  /** efdpool's size ÷ one node:zlib stream's − 1: the system zlib against Deno's own. */
  sizeVsZlib: number | null;
  /** Every check passed. */
  ok: boolean;
}

/**
 * The median of `xs`.
 *
 * @example
 * ```ts ignore
 * console.log(median([3, 1, 2])); // 2
 * ```
 */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Medians and spread of a contender's runs (or why it did not run).
 *
 * @example
 * ```ts ignore
 * const f = figures([{ ms: 10, outBytes: 5 }, { ms: 12, outBytes: 5 }], 1 << 20);
 * ```
 */
export function figures(runs: (Timed | Skipped)[], bytes: number): Figures {
  const skipped = runs.find((r): r is Skipped => "skipped" in r);
  if (skipped) return skipped;
  const ms = (runs as Timed[]).map((r) => r.ms);
  return {
    ms: median(ms),
    minMs: Math.min(...ms),
    maxMs: Math.max(...ms),
    outBytes: (runs[0] as Timed).outBytes,
    mibPerSecond: bytes / (1 << 20) / (median(ms) / 1000),
  };
}

const ran = (f: Figures): f is Exclude<Figures, Skipped> => !("skipped" in f);

function ratio(a: Figures, b: Figures, bytes: number): number | null {
  return bytes > 0 && ran(a) && ran(b) && a.ms > 0 ? b.ms / a.ms : null;
}

/**
 * Adds the ratios and the verdict to the facts.
 *
 * @example
 * ```ts ignore
 * const result = summarize(facts);
 * console.log(result.speedup, result.ok);
 * ```
 */
export function summarize(f: DemoFacts): DemoResult {
  const { pigz, efdpool, zlib } = f;
  const size = (other: Figures) =>
    ran(other) && ran(efdpool) && f.bytes > 0
      ? efdpool.outBytes / other.outBytes - 1
      : null;
  return {
    ...f,
    speedup: ratio(efdpool, f.zlib, f.bytes),
    parallelSpeedup: ratio(efdpool, f.blocks, f.bytes),
    vsPigz: ratio(efdpool, pigz, f.bytes),
    sizeVsPigz: size(pigz),
    sizeVsZlib: size(zlib),
    ok: f.verified.zlib && f.verified.gunzip !== false,
  };
}

const mib = (n: number) => `${(n / (1 << 20)).toFixed(2)} MiB`;

function row(label: string, f: Figures, bytes: number, runs: number): string {
  if (!ran(f)) return `${label.padEnd(22)} ${f.skipped}`;
  const time = `${f.ms.toFixed(0)} ms` +
    (runs > 1 ? ` (${f.minMs.toFixed(0)}–${f.maxMs.toFixed(0)})` : "");
  const speed = bytes > 0 ? f.mibPerSecond.toFixed(1) : "—";
  const r = bytes > 0 && f.outBytes > 0
    ? `${(bytes / f.outBytes).toFixed(2)}×`
    : "—";
  return `${label.padEnd(22)} ${time.padStart(runs > 1 ? 20 : 9)} ${
    speed.padStart(8)
  } ${mib(f.outBytes).padStart(11)} ${r.padStart(7)}`;
}

const x = (v: number | null, digits = 2) =>
  v === null ? "—" : `×${v.toFixed(digits)}`;
const mark = (v: boolean | Skipped) =>
  v === true ? "✓" : v === false ? "✗ MISMATCH" : `(${v.skipped})`;

/**
 * The result as lines for a terminal.
 *
 * @example
 * ```ts ignore
 * for (const line of render(result)) console.log(line);
 * ```
 */
export function render(r: DemoResult): string[] {
  const med = r.runs > 1 ? `median of ${r.runs} (min–max)` : "time";
  const lines = [
    `${"".padEnd(22)} ${med.padStart(r.runs > 1 ? 20 : 9)} ${
      "MiB/s".padStart(8)
    } ${"size".padStart(11)} ${"ratio".padStart(7)}`,
    row(`efdpool, ${workersLabel(r.workers)}`, r.efdpool, r.bytes, r.runs),
    row("node:zlib, 1 thread", r.zlib, r.bytes, r.runs),
    row("same blocks, 1 thread", r.blocks, r.bytes, r.runs),
    row(`gzip -${r.level}`, r.gzip, r.bytes, r.runs),
    row(`pigz -p ${r.workers} -${r.level}`, r.pigz, r.bytes, r.runs),
    `efdpool: blocks per worker ${
      r.efdpool.perWorker.map((n, i) => `w${i} ${n}`).join(", ") || "none"
    }; pool start-up before the clock ${
      r.efdpool.warmupMs.toFixed(0)
    } ms; writing the output took the main thread ${
      r.efdpool.writeMs.toFixed(1)
    } ms`,
  ];
  if (r.bytes > 0) {
    const pct = (v: number | null) =>
      v === null ? "—" : `${v >= 0 ? "+" : ""}${(v * 100).toFixed(1)}%`;
    lines.push(
      `speed-up ${x(r.speedup)} over one node:zlib thread, ${
        x(r.parallelSpeedup)
      } over the same blocks on one thread; throughput ${
        x(r.vsPigz)
      } of pigz -p ${r.workers}'s`,
      `size ${pct(r.sizeVsPigz)} against pigz's, ${
        pct(r.sizeVsZlib)
      } against one node:zlib stream (efdpool and pigz use the system zlib ${libzVersion()}, node:zlib is Deno's own ${zlibVersion})`,
    );
  } else {
    lines.push("empty input: a valid empty .gz, nothing to time");
  }
  lines.push(
    `check: node:zlib gunzip ${mark(r.verified.zlib)}, gunzip ${
      mark(r.verified.gunzip)
    } (crc32 ${
      r.efdpool.crc.toString(16).padStart(8, "0")
    }, ${r.bytes} bytes) → ${r.output}`,
  );
  return lines;
}
