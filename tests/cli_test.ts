import assert from "node:assert/strict";
import { crc32 } from "node:zlib";

const ROOT = new URL("..", import.meta.url).pathname;
const CLI = `${ROOT}cli.ts`;
const decoder = new TextDecoder();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `deno run <perms> cli.ts <args>`, optionally under a wrapper command (strace). */
async function cli(
  args: string[],
  perms = ["-A"],
  wrap: string[] = [],
): Promise<Run> {
  const argv = [
    ...wrap,
    Deno.execPath(),
    "run",
    "--no-config",
    ...perms,
    CLI,
    ...args,
  ];
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/** The error report: exactly one line on stderr. */
function oneLine(r: Run): string {
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  return lines[0];
}

const dir = Deno.makeTempDirSync({ prefix: "efdpool-cli-" });
Deno.mkdirSync(`${dir}/tree/sub`, { recursive: true });
const contents: Record<string, Uint8Array> = {
  [`${dir}/tree/a.bin`]: crypto.getRandomValues(new Uint8Array(65536)).map((
    b,
    i,
  ) => b ^ i),
  [`${dir}/tree/empty`]: new Uint8Array(0),
  [`${dir}/tree/sub/b.bin`]: new Uint8Array(1_000_003).map((_, i) =>
    (i * 31) & 255
  ),
};
for (const [p, c] of Object.entries(contents)) Deno.writeFileSync(p, c);

Deno.test("cli: --help on every command, usage without one", async () => {
  for (const cmd of ["demo", "bench", "watch"]) {
    const r = await cli([cmd, "--help"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Usage: efdpool ${cmd}`));
    assert.match(r.stdout, /--json/);
  }
  const none = await cli([]);
  assert.equal(none.code, 2);
  assert.match(none.stdout, /Commands:/);
  assert.equal((await cli(["--help"])).code, 0);
});

Deno.test("cli: bad commands, flags and values exit 2 with a one-line cause", async () => {
  const unknown = await cli(["frobnicate"]);
  assert.equal(unknown.code, 2);
  assert.match(oneLine(unknown), /unknown command "frobnicate"/);
  const flag = await cli(["demo", "--bogus"]);
  assert.equal(flag.code, 2);
  assert.match(oneLine(flag), /--bogus/);
  const value = await cli(["bench", "--workers", "0"]);
  assert.equal(value.code, 2);
  assert.match(oneLine(value), /--workers must be an integer >= 1, got "0"/);
  const source = await cli(["demo", "--source", "nope", "--json"]);
  assert.equal(source.code, 2);
  assert.match(oneLine(source), /--source must be one of auto, io_uring, aio/);
  assert.match(JSON.parse(source.stdout).error, /--source/);
});

Deno.test("cli: a missing file, and a directory where a file is expected, exit 1 naming the path", async () => {
  const missing = await cli(["demo", `${dir}/nope`]);
  assert.equal(missing.code, 1);
  assert.match(oneLine(missing), /nope: ENOENT \(no such file\)/);
  const notFile = await cli(["watch", `${dir}/tree`, "--duration", "1s"]);
  assert.equal(notFile.code, 1);
  assert.match(oneLine(notFile), /tree: watch needs a regular file/);
  const emptyDir = Deno.makeTempDirSync({ dir });
  const nothing = await cli(["demo", emptyDir]);
  assert.equal(nothing.code, 1);
  assert.match(oneLine(nothing), /no regular files/);
});

Deno.test("cli: missing Deno permissions are one-line causes naming the flag", async () => {
  const read = await cli(["demo", `${dir}/tree/a.bin`], [
    "--allow-ffi",
    `--allow-read=${ROOT}`,
  ]);
  assert.equal(read.code, 1);
  assert.match(oneLine(read), /a\.bin: EACCES .*--allow-read/);
  const ffi = await cli(["demo", `${dir}/tree/a.bin`], ["--allow-read"]);
  assert.equal(ffi.code, 1);
  assert.match(oneLine(ffi), /--allow-ffi/);
});

Deno.test("cli: demo checksums a directory tree; every CRC matches zlib's, through both sources", async () => {
  for (const source of ["aio", "io_uring"]) {
    const r = await cli([
      "demo",
      `${dir}/tree`,
      "--source",
      source,
      "--block",
      "16K",
      "-w",
      "4",
      "--json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.source, source);
    assert.equal(out.match, true);
    assert.deepEqual(
      out.files.map((f: { path: string; crc: string }) => [f.path, f.crc]),
      Object.entries(contents).sort(([a], [b]) => a < b ? -1 : 1).map((
        [p, c],
      ) => [p, crc32(c).toString(16).padStart(8, "0")]),
    );
  }
});

Deno.test("cli: bench reports completions/s through the pool for each source", async () => {
  const r = await cli(["bench", "--ops", "2000", "-w", "2", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  const cases = out.results.map((x: { source: string; op: string }) =>
    `${x.source}/${x.op}`
  );
  assert.deepEqual(cases, [
    "eventfd/write",
    "aio/read4k",
    "aio/poll",
    "io_uring/read4k",
    "io_uring/poll",
    "io_uring/nop",
  ]);
  for (const x of out.results) {
    assert.equal(x.ops, 2000);
    assert.ok(x.perSecond > 0);
    assert.equal(x.shares.length, 2);
  }
});

Deno.test("cli: watch prints one JSON sample per interval, then a summary", async () => {
  const r = await cli([
    "watch",
    `${dir}/tree/sub/b.bin`,
    "--duration",
    "1s",
    "--interval",
    "250ms",
    "--json",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  const summary = lines.pop();
  assert.ok(lines.length >= 2, `samples: ${lines.length}`);
  for (const s of lines) {
    for (
      const k of [
        "perSecond",
        "handled",
        "shares",
        "ready",
        "inFlight",
        "latency",
        "handler",
      ]
    ) assert.ok(k in s, k);
  }
  assert.ok(summary.summary.handled > 0);
  assert.equal(summary.summary.handled, lines.at(-1).handled);
});

// strace's fault injection makes the kernel answer as a locked-down or old
// one would: io_uring disabled, AIO limit reached, no io_uring read.
const strace = await new Deno.Command("strace", {
  args: ["-V"],
  stdout: "null",
  stderr: "null",
}).output()
  .then((o) => o.success, () => false);

function inject(syscall: string, error: string, when = ""): string[] {
  return [
    "strace",
    "-f",
    "-qq",
    "--seccomp-bpf",
    "-o",
    "/dev/null",
    "-e",
    `trace=${syscall}`,
    "-e",
    `inject=${syscall}:error=${error}${when ? `:when=${when}` : ""}`,
  ];
}

Deno.test({
  name:
    "cli: io_uring disabled (EPERM), missing (ENOSYS) or too old: clear causes; auto falls back to AIO",
  ignore: !strace,
  async fn() {
    const file = `${dir}/tree/a.bin`;
    const eperm = await cli(
      ["demo", file, "--source", "io_uring"],
      ["-A"],
      inject("io_uring_setup", "EPERM"),
    );
    assert.equal(eperm.code, 1);
    assert.match(oneLine(eperm), /io_uring is unavailable: .*EPERM/);
    const enosys = await cli(
      ["demo", file, "--source", "io_uring"],
      ["-A"],
      inject("io_uring_setup", "ENOSYS"),
    );
    assert.equal(enosys.code, 1);
    assert.match(oneLine(enosys), /this kernel has no io_uring/);
    // The probe is the second io_uring_register: without it, as before 5.6, there is no read.
    const old = await cli(
      ["demo", file, "--source", "io_uring"],
      ["-A"],
      inject("io_uring_register", "EINVAL", "2"),
    );
    assert.equal(old.code, 1);
    assert.match(
      oneLine(old),
      /does not support io_uring read \(needs Linux 5\.6/,
    );
    const auto = await cli(
      ["demo", file],
      ["-A"],
      inject("io_uring_setup", "EPERM"),
    );
    assert.equal(auto.code, 0, auto.stderr);
    assert.match(auto.stdout, /falling back to AIO/);
    assert.match(auto.stdout, /parallel .*aio/);
  },
});

Deno.test({
  name: "cli: AIO limit reached (io_setup EAGAIN) names fs.aio-max-nr",
  ignore: !strace,
  async fn() {
    const r = await cli(["demo", `${dir}/tree/a.bin`, "--source", "aio"], [
      "-A",
    ], inject("io_setup", "EAGAIN"));
    assert.equal(r.code, 1);
    assert.match(oneLine(r), /AIO limit reached: .*fs\.aio-max-nr/);
  },
});
