import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import { ensurePackages } from "./_packages.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const CLI = `${ROOT}cli.ts`;
const decoder = new TextDecoder();

// The CLI's task allows running gzip, pigz and gunzip; Deno adds a line of
// its own on stderr for each it cannot find, so have them as CI does.
await ensurePackages("pigz", "gzip");

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

/** `deno task cli`'s permissions, as deno.json defines them. */
const TASK_PERMS: string[] = JSON.parse(
  Deno.readTextFileSync(`${ROOT}deno.json`),
).tasks.cli.split(/\s+/).filter((a: string) => a.startsWith("--allow"));

Deno.test("cli: --help on every command, usage without one", async () => {
  for (const cmd of ["demo", "crc32", "bench", "watch"]) {
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

// Every usage error: exit 2 and one line of our own words, prefixed once.
const USAGE_ERRORS: [string[], RegExp][] = [
  [["frobnicate"], /^efdpool: unknown command "frobnicate" \(commands: /],
  [
    ["demo", "--bogus"],
    /^efdpool demo: unknown option --bogus; see efdpool demo --help$/,
  ],
  [
    ["demo", "-x"],
    /^efdpool demo: unknown option -x; see efdpool demo --help$/,
  ],
  [
    ["demo", "-w", "-3"],
    /^efdpool demo: --workers must be an integer from 1 to 256, got "-3"$/,
  ],
  [
    ["demo", "--workers"],
    /^efdpool demo: --workers needs a value \(N\); see efdpool demo --help$/,
  ],
  [["demo", "--json=yes"], /^efdpool demo: --json takes no value, got "yes"$/],
  [
    ["demo", "--depth", "0"],
    /^efdpool demo: --depth must be an integer from 1 to 1024, got "0"$/,
  ],
  [
    ["demo", "--depth", "99999"],
    /--depth must be an integer from 1 to 1024, got "99999"$/,
  ],
  [
    ["demo", "--level", "10"],
    /^efdpool demo: --level must be an integer from 1 to 9, got "10"$/,
  ],
  [
    ["demo", "--block", "1K"],
    /^efdpool demo: --block must be a size from 32K to 16M \(like 256K, 64M\), got "1K"$/,
  ],
  [
    ["demo", "--size", "lots"],
    /--size must be a size from 1 to 4G .*got "lots"$/,
  ],
  [["demo", "--runs", "0"], /--runs must be an integer from 1 to 99, got "0"$/],
  [
    ["demo", "--depth", "1024", "--block", "16M"],
    /^efdpool demo: --depth × --block is too much memory: 1024 × 16384 KiB blocks need 49152 MiB of buffers; keep it within 1 GiB$/,
  ],
  [["demo", "a", "b"], /^efdpool demo: takes at most 1 PATH, got extra "b"$/],
  [
    ["demo", "--source", "nope"],
    /^efdpool demo: --source must be one of auto, io_uring, aio, efd_notify, got "nope"$/,
  ],
  [
    ["crc32"],
    /^efdpool crc32: needs at least one PATH \(a file or a directory\)$/,
  ],
  [
    ["crc32", "/etc", "--depth", "2000"],
    /--depth must be an integer from 1 to 1024/,
  ],
  [
    ["crc32", "/etc", "--block", "5000"],
    /--block must be a multiple of 4K, got 5000$/,
  ],
  [["bench", "extra"], /^efdpool bench: takes no arguments, got "extra"$/],
  [
    ["bench", "--workers", "0"],
    /--workers must be an integer from 1 to 256, got "0"$/,
  ],
  [
    ["watch"],
    /^efdpool watch: needs the PID of a process to watch, or --synthetic$/,
  ],
  [
    ["watch", "abc"],
    /^efdpool watch: PID must be a process id \(a positive integer\), got "abc"$/,
  ],
  [
    ["watch", "12", "34"],
    /^efdpool watch: takes at most 1 PID, got extra "34"$/,
  ],
  [
    ["watch", "12", "--workers", "2"],
    /^efdpool watch: --workers goes with --synthetic/,
  ],
  [
    ["watch", "--synthetic", "-d", "soon"],
    /--duration must be a duration like 500ms, 10s or 2m, got "soon"$/,
  ],
];

Deno.test("cli: every usage error exits 2 with one line in our own words", async () => {
  const runs = await Promise.all(USAGE_ERRORS.map(([args]) => cli(args)));
  runs.forEach((r, i) => {
    const [args, want] = USAGE_ERRORS[i];
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(oneLine(r), want, args.join(" "));
  });
  const json = await cli(["demo", "--source", "nope", "--json"]);
  assert.equal(json.code, 2);
  assert.match(JSON.parse(json.stdout).error, /--source/);
});

Deno.test("cli: a missing file, a directory for the demo, an empty tree: exit 1 naming the path", async () => {
  const missing = await cli(["demo", `${dir}/nope`]);
  assert.equal(missing.code, 1);
  assert.match(oneLine(missing), /nope: ENOENT \(no such file\)/);
  const tree = await cli(["demo", `${dir}/tree`]);
  assert.equal(tree.code, 1);
  assert.match(oneLine(tree), /tree: not a regular file/);
  const notFile = await cli(["watch", "--synthetic", `${dir}/tree`]);
  assert.equal(notFile.code, 1);
  assert.match(
    oneLine(notFile),
    /tree: watch --synthetic needs a regular file/,
  );
  const emptyDir = Deno.makeTempDirSync({ dir });
  const nothing = await cli(["crc32", emptyDir]);
  assert.equal(nothing.code, 1);
  assert.match(oneLine(nothing), /no regular files/);
});

Deno.test("cli: missing Deno permissions are one-line causes naming the flag really missing", async () => {
  const read = await cli(["crc32", `${dir}/tree/a.bin`], [
    "--allow-ffi",
    `--allow-read=${ROOT}`,
  ]);
  assert.equal(read.code, 1);
  assert.match(
    oneLine(read),
    /a\.bin: Deno has no read permission for it; run with --allow-read=/,
  );
  const ffi = await cli(["crc32", `${dir}/tree/a.bin`], ["--allow-read"]);
  assert.equal(ffi.code, 1);
  assert.match(oneLine(ffi), /--allow-ffi/);
  // --allow-read does not reach /proc or /dev: Deno wants --allow-all there.
  const shm = `/dev/shm/efdpool-cli-${Deno.pid}`;
  Deno.writeFileSync(shm, new Uint8Array(10));
  try {
    for (const args of [["demo", "/proc/cpuinfo"], ["crc32", shm]]) {
      const r = await cli(args, TASK_PERMS);
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        oneLine(r),
        /: Deno guards paths under \/proc, \/dev and \/sys behind --allow-all \(-A\)/,
      );
    }
  } finally {
    Deno.removeSync(shm);
  }
});

Deno.test("cli: crc32 of a directory tree; every CRC matches zlib's, through both sources", async () => {
  for (const source of ["aio", "io_uring"]) {
    const r = await cli([
      "crc32",
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
    assert.deepEqual(
      out.files.map((f: { path: string; crc: string }) => [f.path, f.crc]),
      Object.entries(contents).sort(([a], [b]) => a < b ? -1 : 1).map((
        [p, c],
      ) => [p, crc32(c).toString(16).padStart(8, "0")]),
    );
  }
  const text = await cli(["crc32", `${dir}/tree/a.bin`, `${dir}/tree/empty`]);
  assert.equal(text.code, 0, text.stderr);
  assert.equal(
    text.stdout,
    `${
      crc32(contents[`${dir}/tree/a.bin`]).toString(16).padStart(8, "0")
    }         65536  ${dir}/tree/a.bin\n` +
      `00000000             0  ${dir}/tree/empty\n`,
  );
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

Deno.test("cli: watch --synthetic, piped: one JSON line per interval, then the summary, no extra frame", async () => {
  const r = await cli([
    "watch",
    "--synthetic",
    `${dir}/tree/sub/b.bin`,
    "-w",
    "2",
    "--duration",
    "1s",
    "--interval",
    "250ms",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  const summary = lines.pop();
  assert.ok(lines.length >= 2 && lines.length <= 4, `samples: ${lines.length}`);
  for (const s of lines) {
    for (
      const k of [
        "perSecond",
        "units",
        "shares",
        "utilization",
        "queued",
        "running",
        "sourceBacklog",
        "wait",
        "run",
        "restarts",
        "redelivered",
      ]
    ) assert.ok(k in s, k);
    assert.equal(s.shares.length, 2);
  }
  assert.ok(summary.summary.units > 0, JSON.stringify(summary));
  assert.match(summary.summary.watched, /^synthetic: /);
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
      ["crc32", file, "--source", "io_uring"],
      ["-A"],
      inject("io_uring_setup", "EPERM"),
    );
    assert.equal(eperm.code, 1);
    assert.match(oneLine(eperm), /io_uring is unavailable: .*EPERM/);
    const enosys = await cli(
      ["crc32", file, "--source", "io_uring"],
      ["-A"],
      inject("io_uring_setup", "ENOSYS"),
    );
    assert.equal(enosys.code, 1);
    assert.match(oneLine(enosys), /this kernel has no io_uring/);
    // The probe is the second io_uring_register: without it, as before 5.6, there is no read.
    const old = await cli(
      ["crc32", file, "--source", "io_uring"],
      ["-A"],
      inject("io_uring_register", "EINVAL", "2"),
    );
    assert.equal(old.code, 1);
    assert.match(
      oneLine(old),
      /does not support io_uring read \(needs Linux 5\.6/,
    );
    const auto = await cli(
      ["crc32", file, "--json"],
      ["-A"],
      inject("io_uring_setup", "EPERM"),
    );
    assert.equal(auto.code, 0, auto.stderr);
    assert.equal(JSON.parse(auto.stdout).source, "aio");
  },
});

Deno.test({
  name: "cli: AIO limit reached (io_setup EAGAIN) names fs.aio-max-nr",
  ignore: !strace,
  async fn() {
    const r = await cli(["crc32", `${dir}/tree/a.bin`, "--source", "aio"], [
      "-A",
    ], inject("io_setup", "EAGAIN"));
    assert.equal(r.code, 1);
    assert.match(oneLine(r), /AIO limit reached: .*fs\.aio-max-nr/);
  },
});
