/**
 * The examples read their arguments as the CLI does: `--help`, one-line
 * usage errors with exit status 2, no stack traces.
 */

import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;

async function example(file: string, args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}examples/${file}`, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return {
    code: out.code,
    stdout: d.decode(out.stdout),
    stderr: d.decode(out.stderr),
  };
}

const ERRORS: [string, string[], RegExp][] = [
  [
    "single_producer.ts",
    ["--units", "many"],
    /^single_producer\.ts: --units must be an integer >= 1, got "many"$/,
  ],
  [
    "single_producer.ts",
    ["--bogus"],
    /^single_producer\.ts: unknown option --bogus; see deno run -A examples\/single_producer\.ts --help$/,
  ],
  [
    "bounded_buffer.ts",
    ["-w", "0"],
    /^bounded_buffer\.ts: --workers must be an integer from 1 to 256, got "0"$/,
  ],
  [
    "io_completions.ts",
    ["--backend", "epoll"],
    /^io_completions\.ts: --backend must be one of io_uring, aio, got "epoll"$/,
  ],
  ["seed_twin.ts", ["--efd", "3"], /^seed_twin\.ts: --pid is required; see /],
  [
    "kernel_module.ts",
    ["extra"],
    /^kernel_module\.ts: takes no arguments, got "extra"$/,
  ],
  [
    "seed_demo.ts",
    ["--twin=yes"],
    /^seed_demo\.ts: --twin takes no value, got "yes"$/,
  ],
];

Deno.test("examples: --help, and bad arguments as one line with exit status 2", async () => {
  const help = await example("pipeline.ts", ["--help"]);
  assert.equal(help.code, 0, help.stderr);
  assert.match(
    help.stdout,
    /^Usage: deno run -A examples\/pipeline\.ts \[options\]$/m,
  );
  assert.match(help.stdout, /--items N/);
  const runs = await Promise.all(ERRORS.map(([f, a]) => example(f, a)));
  runs.forEach((r, i) => {
    const [f, a, want] = ERRORS[i];
    assert.equal(r.code, 2, `${f} ${a.join(" ")}: ${r.stderr}`);
    const lines = r.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], want);
  });
});
