/**
 * `efdpool watch`: run a source under load and show it live — units/s,
 * per-worker shares, queue depth, latency percentiles — from `pool.stats()`
 * and the source's own counters.
 *
 * @module
 */

import { openForRead } from "../io/file.ts";
import type { IoSourceStats } from "../io/source.ts";
import { WorkerPool } from "../workers/pool.ts";
import type { PoolStats } from "../workers/types.ts";
import {
  CliError,
  durationOption,
  helpText,
  intOption,
  parse,
  sizeOption,
} from "./args.ts";
import { ensureSampleFile, listFiles } from "./files.ts";
import { WATCH_SPEC } from "./specs.ts";
import { renderBar } from "./progress.ts";
import { pickSource, sourceChoice } from "./sources.ts";
import { samplePath } from "./demo.ts";

/** One refresh of the live view. */
export interface WatchSample {
  /** Seconds since the start. */
  t: number;
  /** Completions handled per second over the last interval. */
  perSecond: number;
  /** Completions handled in total. */
  handled: number;
  /** Per-worker share of the interval's units, 0..1. */
  shares: number[];
  /** Completions posted by the kernel, not yet taken by a worker. */
  ready: number;
  /** Operations submitted and not yet handled. */
  inFlight: number;
  /** Submit-to-result latency of the interval's completions, ms. */
  latency: { p50: number; p99: number; max: number };
  /** Time in the handler, ms (the pool's run-time histogram, since start). */
  handler: { p50: number; p99: number; max: number };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function render(
  s: WatchSample,
  fraction: number,
  workers: number,
  backend: string,
): string[] {
  const shares = s.shares.map((x, i) => `w${i} ${renderBar(x, 10)}`);
  return [
    `${renderBar(fraction)}  ${
      s.t.toFixed(1)
    } s  source ${backend}, ${workers} workers`,
    `  completions/s ${
      Math.round(s.perSecond).toString().padStart(8)
    }   handled ${s.handled}`,
    `  queue: ${s.inFlight} in flight, ${s.ready} completed and waiting for a worker`,
    `  latency submit→result  p50 ${s.latency.p50.toFixed(2)} ms  p99 ${
      s.latency.p99.toFixed(2)
    } ms  max ${s.latency.max.toFixed(2)} ms`,
    `  handler time           p50 ${s.handler.p50.toFixed(2)} ms  p99 ${
      s.handler.p99.toFixed(2)
    } ms  max ${s.handler.max.toFixed(2)} ms`,
    ...shares.map((l) => `  ${l}`),
  ];
}

/**
 * Runs the live view with `argv`; returns the exit code.
 *
 * @example
 * ```ts ignore
 * import { watch } from "./watch.ts";
 * Deno.exit(await watch(["--duration", "3s"]));
 * ```
 */
export async function watch(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, WATCH_SPEC);
  if (values.help) {
    console.log(helpText(WATCH_SPEC));
    return 0;
  }
  if (positionals.length > 1) {
    throw new CliError(
      `watch takes at most one FILE, got ${positionals.length}`,
      2,
    );
  }
  const choice = sourceChoice(values.source);
  const workers = intOption(values, "workers", navigator.hardwareConcurrency);
  const duration = durationOption(values, "duration", 10_000);
  const interval = durationOption(values, "interval", 500);
  const depth = intOption(values, "depth", 32);
  const block = sizeOption(values, "block", 64 << 10);
  const json = values.json === true;
  const tty = !json && Deno.stdout.isTerminal();

  let path = positionals[0];
  if (path === undefined) {
    path = samplePath(64 << 20);
    ensureSampleFile(path, 64 << 20);
  } else if (listFiles(path)[0] !== path) {
    throw new CliError(`${path}: watch needs a regular file`);
  }
  using file = openForRead(path, { direct: false });
  if (file.size === 0) {
    throw new CliError(`${path}: the file is empty; nothing to read`);
  }
  const { source, notes } = pickSource(choice, { depth, blockSize: block });
  if (!json) { for (const n of notes) console.log(n); }

  const submittedAt = new Map<number, number>();
  let latencies: number[] = [];
  await using pool = new WorkerPool({ workers, name: "watch" });
  source.attach(pool, {
    handler: new URL("./checksum_worker.ts", import.meta.url),
    name: `watch/${source.backend}`,
    onResult(_value, { id }) {
      const t0 = submittedAt.get(id);
      submittedAt.delete(id);
      if (t0 !== undefined) latencies.push(performance.now() - t0);
    },
  });

  const start = performance.now();
  let last = { t: start, handled: 0, units: [] as number[] };
  let drawn = 0;
  const samples: WatchSample[] = [];
  const sample = () => {
    const now = performance.now();
    const s: IoSourceStats = source.stats();
    const p: PoolStats = pool.stats();
    const units = p.workers.map((w) => w.units);
    const delta = units.map((u, i) => u - (last.units[i] ?? 0));
    const sum = delta.reduce((a, b) => a + b, 0) || 1;
    const sorted = latencies.sort((a, b) => a - b);
    latencies = [];
    const out: WatchSample = {
      t: (now - start) / 1000,
      perSecond: (s.handled - last.handled) / ((now - last.t) / 1000),
      handled: s.handled,
      shares: delta.map((d) => d / sum),
      ready: s.ready,
      inFlight: s.inFlight,
      latency: {
        p50: percentile(sorted, 0.5),
        p99: percentile(sorted, 0.99),
        max: sorted.at(-1) ?? 0,
      },
      handler: { p50: p.runTime.p50, p99: p.runTime.p99, max: p.runTime.max },
    };
    last = { t: now, handled: s.handled, units };
    samples.push(out);
    if (json) console.log(JSON.stringify(out));
    else {
      const lines = render(
        out,
        Math.min(1, (now - start) / duration),
        workers,
        source.backend,
      );
      // Redraw in place on a terminal; elsewhere, one block per interval.
      if (tty && drawn) console.log(`\x1b[${drawn}A\x1b[J` + lines.join("\n"));
      else console.log(lines.join("\n"));
      drawn = lines.length;
    }
  };
  const timer = setInterval(sample, interval);
  try {
    let offset = 0;
    while (performance.now() - start < duration) {
      while (source.inFlight < source.depth) {
        const id = source.read(file, offset, {
          length: Math.min(block, file.size - offset),
        });
        submittedAt.set(id, performance.now());
        offset += block;
        if (offset >= file.size) offset = 0;
      }
      await source.ready();
    }
    await source.close();
  } finally {
    clearInterval(timer);
  }
  sample();
  const total = source.stats().handled;
  const secs = (performance.now() - start) / 1000;
  if (json) {
    console.log(
      JSON.stringify({
        summary: { handled: total, seconds: secs, perSecond: total / secs },
      }),
    );
  } else {console.log(
      `done: ${total} completions in ${secs.toFixed(1)} s (${
        Math.round(total / secs)
      }/s)`,
    );}
  return 0;
}
