/**
 * What bench/compare.ts runs: one round's measurement commands at every W
 * and in the payload sweep, and the idle measurements, each a command line
 * for its own process (or the reason it cannot run here).
 *
 * @module
 */

import type { Measure } from "./results.ts";
import { SWEEP_MEASURES } from "./sweep.ts";

/** A command line, or why the measurement is skipped. */
export type Cmd = string[] | { skipped: string };

/** One measurement to make. */
export interface Step {
  /** Which measurement. */
  measure: Measure;
  /** Worker count (0: the bare baseline). */
  workers: number;
  /** What the progress line calls it. */
  label: string;
  /** How to run it. */
  cmd: Cmd;
  /** Task payload bytes, for the size sweep. */
  payload?: number;
}

/** What the contenders need: the built C reference, piscina, efdpool itself. */
export interface Tools {
  /** Path of the built c_ref binary, or why it could not be built. */
  cRef: string | { skipped: string };
  /** Where piscina is installed, or why it cannot run. */
  piscina: { prefix: string } | { skipped: string };
  /** Whether workers/pool.ts is there. */
  efdpool: boolean;
}

/** The run sizes the plan needs. */
export interface PlanParams {
  /** Items per throughput run. */
  items: number;
  /** Units per write in batched runs. */
  batchSize: number;
  /** Most tasks in flight in the windowed task runs. */
  window: number;
  /** Units per latency run. */
  latencyUnits: number;
  /** Producer spacing in latency runs, µs. */
  spacingUs: number;
  /** Idle window, ms. */
  idleMs: number;
}

const here = (f: string) => new URL(`./${f}`, import.meta.url).pathname;
const deno = (file: string, args: (string | number)[]) => [
  Deno.execPath(),
  "run",
  "--allow-all",
  here(file),
  ...args.map(String),
];

const NO_EFDPOOL = { skipped: "workers/pool.ts is not there yet" };
/** An efdpool runner's command, if efdpool is there. */
const efd = (tools: Tools, file: string, args: (string | number)[]): Cmd =>
  tools.efdpool ? deno(file, args) : NO_EFDPOOL;
/** A task_run.ts command for `pool` (efdpool only if it is there). */
const tasks = (tools: Tools, pool: string, args: (string | number)[]): Cmd =>
  pool === "efdpool"
    ? efd(tools, "task_run.ts", [...args, "--pool", pool])
    : deno("task_run.ts", [...args, "--pool", pool]);
/** A piscina run (`piscina_run.mjs PREFIX W N [BYTES [WINDOW]]`), if it can run. */
const pis = ({ piscina }: Tools, args: number[]): Cmd =>
  "prefix" in piscina
    ? ["node", here("piscina_run.mjs"), piscina.prefix, ...args.map(String)]
    : piscina;

/** Items in a sweep run of `bytes`-byte tasks: at most 256 MiB copied each way. */
const sweepItems = (items: number, bytes: number): number =>
  Math.max(200, Math.min(items, Math.floor(2 ** 28 / bytes)));

/**
 * Every measurement of one round at worker count `w`.
 *
 * @example
 * ```ts
 * import { stepsAt } from "./plan.ts";
 * const steps = stepsAt(2, { cRef: { skipped: "no cc" }, piscina: { skipped: "no node" }, efdpool: true },
 *   { items: 100, batchSize: 10, window: 8, latencyUnits: 60, spacingUs: 200, idleMs: 100 });
 * console.log(steps.some((s) => s.measure === "efd-run-win")); // true
 * ```
 */
export function stepsAt(w: number, tools: Tools, p: PlanParams): Step[] {
  const { cRef } = tools;
  const c = (args: (string | number)[]): Cmd =>
    typeof cRef === "string" ? [cRef, ...args.map(String)] : cRef;
  const notify = (args: (string | number)[]) =>
    efd(tools, "efdpool_notify_run.ts", args);
  // The C producer's rows need the C reference built.
  const notifyFromC = (args: (string | number)[]): Cmd =>
    typeof cRef === "string"
      ? notify([...args, "--producer", "c", "--c-ref", cRef])
      : cRef;
  const tput = ["--workers", w, "--items", p.items, "--mode", "tput"];
  const win = [...tput, "--window", p.window];
  const lat = [
    ...["--workers", w, "--items", p.latencyUnits],
    ...["--mode", "latency", "--spacing-us", p.spacingUs],
  ];
  const one = [...tput, "--batch-size", 1];
  const batched = [...tput, "--batch-size", p.batchSize];
  const steps: [Measure, string, Cmd][] = [
    ["c-1", "C 1 write/unit", c(["tput", w, p.items, 1])],
    ["c-batch", "C batched", c(["tput", w, p.items, p.batchSize])],
    ["c-lat", "C latency", c(["lat", w, p.latencyUnits, p.spacingUs])],
    ["efd-1-c", "efdpool ← C producer, 1 write/unit", notifyFromC(one)],
    ["efd-batch-c", "efdpool ← C producer, batched", notifyFromC(batched)],
    ["efd-1", "efdpool 1 write/unit", notify(one)],
    ["efd-batch", "efdpool batched", notify(batched)],
    ["efd-lat-c", "efdpool ← C producer latency", notifyFromC(lat)],
    ["efd-lat", "efdpool source latency", notify(lat)],
    ["efd-run", "efdpool run()", tasks(tools, "efdpool", tput)],
    ["efd-run-win", "efdpool run() windowed", tasks(tools, "efdpool", win)],
    ["efd-run-lat", "efdpool run() latency", tasks(tools, "efdpool", lat)],
    ["pm", "postMessage pool", tasks(tools, "postmessage", tput)],
    ["pm-win", "postMessage pool windowed", tasks(tools, "postmessage", win)],
    ["pm-lat", "postMessage latency", tasks(tools, "postmessage", lat)],
    ["piscina", "piscina", pis(tools, [w, p.items])],
    ["piscina-win", "piscina windowed", pis(tools, [w, p.items, 0, p.window])],
  ];
  return steps.map(([measure, label, cmd]) => ({
    measure,
    workers: w,
    label,
    cmd,
  }));
}

/**
 * One round of the payload-size sweep at `w` workers: each pool at each size.
 *
 * @example
 * ```ts
 * import { sweepSteps } from "./plan.ts";
 * const tools = { cRef: "/tmp/c_ref", piscina: { skipped: "no node" }, efdpool: true };
 * console.log(sweepSteps([8, 1024], 2, 1000, tools).length); // 6
 * ```
 */
export function sweepSteps(
  payloads: number[],
  w: number,
  items: number,
  tools: Tools,
): Step[] {
  const [efdM, pmM, pisM] = SWEEP_MEASURES;
  return payloads.flatMap((bytes) => {
    const n = sweepItems(items, bytes);
    const args = ["--workers", w, "--items", n, "--payload-bytes", bytes];
    const size = `${bytes} B tasks`;
    return [
      {
        measure: efdM,
        label: `efdpool run() ${size}`,
        cmd: tasks(tools, "efdpool", args),
      },
      {
        measure: pmM,
        label: `postMessage pool ${size}`,
        cmd: tasks(tools, "postmessage", args),
      },
      {
        measure: pisM,
        label: `piscina ${size}`,
        cmd: pis(tools, [w, n, bytes]),
      },
    ].map((s) => ({ ...s, workers: w, payload: bytes }));
  });
}

/**
 * The idle measurements: bare Deno, then efdpool and the postMessage pool at
 * every W. Idle processes hardly compete for the CPU, so they can share one
 * window.
 *
 * @example
 * ```ts
 * import { idleSteps } from "./plan.ts";
 * const tools = { cRef: "/tmp/c_ref", piscina: { skipped: "no node" }, efdpool: true };
 * console.log(idleSteps([1, 2], 100, tools).length); // 5
 * ```
 */
export function idleSteps(
  workers: number[],
  idleMs: number,
  tools: Tools,
): Step[] {
  const idle = (pool: string, w: number) =>
    deno("idle_run.ts", ["--pool", pool, "--workers", w, "--idle-ms", idleMs]);
  return [
    {
      measure: "idle-bare",
      workers: 0,
      label: "idle bare Deno",
      cmd: idle("none", 0),
    },
    ...workers.flatMap((w): Step[] => [
      {
        measure: "idle-efd",
        workers: w,
        label: "idle efdpool",
        cmd: tools.efdpool ? idle("efdpool", w) : NO_EFDPOOL,
      },
      {
        measure: "idle-pm",
        workers: w,
        label: "idle postMessage pool",
        cmd: idle("postmessage", w),
      },
    ]),
  ];
}
