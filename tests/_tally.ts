/**
 * Test helper for the soaks with async units (fixtures/pool_async.ts):
 * attach an eventfd, count every result by sequence number, and check at
 * the end that each unit came back exactly once.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { EventFd, PoolSource, WorkerPool } from "../mod.ts";
import { deadline } from "./_deadline.ts";
import type { AsyncPlan } from "./fixtures/pool_async.ts";

/** Results of one source, by seq. */
export interface Tally {
  src: PoolSource;
  /** Results per seq (a redelivered unit gets a new seq). */
  seen: Uint8Array;
  results: number;
}

/** Attaches `efd` to `pool` with `plan`, counting results by seq. */
export function tally(
  pool: WorkerPool,
  efd: EventFd,
  units: number,
  plan: AsyncPlan,
): Tally {
  const t = { seen: new Uint8Array(units * 2), results: 0 } as Tally;
  t.src = pool.attach(efd, {
    data: plan,
    onResult(r) {
      t.seen[(r as { seq: number }).seq]++;
      t.results++;
    },
  });
  return t;
}

/**
 * Waits for `units` units, detaches, and asserts each came back once: no
 * seq twice, none of the seqs that died, every redelivery counted, nothing
 * left in the eventfd.
 */
export async function assertOnce(
  t: Tally,
  efd: EventFd,
  units: number,
  die: number[],
  ms: number,
): Promise<void> {
  await deadline(t.src.until(units), ms, "until(units)");
  const stats = t.src.stats();
  await deadline(t.src.detach(), ms, "detach");
  assert.equal(t.results, units);
  assert.equal(t.seen.filter((c) => c > 1).length, 0, "none twice");
  for (const seq of die) assert.equal(t.seen[seq], 0, `seq ${seq} died`);
  assert.equal(stats.taken, units + stats.redelivered);
  assert.equal(efd.tryRead(), null, "units left in the eventfd");
}
