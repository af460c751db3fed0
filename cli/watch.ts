/**
 * `efdpool watch`: live stats of a pool — another process's, through its
 * stats endpoint (`efdpool watch PID`), or one of our own under a synthetic
 * load (`--synthetic`) — redrawn on a terminal, one JSON line per interval
 * otherwise, and a summary at the end (Ctrl-C included).
 *
 * @module
 */

import { type PoolStats, readStats, StatsUnavailableError } from "../mod.ts";
import { atMost, CliError, helpText, parse } from "./args.ts";
import { durationOption } from "./options.ts";
import { WATCH_SPEC } from "./specs.ts";
import { renderBar } from "./progress.ts";
import { startSynthetic } from "./watch_load.ts";

/** One refresh of the view. */
export interface WatchSample {
  /** Seconds since watching started. */
  t: number;
  /** Units (tasks and source units) handled per second over the interval. */
  perSecond: number;
  /** Units handled in total since the pool started. */
  units: number;
  /** Per-worker share of the interval's units, 0..1. */
  shares: number[];
  /** Per-worker fraction of time in handlers since the pool started, 0..1. */
  utilization: number[];
  /** Tasks queued and not taken. */
  queued: number;
  /** Tasks running. */
  running: number;
  /** Source units taken and not yet handled. */
  sourceBacklog: number;
  /** run() to a worker taking the task, ms (since the pool started). */
  wait: { p50: number; p99: number; max: number };
  /** Time in handlers, ms (since the pool started). */
  run: { p50: number; p99: number; max: number };
  /** Workers that died and were replaced. */
  restarts: number;
  /** Source units re-delivered after their worker died. */
  redelivered: number;
  /** Each source's counters, attached ones and outside ones such as JetStream. */
  sources: PoolStats["sources"];
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

function toSample(
  p: PoolStats,
  prev: { units: number[]; at: number } | undefined,
  at: number,
  t0: number,
): WatchSample {
  const units = p.workers.map((w) => w.units);
  const delta = units.map((u, i) => u - (prev?.units[i] ?? u));
  const d = sum(delta);
  const dt = prev ? (at - prev.at) / 1000 : 0;
  const pct = (x: { p50: number; p99: number; max: number }) => ({
    p50: x.p50,
    p99: x.p99,
    max: x.max,
  });
  return {
    t: (at - t0) / 1000,
    perSecond: dt > 0 ? d / dt : 0,
    units: sum(units),
    shares: delta.map((x) => d > 0 ? x / d : 0),
    utilization: p.workers.map((w) => w.utilization),
    queued: p.queued,
    running: p.running,
    sourceBacklog: sum(p.sources.map((s) => s.taken - s.handled - s.failed)),
    wait: pct(p.waitTime),
    run: pct(p.runTime),
    restarts: sum(p.workers.map((w) => w.restarts)),
    redelivered: sum(p.sources.map((s) => s.redelivered)),
    sources: p.sources,
  };
}

const ms = (x: { p50: number; p99: number; max: number }) =>
  `p50 ${x.p50.toFixed(2)}  p99 ${x.p99.toFixed(2)}  max ${
    x.max.toFixed(2)
  } ms`;

function frame(s: WatchSample, title: string): string[] {
  return [
    `${title}  ${s.t.toFixed(1)} s`,
    `  units/s ${
      Math.round(s.perSecond).toString().padStart(9)
    }   total ${s.units}`,
    `  queue: ${s.queued} tasks waiting, ${s.running} running; ${s.sourceBacklog} source units in handlers`,
    `  wait (run → taken)  ${ms(s.wait)}`,
    `  handler time        ${ms(s.run)}`,
    `  restarts ${s.restarts}   redelivered ${s.redelivered}`,
    ...s.sources.map((x) =>
      `  source ${x.name}${x.kind ? ` (${x.kind})` : ""}: taken ${x.taken}` +
      `  handled ${x.handled}  failed ${x.failed}  redelivered ${x.redelivered}` +
      Object.entries(x.counters ?? {}).map(([k, v]) => `  ${k} ${v}`).join("")
    ),
    ...s.shares.map((x, i) =>
      `  w${i} share ${renderBar(x, 10)}  busy ${
        renderBar(s.utilization[i] ?? 0, 10)
      }`
    ),
  ];
}

/**
 * Runs the view with `argv`; returns the exit code.
 *
 * @example
 * ```ts ignore
 * import { watch } from "./watch.ts";
 * Deno.exit(await watch(["--synthetic", "--duration", "3s"]));
 * ```
 */
export async function watch(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, WATCH_SPEC);
  if (values.help) {
    console.log(helpText(WATCH_SPEC));
    return 0;
  }
  const synthetic = values.synthetic === true;
  atMost(positionals, 1, synthetic ? "FILE" : "PID");
  let pid = 0;
  if (!synthetic) {
    const raw = positionals[0];
    if (raw === undefined) {
      throw new CliError(
        "needs the PID of a process to watch, or --synthetic",
        2,
      );
    }
    pid = /^\d+$/.test(raw) ? Number(raw) : 0;
    if (!(pid > 0 && pid < 2 ** 31)) {
      throw new CliError(
        `PID must be a process id (a positive integer), got "${raw}"`,
        2,
      );
    }
    for (const k of ["source", "workers", "depth", "block"]) {
      if (values[k] !== undefined) {
        throw new CliError(
          `--${k} goes with --synthetic; a PID's pool is what it is`,
          2,
        );
      }
    }
  }
  const duration = values.duration === undefined && !synthetic
    ? Infinity
    : durationOption(values, "duration", 10_000);
  const interval = durationOption(values, "interval", 500);
  const json = values.json === true || !Deno.stdout.isTerminal();

  const load = synthetic
    ? await startSynthetic(positionals[0], values, json)
    : undefined;
  const fetch = load
    ? () => Promise.resolve(load.pool.stats())
    : async () => (await readStats(pid)).stats;
  const title = load ? load.title : `pid ${pid}`;
  // Fails now, with the reason, if there is nothing to watch.
  let stats = await fetch();

  let stop!: () => void;
  const stopped = new Promise<void>((r) => stop = r);
  const onInt = () => stop();
  Deno.addSignalListener("SIGINT", onInt);
  const t0 = performance.now();
  const first = stats.workers.map((w) => w.units);
  let prev = { units: first, at: t0 };
  let drawn = 0;
  let ended = "";
  let last: WatchSample | undefined;
  try {
    // Samples are counted, not timed: a timer that fires a little early
    // must not squeeze in an extra sample before the end.
    const samples = Math.ceil(duration / interval);
    for (let k = 1; k <= samples; k++) {
      const due = t0 + Math.min(k * interval, duration);
      const wait = Math.max(0, due - performance.now());
      let timer: ReturnType<typeof setTimeout> | undefined;
      const tick = new Promise<boolean>((r) =>
        timer = setTimeout(() => r(true), wait)
      );
      const go = await Promise.race([tick, stopped.then(() => false)]);
      clearTimeout(timer);
      if (!go) break;
      try {
        stats = await fetch();
      } catch (e) {
        if (!(e instanceof StatsUnavailableError)) throw e;
        ended = `process ${pid} ended (its stats endpoint is gone)`;
        break;
      }
      const at = performance.now();
      last = toSample(stats, prev, at, t0);
      prev = { units: stats.workers.map((w) => w.units), at };
      if (json) console.log(JSON.stringify(last));
      else {
        const lines = frame(last, title);
        // Redraw in place.
        console.log((drawn ? `\x1b[${drawn}A\x1b[J` : "") + lines.join("\n"));
        drawn = lines.length;
      }
      if (load?.failure) throw load.failure;
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onInt);
    await load?.stop();
  }
  const secs = (prev.at - t0) / 1000;
  const handled = sum(prev.units) - sum(first);
  const summary = {
    summary: {
      watched: title,
      seconds: secs,
      units: handled,
      perSecond: secs > 0 ? handled / secs : 0,
      restarts: last?.restarts ?? 0,
      redelivered: last?.redelivered ?? 0,
      ...(ended ? { ended } : {}),
    },
  };
  if (json) console.log(JSON.stringify(summary));
  else {
    if (ended) console.log(ended);
    console.log(
      `summary: ${handled} units in ${secs.toFixed(1)} s (${
        Math.round(summary.summary.perSecond)
      }/s), ${summary.summary.restarts} restarts, ${summary.summary.redelivered} redelivered`,
    );
  }
  return 0;
}
