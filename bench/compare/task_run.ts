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
const warmup = latency ? LATENCY_WARMUP : warmupFor(args.items);
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
  // Stamped tasks one at a time; the first `warmup` are left out of the percentiles.
  const lat = new Float64Array(total);
  const spacing = args.spacingUs / 1000;
  let deadline = performance.now();
  const { seconds, switches } = await measured(async () => {
    for (let i = 0; i < total; i++) {
      sleepUntil(deadline += spacing);
      const r = await pool.run({
        i: i + 1,
        stampedAt: epochNow(),
      }) as StampedResult;
      tally(r.value);
      lat[i] = r.latencyUs;
    }
  });
  emit({
    items: args.items,
    warmup,
    handled,
    sum,
    itemsPerSec: total / seconds,
    ctxPerUnit: switches / total,
    latencyUs: percentilesUs(lat, warmup),
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
