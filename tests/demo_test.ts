/**
 * `deno task demo` as a user runs it (its task's permissions): parallel
 * gzip of the generated input and of given files, checked against
 * node:zlib and gunzip and timed against one node:zlib thread, gzip and
 * pigz (installed here as CI installs it); output refusal; empty input.
 */

import assert from "node:assert/strict";
import { crc32, gunzipSync } from "node:zlib";
import { ensurePackages } from "./_packages.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const decoder = new TextDecoder();

// pigz (and gzip) for the side-by-side figures, as the VM suite gets qemu.
const havePigz = await ensurePackages("pigz", "gzip");
if (!havePigz) {
  console.log("  pigz could not be installed here: its column is skipped");
}

/** `deno task demo` as deno.json defines it (same permissions), with `args`. */
function demoCommand(args: string[]): string[] {
  const task: string =
    JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`)).tasks.demo;
  const [deno, ...rest] = task.split(/\s+/);
  assert.equal(deno, "deno");
  return [
    Deno.execPath(),
    ...rest.map((a) => a === "main.ts" ? `${ROOT}main.ts` : a),
    ...args,
  ];
}

async function demo(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const argv = demoCommand(args);
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

const dir = Deno.makeTempDirSync({ prefix: "efdpool-demo-" });

Deno.test("demo: no PATH: gzips generated log text; node:zlib and gunzip give it back; gzip and pigz side by side", async () => {
  const r = await demo(["--size", "1M", "--json", "-w", "2"]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.generated, true);
  assert.equal(out.bytes, 1 << 20);
  const input = Deno.readFileSync(out.input);
  assert.match(
    new TextDecoder().decode(input.subarray(0, 200)),
    /^20\d\d-\d\d-\d\dT.* (INFO|DEBUG|WARN|ERROR) /,
  );
  assert.deepEqual(
    gunzipSync(Deno.readFileSync(out.output)),
    Buffer.from(input),
  );
  assert.equal(out.efdpool.crc, crc32(input));
  assert.deepEqual(out.verified, { zlib: true, gunzip: true });
  assert.equal(
    out.efdpool.perWorker.reduce((a: number, b: number) => a + b, 0),
    Math.ceil(out.bytes / out.block),
  );
  assert.ok(out.zlib.ms > 0 && out.gzip.ms > 0, r.stdout);
  if (havePigz) {
    assert.ok(out.pigz.ms > 0 && out.pigz.outBytes > 0, r.stdout);
    // The same system zlib, blocks and dictionaries as pigz: within 1%.
    assert.ok(
      Math.abs(out.sizeVsPigz) < 0.01,
      `size vs pigz ${out.sizeVsPigz}`,
    );
    assert.ok(out.vsPigz > 0);
  }
  assert.ok(out.speedup > 0 && out.parallelSpeedup > 0);
  // One thread on the pool's own blocks writes exactly as many bytes.
  assert.equal(out.blocks.outBytes, out.efdpool.outBytes);
  assert.match(out.notes[0], /kernel module: (not loaded|efd_notify found)/);
});

Deno.test("demo: the table a user sees, through io_uring and AIO", async () => {
  const input = `${dir}/words.txt`;
  Deno.writeFileSync(
    input,
    new TextEncoder().encode("lorem ipsum dolor ".repeat(40_000)),
  );
  for (const source of ["io_uring", "aio"]) {
    const r = await demo([
      input,
      "-f",
      "--source",
      source,
      "-b",
      "64K",
      "-1",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`gzip -1 of 0\\.7 MiB: ${source} reads of 64 KiB blocks`),
    );
    assert.match(
      r.stdout,
      /^efdpool, \d+ workers? +\d+ ms +[\d.]+ +[\d.]+ MiB +[\d.]+×$/m,
    );
    assert.match(r.stdout, /^node:zlib, 1 thread +\d+ ms/m);
    assert.match(r.stdout, /^same blocks, 1 thread +\d+ ms/m);
    assert.match(r.stdout, /^gzip -1 +\d+ ms/m);
    assert.match(
      r.stdout,
      /^speed-up ×[\d.]+ over one node:zlib thread, ×[\d.]+ over the same blocks on one thread; throughput /m,
    );
    assert.match(
      r.stdout,
      /^check: node:zlib gunzip ✓, gunzip ✓ \(crc32 [0-9a-f]{8}, 720000 bytes\)/m,
    );
    assert.deepEqual(
      gunzipSync(Deno.readFileSync(`${input}.gz`)),
      Buffer.from(Deno.readFileSync(input)),
    );
  }
});

Deno.test("demo: refuses to overwrite without -f (before any work), writes with -f and to -o", async () => {
  const input = `${dir}/keep.txt`;
  Deno.writeFileSync(input, new TextEncoder().encode("keep me ".repeat(5000)));
  Deno.writeTextFileSync(`${input}.gz`, "precious");
  const refused = await demo([input]);
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr.trimEnd().split("\n").length, 1, refused.stderr);
  assert.match(
    refused.stderr,
    /keep\.txt\.gz already exists; use -f to overwrite it/,
  );
  assert.equal(Deno.readTextFileSync(`${input}.gz`), "precious");
  const self = await demo([input, "-o", input, "-f"]);
  assert.equal(self.code, 1);
  assert.match(self.stderr, /the output would overwrite the input/);
  const forced = await demo([input, "-f", "--json"]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(gunzipSync(Deno.readFileSync(`${input}.gz`)).length, 40_000);
  const other = await demo([input, "-o", `${dir}/other.gz`, "--json"]);
  assert.equal(other.code, 0, other.stderr);
  assert.equal(JSON.parse(other.stdout).output, `${dir}/other.gz`);
  assert.ok(Deno.statSync(input).isFile, "the input stays");
  const outside = await demo([
    input,
    "-o",
    "/var/tmp/efdpool-demo-test-nope.gz",
  ]);
  assert.equal(outside.code, 1);
  assert.match(
    outside.stderr,
    /nope\.gz: Deno has no write permission for it; run with --allow-write=\/var\/tmp,/,
  );
});

Deno.test("demo: an empty file gives a valid empty .gz and sensible figures", async () => {
  const input = `${dir}/empty`;
  Deno.writeFileSync(input, new Uint8Array(0));
  const r = await demo([input, "-f"]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /NaN|Infinity/);
  assert.match(r.stdout, /empty input: a valid empty \.gz, nothing to time/);
  assert.match(
    r.stdout,
    /check: node:zlib gunzip ✓, gunzip ✓ \(crc32 00000000, 0 bytes\)/,
  );
  assert.equal(gunzipSync(Deno.readFileSync(`${input}.gz`)).length, 0);
  const j = JSON.parse((await demo([input, "-f", "--json"])).stdout);
  assert.equal(j.speedup, null);
  assert.equal(j.ok, true);
});

Deno.test("demo: cleanup", () => {
  Deno.removeSync(dir, { recursive: true });
});
