// Property-style fuzz of the public API: thousands of random, mostly bad,
// calls over everything mod.ts exports. Each must end in a clear typed error
// (an Error subclass whose message names the bad argument or the cause) or a
// result, within a deadline; never a crash, a hang or an unhandled rejection.
//
// The calls run in a child process (tests/fixtures/fuzz/child.ts) so a crash
// is a finding, not a dead test runner. When the child crashes or stalls,
// the call it had started is recorded and a new child resumes after it.
//
// EFDPOOL_FUZZ_SEED=<n> (or "random") picks the seed; the failure message
// prints it, with the command to replay the run.
import assert from "node:assert/strict";

const CHILD = new URL("./fixtures/fuzz/child.ts", import.meta.url);
const seedEnv = Deno.env.get("EFDPOOL_FUZZ_SEED");
const SEED = seedEnv === "random"
  ? Math.floor(Math.random() * 2 ** 31)
  : Number(seedEnv ?? 0x5eed);
/** No output for this long means the child is stuck in a synchronous call. */
const SILENCE_MS = 20_000;

interface Failure {
  call: number;
  api: string;
  args: string;
  kind: string;
  message: string;
}

interface ChildRun {
  findings: Failure[];
  done: boolean;
  last: { call: number; api: string; args: string } | null;
  code: number;
  stalled: boolean;
  stderr: string;
}

async function runChild(
  section: string,
  from: number,
  to: number,
): Promise<ChildRun> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      CHILD.pathname,
      section,
      `${SEED}`,
      `${from}`,
      `${to}`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const run: ChildRun = {
    findings: [],
    done: false,
    last: null,
    code: 0,
    stalled: false,
    stderr: "",
  };
  let heard = Date.now();
  const watchdog = setInterval(() => {
    if (Date.now() - heard > SILENCE_MS) {
      run.stalled = true;
      child.kill("SIGKILL");
    }
  }, 250);
  try {
    let rest = "";
    for await (
      const chunk of child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      heard = Date.now();
      const lines = (rest + chunk).split("\n");
      rest = lines.pop()!;
      for (const line of lines) {
        const m = /^CALL (-?\d+) ([^(]+)\((.*)\)$/.exec(line);
        if (m) run.last = { call: Number(m[1]), api: m[2], args: m[3] };
        else if (line.startsWith("FINDING ")) {
          run.findings.push(JSON.parse(line.slice(8)));
        } else if (line.startsWith("DONE ")) run.done = true;
      }
    }
    run.code = (await child.status).code;
  } finally {
    clearInterval(watchdog);
  }
  run.stderr = await stderr;
  return run;
}

/** Drops the colour codes of Deno's error output. */
function plain(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

/** Runs a section's calls, resuming after each crash or stall, within `budgetMs`. */
async function fuzzSection(section: string, calls: number, budgetMs: number) {
  const failures: Failure[] = [];
  const started = Date.now();
  let from = 0;
  for (;;) {
    const run = await runChild(section, from, calls);
    failures.push(...run.findings);
    if (run.done && run.code === 0) break;
    const at = run.last ?? { call: -1, api: "(setup)", args: "" };
    failures.push({
      ...at,
      kind: run.stalled
        ? `process stalled (no output for ${SILENCE_MS} ms)`
        : `process ended before finishing its calls (exit ${run.code})`,
      message: plain(run.stderr).trim().split("\n").slice(-6).join(" | ")
        .slice(0, 600),
    });
    // Setup and the final scenarios cannot be resumed; neither can an overrun budget.
    if (at.call < 0 || Date.now() - started > budgetMs) break;
    from = at.call + 1;
  }
  return { failures, ms: Date.now() - started };
}

function describe(section: string, failures: Failure[]): string {
  const groups = new Map<string, Failure[]>();
  for (const f of failures) {
    const key = `${f.api} — ${f.kind}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const lines = [
    `${failures.length} offending calls in section "${section}", seed ${SEED} ` +
    `(replay: EFDPOOL_FUZZ_SEED=${SEED} deno test --allow-all tests/api_fuzz_test.ts)`,
  ];
  for (const [key, fs] of groups) {
    lines.push(`  ${key}: ${fs.length}`);
    for (const f of fs.slice(0, 4)) {
      lines.push(
        `    #${f.call} ${f.api}(${f.args.slice(0, 160)}) → ${
          f.message.slice(0, 300)
        }`,
      );
    }
  }
  return lines.join("\n");
}

for (
  const [section, calls, budgetMs] of [
    ["ffi", 3000, 20_000],
    ["kernel", 1000, 15_000],
    ["pool", 300, 40_000],
    ["io", 500, 30_000],
  ] as const
) {
  Deno.test(`api fuzz: ${section}: ${calls} random calls, no crash, hang or unclear error`, async () => {
    const { failures } = await fuzzSection(section, calls, budgetMs);
    assert.equal(failures.length, 0, describe(section, failures));
  });
}
