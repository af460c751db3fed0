/**
 * piscina 5 under Node: `node piscina_run.mjs PREFIX W N [BYTES [WINDOW]]`,
 * where PREFIX is the directory piscina was npm-installed into. Submits N
 * tiny tasks (BYTES > 0: BYTES-byte tasks instead) at once, or with at most
 * WINDOW in flight when WINDOW > 0, after a warm-up made the same way; sums
 * their results and prints one JSON line like the Deno runners.
 *
 * @module
 */

import { createRequire } from "node:module";
import { contextSwitches, threadCpuNs } from "./procstat.mjs";
import { submitTasks } from "./submit.mjs";

const [prefix, w, n, bytes = "0", win = "0"] = process.argv.slice(2);
const workers = Number(w);
const items = Number(n);
// The payload-size sweep: every task is the same BYTES bytes, first byte 7
// (runner.ts's PAYLOAD_MARK); the worker returns length + first byte.
const payloadBytes = Number(bytes);
const payload = payloadBytes ? new Uint8Array(payloadBytes) : undefined;
if (payload) payload[0] = 7;
const warmup = Math.min(2000, items);
const { Piscina } = createRequire(`${prefix}/package.json`)("piscina");

const pool = new Piscina({
  filename: new URL("./piscina_worker.mjs", import.meta.url).href,
  minThreads: workers,
  maxThreads: workers,
  idleTimeout: 60_000,
});

let handled = 0, sum = 0;
const batch = (from, count) =>
  submitTasks(
    from,
    count,
    Number(win),
    (i) =>
      pool.run(payload ?? i).then((r) => {
        handled++;
        sum += r;
      }),
  );

await batch(1, warmup);
const cs0 = contextSwitches();
const cpu0 = threadCpuNs();
const t0 = performance.now();
await batch(warmup + 1, items);
const seconds = (performance.now() - t0) / 1000;
const cpuNs = threadCpuNs() - cpu0;
const switches = contextSwitches() - cs0;
console.log(JSON.stringify({
  items,
  warmup,
  handled,
  sum,
  itemsPerSec: items / seconds,
  ctxPerUnit: switches / items,
  mainCpuUs: cpuNs / 1000 / items,
  payloadBytes,
}));
await pool.destroy();
