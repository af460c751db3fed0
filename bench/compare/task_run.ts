/**
 * Task benchmark runner: `--pool efdpool|postmessage --workers W --items N`
 * and `--mode tput` (all tasks submitted at once, or at most `--window N`
 * in flight, results summed) or `--mode latency` (one stamped task every
 * `--spacing-us`, awaited).
 * `--payload-bytes N` (tput) sends N-byte tasks instead of numbers, for the
 * payload-size sweep; each returns N + its first byte.
 *
 * @module
 */

import { openTaskPool } from "./pools.ts";
import type { StampedResult } from "./handler.ts";
import { submitTasks } from "./submit.mjs";
import {
  emit,
  epochNow,
  JIT_WARMUP,
  LATENCY_WARMUP,
  measured,
  percentilesUs,
  runnerArgs,
  sleepUntil,
  sweepPayload,
  warmupFor,
} from "./runner.ts";

const args = runnerArgs();
const latency = args.mode === "latency";
const warmup = latency ? JIT_WARMUP + LATENCY_WARMUP : warmupFor(args.items);
const total = warmup + args.items;
const pool = await openTaskPool(args.pool, args.workers, total);

let handled = 0, sum = 0;
const tally = (r: unknown) => {
  handled++;
  sum += r as number;
};
// Payloads are 1..total across warm-up and measurement; each returns payload + 1.
// In the size sweep every task is the same bytes; each returns length + mark.
const bytes = args.payloadBytes ? sweepPayload(args.payloadBytes) : undefined;
const batch = (from: number, n: number) =>
  submitTasks(from, n, args.window, (i) => pool.run(bytes ?? i).then(tally));

if (latency) {
  // JIT_WARMUP plain tasks at full speed, then stamped tasks one at a time;
  // the first LATENCY_WARMUP of those are left out of the percentiles too.
  await batch(1, JIT_WARMUP);
  const spaced = total - JIT_WARMUP;
  const lat = new Float64Array(spaced);
  const spacing = args.spacingUs / 1000;
  let deadline = performance.now();
  const { seconds, switches } = await measured(async () => {
    for (let k = 0; k < spaced; k++) {
      sleepUntil(deadline += spacing);
      const r = await pool.run({
        i: JIT_WARMUP + k + 1,
        stampedAt: epochNow(),
      }) as StampedResult;
      tally(r.value);
      lat[k] = r.latencyUs;
    }
  });
  emit({
    items: args.items,
    warmup,
    handled,
    sum,
    itemsPerSec: spaced / seconds,
    ctxPerUnit: switches / spaced,
    latencyUs: percentilesUs(lat, LATENCY_WARMUP),
  });
} else {
  await batch(1, warmup);
  const { seconds, switches, cpuNs } = await measured(() =>
    batch(warmup + 1, args.items)
  );
  emit({
    items: args.items,
    warmup,
    handled,
    sum,
    itemsPerSec: args.items / seconds,
    ctxPerUnit: switches / args.items,
    mainCpuUs: cpuNs / 1000 / args.items,
    payloadBytes: args.payloadBytes,
  });
}
await pool.close();
