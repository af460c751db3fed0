/**
 * The README's snippets are files in examples/readme/: each must appear in
 * the README byte for byte and run with exactly the permissions the README
 * states; a pool without --allow-read fails with one error naming the file
 * and the flag.
 */

import assert from "node:assert/strict";
import { deadline } from "./_deadline.ts";

const ROOT = new URL("../", import.meta.url);
const README = Deno.readTextFileSync(new URL("README.md", ROOT));

/** Runs `file` under `flags` (no others), with a deadline; kills it if late. */
async function run(
  flags: string[],
  file: string,
  args: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...flags, file, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    const out = await deadline(child.output(), 60_000, `deno run ${file}`);
    const dec = new TextDecoder();
    return {
      code: out.code,
      stdout: dec.decode(out.stdout),
      stderr: dec.decode(out.stderr),
    };
  } catch (e) {
    child.kill("SIGKILL");
    await child.status;
    throw e;
  }
}

Deno.test("readme: every snippet is its file in examples/readme/, byte for byte", () => {
  const marked = [
    ...README.matchAll(/<!-- file: (\S+) -->\n\n```ts\n([\s\S]*?)```/g),
  ];
  const files = [...Deno.readDirSync(new URL("examples/readme/", ROOT))]
    .map((e) => `examples/readme/${e.name}`).filter((f) => f.endsWith(".ts"));
  const shown = marked.map(([, f]) => f);
  for (const f of shown) assert.ok(files.includes(f), `${f} exists`);
  // Handler modules are shown by name only; every other file is shown.
  for (
    const f of files.filter((f) =>
      !/_handler\.ts$/.test(f) || f.includes("jetstream")
    )
  ) {
    assert.ok(shown.includes(f), `${f} is in the README`);
  }
  for (const [, f, body] of marked) {
    assert.equal(body, Deno.readTextFileSync(new URL(f, ROOT)), f);
  }
  // Every ts block of the README is one of those files.
  const blocks = [...README.matchAll(/```ts\n/g)].length;
  assert.equal(blocks, marked.length, "a ts block without its file");
});

Deno.test("readme: the eventfd tour runs with --allow-ffi alone", async () => {
  const r = await run(["--allow-ffi"], "examples/readme/tour_ffi.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /tour: eventfd, poll, epoll ok/);
});

Deno.test("readme: the pool tour runs with --allow-ffi --allow-read", async () => {
  const r = await run(
    ["--allow-ffi", "--allow-read"],
    "examples/readme/tour_pool.ts",
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /tour: pool ok/);
});

Deno.test("readme: the features tour (named tasks, hooks, elastic size, recycling) runs with --allow-ffi --allow-read", async () => {
  const r = await run(
    ["--allow-ffi", "--allow-read"],
    "examples/readme/tour_features.ts",
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /tour: features ok/);
});

Deno.test("readme: the io tour sums a file's bytes with --allow-ffi --allow-read", async () => {
  const path = Deno.makeTempFileSync({ prefix: "efdpool-readme-" });
  try {
    const bytes = new Uint8Array(300_001).map((_, i) => (i * 7) & 255);
    Deno.writeFileSync(path, bytes);
    const r = await run(
      ["--allow-ffi", "--allow-read"],
      "examples/readme/tour_io.ts",
      [path],
    );
    assert.equal(r.code, 0, r.stderr);
    const sum = bytes.reduce((a, b) => a + b, 0);
    assert.match(r.stdout, new RegExp(`tour: io ok, byte sum ${sum}\\b`));
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("readme: the stats tour runs with the permissions the README names", async () => {
  const r = await run(
    ["--allow-ffi", "--allow-read", "--allow-write", "--allow-net"],
    "examples/readme/tour_stats.ts",
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /tour: stats at \S+\.sock \d+/);
});

Deno.test("readme: the JetStream snippets type-check", async () => {
  const out = await deadline(
    new Deno.Command(Deno.execPath(), {
      args: [
        "check",
        "examples/readme/jetstream_handler.ts",
        "examples/readme/jetstream_main.ts",
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output(),
    120_000,
    "deno check",
  );
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
});

Deno.test("permissions: a pool without --allow-read fails once, naming the worker module and the flag", async () => {
  const r = await run(["--allow-ffi"], "examples/readme/tour_pool.ts");
  assert.notEqual(r.code, 0);
  // One uncaught error (Deno shows its source line too), in the main thread.
  assert.equal(r.stderr.match(/Uncaught/g)?.length, 1, r.stderr);
  assert.match(r.stderr, /Uncaught \(in promise\) MissingPermissionError/);
  assert.match(r.stderr, /workers\/_worker\.ts: run with --allow-read/);
  assert.doesNotMatch(r.stderr, /Uncaught \(in worker/);
  assert.doesNotMatch(r.stderr, /HandlerLoadError/);
});
