// bench/compare.ts end to end on a tiny load: every measurement process runs,
// reports JSON, and its handled count and sum check out. Numbers are not
// looked at (tests never judge timing).
import assert from "node:assert/strict";

const compare = new URL("../bench/compare.ts", import.meta.url).pathname;

interface Run {
  measure: string;
  workers: number;
  verified?: boolean;
  skipped?: string;
  error?: string;
}

Deno.test("compare: a tiny run verifies every sum and draws", async () => {
  const svg = await Deno.makeTempFile({ suffix: ".svg" });
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      compare,
      ...["--items", "3000", "--workers", "4", "--latency-units", "60"],
      ...["--idle-ms", "100", "--timeout-s", "30", "--no-install", "--json"],
      ...["--rounds", "2", "--svg", svg, "--payloads", "100000"],
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const report = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.deepEqual(report.failures, []);
  assert.equal(report.sumsVerified, true);

  const runs: Run[] = report.runs;
  const verified = (m: string) =>
    runs.some((r) => r.measure === m && r.verified === true);
  for (const m of ["c-1", "c-batch", "c-lat", "pm", "pm-win", "pm-lat"]) {
    assert.ok(verified(m), `${m} did not verify:\n${stderr}`);
  }
  if (report.efdpool === "present") {
    for (
      const m of [
        "efd-1",
        "efd-batch",
        "efd-1-c",
        "efd-batch-c",
        "efd-lat",
        "efd-lat-c",
        "efd-run",
        "efd-run-win",
        "efd-run-lat",
      ]
    ) {
      assert.ok(verified(m), `${m} did not verify:\n${stderr}`);
    }
  }
  for (const r of runs) {
    if (r.skipped || r.measure.startsWith("idle")) continue;
    assert.equal(r.verified, true, `${r.measure} W=${r.workers}`);
  }
  assert.ok(report.rows.length > 10);
  for (const m of ["pm-bytes", "efd-run-bytes"]) {
    if (m.startsWith("efd") && report.efdpool !== "present") continue;
    assert.equal(
      runs.filter((r) => r.measure === m && r.verified).length,
      2,
      `${m}: one size × two rounds`,
    );
  }
  // Two rounds of each measurement, paired for the ratios.
  assert.equal(runs.filter((r) => r.measure === "c-1").length, 2);
  const chart = await Deno.readTextFile(svg);
  await Deno.remove(svg);
  assert.match(chart, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(chart, /Throughput against W/);
  assert.match(chart, /Wake latency CDF at W=4/);
  assert.ok((chart.match(/<polyline/g) ?? []).length >= 6, "lines drawn");
});
