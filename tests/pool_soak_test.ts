// Fault-injection soak (see fixtures/pool_soak.ts): 2M units at W=4 from
// this process and a C process with 5% throws and random deaths, plus runs
// ended by close() and destroy() at a random moment. Exactly once by
// sequence number, every promise settled, no fd or thread left behind.
// Wall time here ≈ 40–70 s. SOAK_SEED=<n> replays a run.
import assert from "node:assert/strict";
import { runFixture } from "./fixtures/ffi_spawn.ts";

interface Run {
  name: string;
  ending: "until" | "close" | "destroy";
  units: number;
  written: number;
  results: number;
  errors: number;
  wrongErrors: number;
  expectedErrors: number;
  left: number;
  handledByCounter: number;
  taken: number;
  redelivered: number;
  deaths: number;
  restarts: number;
  twice: number;
  deadWithResult: number;
  missing: number;
  unsettledOrWrong: string[];
  ms: number;
}

Deno.test("soak: 2M units with throws, deaths, close and destroy — exactly once, all settled, nothing left", async () => {
  const run = await runFixture("pool_soak.ts", ["--allow-all"], 240_000);
  assert.equal(run.killed, false, `the soak hung:\n${run.stderr.slice(-3000)}`);
  assert.equal(run.code, 0, run.stderr.slice(-3000));
  const report = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
  const why = `seed ${report.seed}: ${JSON.stringify(report)}`;
  for (const r of report.runs as Run[]) {
    const at = `${r.name} (${why})`;
    assert.deepEqual(
      {
        twice: r.twice,
        deadWithResult: r.deadWithResult,
        wrongErrors: r.wrongErrors,
      },
      { twice: 0, deadWithResult: 0, wrongErrors: 0 },
      at,
    );
    assert.deepEqual(r.unsettledOrWrong, [], at);
    if (r.ending === "until") {
      assert.equal(r.missing, 0, at);
      assert.equal(r.results + r.errors, r.units, at);
      assert.equal(r.errors, r.expectedErrors, at);
      assert.equal(r.taken, r.units + r.deaths, at);
      assert.equal(r.redelivered, r.deaths, at);
      assert.equal(r.restarts, r.deaths, at);
      assert.equal(r.left, 0, at);
      assert.ok(r.deaths >= 12, at);
    } else if (r.ending === "close") {
      // Closed: every unit written was handled once or is still in the counter.
      assert.equal(r.results + r.errors + r.left, r.written, at);
    } else {
      // Destroyed: units held were given back; one revoked as it finished may count twice.
      const total = r.handledByCounter + r.left;
      assert.ok(total >= r.written && total <= r.written + 4, at);
    }
  }
  const units = (report.runs as Run[]).reduce((a, r) => a + r.written, 0);
  assert.ok(units >= 2_000_000, why);
  assert.ok(report.fdsAfter <= report.fdsBefore, `fds left behind: ${why}`);
  assert.ok(
    report.threadsAfter <= report.threadsBefore,
    `threads left: ${why}`,
  );
  console.log(
    `soak seed ${report.seed}: ${units} units, ${
      report.runs.map((r: Run) => `${r.name} ${r.ms} ms`).join(", ")
    }`,
  );
});
