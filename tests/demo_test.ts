import assert from "node:assert/strict";
import { crc32 } from "node:zlib";

const ROOT = new URL("..", import.meta.url).pathname;
const decoder = new TextDecoder();

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

async function run(
  argv: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

Deno.test("demo: with its task's permissions and no PATH, checksums a generated file; both runs and zlib agree", async () => {
  const r = await run(demoCommand(["--size", "8M"]));
  assert.equal(r.code, 0, r.stderr);
  const path = /using a generated 8\.0 MiB file: (\S+)/.exec(r.stdout)?.[1];
  assert.ok(path, r.stdout);
  const want = crc32(Deno.readFileSync(path)).toString(16).padStart(8, "0");
  assert.match(
    r.stdout,
    /kernel module: (not loaded|efd_notify found)/,
    "says whether the module is there",
  );
  assert.match(
    r.stdout,
    new RegExp(
      `parallel +\\(\\d+ workers, (io_uring|aio)\\): crc32 ${want}  in +\\d+ ms`,
    ),
  );
  assert.match(
    r.stdout,
    new RegExp(
      `sequential \\(1 thread, read\\(\\)\\): +crc32 ${want}  in +\\d+ ms`,
    ),
  );
  assert.match(r.stdout, /match: yes/);
});

Deno.test("demo --json: parallel, sequential and zlib CRCs equal, with timings and per-worker blocks", async () => {
  const r = await run(
    demoCommand(["--size", "4M", "--block", "64K", "-w", "4", "--json"]),
  );
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  const [f] = out.files;
  assert.equal(f.crc, f.sequentialCrc);
  assert.equal(
    f.crc,
    crc32(Deno.readFileSync(f.path)).toString(16).padStart(8, "0"),
  );
  assert.equal(out.match, true);
  assert.equal(
    out.parallel.perWorker.reduce((a: number, b: number) => a + b, 0),
    64,
  );
  assert.ok(out.parallel.ms > 0 && out.sequential.ms > 0);
});

Deno.test("demo --direct: O_DIRECT on ext4/tmpfs, a stated buffered fallback where the filesystem lacks it", async () => {
  const ok = await run(demoCommand(["--size", "4M", "--direct"]));
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /reads: O_DIRECT \(page cache bypassed\)/);
  // ramfs has no O_DIRECT; mount one in a private mount namespace (root only).
  const mnt = Deno.makeTempDirSync({ prefix: "efdpool-ramfs-" });
  const inner = [...demoCommand([`${mnt}/f.bin`, "--direct"])].map((a) =>
    `'${a}'`
  ).join(" ");
  const script =
    `mount -t ramfs none ${mnt} && head -c 3000000 /dev/urandom > ${mnt}/f.bin && ${inner}`;
  const r = await run(["unshare", "-m", "sh", "-c", script]);
  if (/unshare|mount/.test(r.stderr) && r.code !== 0) {
    console.log(
      `  skipped the ramfs half (needs root and mount namespaces): ${r.stderr.trim()}`,
    );
    return;
  }
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /reads: buffered \(its filesystem does not support O_DIRECT; using buffered reads\)/,
  );
  assert.match(r.stdout, /match: yes/);
});
