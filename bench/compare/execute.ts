/**
 * Runs one measurement of bench/compare.ts in its own process, reads the
 * one JSON line it prints, and checks its handled count and sum against
 * what they must be, so a lost or doubled unit or task fails the run.
 *
 * @module
 */

import type { Step } from "./plan.ts";
import type { Measure, RunOutcome } from "./results.ts";
import { PAYLOAD_MARK } from "./runner.ts";

/** Measures whose items are tasks: each returns its payload + 1. */
const TASK_MEASURES: readonly Measure[] = [
  "efd-run",
  "efd-run-win",
  "efd-run-lat",
  "pm",
  "pm-win",
  "pm-lat",
  "piscina",
  "piscina-win",
];

/**
 * What a run's sum must be: seqs 1..M for sources, (payload + 1) for tasks
 * with payloads 1..M, (bytes + mark) for the sweep's byte tasks.
 */
function expectedSum(o: RunOutcome, total: number): number {
  const bytes = o.report?.payloadBytes;
  if (bytes) return total * (bytes + PAYLOAD_MARK);
  const seqs = total * (total + 1) / 2;
  return TASK_MEASURES.includes(o.measure) ? seqs + total : seqs;
}

function verify(o: RunOutcome): void {
  const r = o.report;
  if (!r || o.measure.startsWith("idle")) return;
  const total = r.items + (r.warmup ?? 0);
  const want = expectedSum(o, total);
  o.verified = r.handled === total && r.sum === want;
  if (!o.verified) {
    o.error =
      `SUM CHECK FAILED: handled ${r.handled} of ${total}, sum ${r.sum}, expected ${want}`;
  }
}

/**
 * Runs `step` (killed after `timeoutMs`) and returns its outcome: its
 * report, checked, or why it was skipped or failed.
 *
 * @example
 * ```ts
 * import { execute } from "./execute.ts";
 * const o = await execute({ measure: "c-1", workers: 1, label: "C", cmd: { skipped: "no cc" } }, 0, 1000);
 * console.log(o.skipped); // no cc
 * ```
 */
export async function execute(
  step: Step,
  round: number,
  timeoutMs: number,
): Promise<RunOutcome> {
  const { measure, workers, cmd, payload } = step;
  const o: RunOutcome = { measure, workers, round, payload };
  if (!Array.isArray(cmd)) {
    o.skipped = cmd.skipped;
    return o;
  }
  const child = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const timer = setTimeout(() => {
    o.error = `timed out after ${timeoutMs / 1000} s`;
    child.kill("SIGKILL");
  }, timeoutMs);
  const out = await child.output();
  clearTimeout(timer);
  const text = new TextDecoder();
  if (!o.error && !out.success) {
    const err = text.decode(out.stderr).trim().split("\n").slice(-8).join("\n");
    o.error = `exit ${out.code}: ${err}`;
  }
  if (!o.error) {
    const line = text.decode(out.stdout).trim().split("\n").at(-1) ?? "";
    try {
      o.report = JSON.parse(line);
    } catch {
      o.error = `no JSON report, got: ${line.slice(0, 200)}`;
    }
  }
  verify(o);
  return o;
}
