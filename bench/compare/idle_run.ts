/**
 * Idle runner: `--pool none|efdpool|postmessage --workers W --idle-ms T`.
 * Starts the pool, pushes a few tasks (and, for efdpool, source units)
 * through every path, lets the start-up tail (JIT, GC, module loading
 * threads) settle, then measures the process's CPU time over T ms of doing
 * nothing, and its RSS. `none` is the bare Deno baseline.
 *
 * @module
 */

import { cpuTimeMs, rssKiB } from "./procstat.mjs";
import { openTaskPool, type TaskPool } from "./pools.ts";
import { emit, runnerArgs } from "./runner.ts";

const args = runnerArgs();
const warm = 4 * Math.max(1, args.workers);
let pool: TaskPool | undefined;
let detach = () => Promise.resolve();

if (args.pool === "efdpool") {
  const { benchPool, sumSource } = await import("./efdpool_pool.ts");
  const p = benchPool(args.workers);
  // A burst goes to the workers already up; at W=4 one may still be loading
  // after it, and its start-up would count as idle CPU.
  await p.started();
  const s = sumSource(p, args.workers);
  s.efd.write(warm);
  await s.src.until(warm);
  pool = { run: (x) => p.run(x), close: () => p.close() };
  detach = () => s.close();
} else if (args.pool !== "none") {
  pool = await openTaskPool(args.pool, args.workers, warm);
}
if (pool) {
  await Promise.all(Array.from({ length: warm }, (_, i) => pool.run(i)));
}

// Every process, the bare one too, burns a few ms in the first half second
// after start-up; that tail is not what idling costs.
const SETTLE_MS = 1000;
await new Promise((r) => setTimeout(r, SETTLE_MS));

const before = cpuTimeMs();
await new Promise((r) => setTimeout(r, args.idleMs));
const after = cpuTimeMs();
emit({
  cpuMs: after.precise - before.precise,
  statCpuMs: after.stat - before.stat,
  rssKiB: rssKiB(),
});
await detach();
await pool?.close();
