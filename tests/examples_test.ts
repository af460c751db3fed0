/**
 * Runs every example as a user would — `deno run` with exactly the flags
 * its header states, from the repository root — and checks the counts on
 * its final line: every unit produced was consumed once.
 *
 * @module
 */

import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const DENO_DIR = Deno.execPath().replace(/\/[^/]*$/, "");
/** A hang guard, not a timing check. */
const KILL_AFTER_MS = 30_000;

/** The flags from the example's header line `deno run FLAGS examples/NAME.ts ARGS`. */
async function headerFlags(name: string, args: string[]): Promise<string[]> {
  const src = await Deno.readTextFile(new URL(`examples/${name}`, ROOT));
  const lines = src.split("\n").filter((l) =>
    l.includes(`examples/${name}`) && /\bdeno run /.test(l)
  );
  // Several commands may be stated (seed_demo.ts has two): the one whose
  // arguments start like ours, optional ones in [brackets] included.
  const want = args[0] ?? "";
  for (const line of lines) {
    const m = line.match(
      new RegExp(`deno run ((?:--\\S+ )*)examples/${name}(.*)$`),
    );
    if (m && m[2].replace(/[[\]]/g, "").trim().startsWith(want)) {
      return m[1].trim().split(/\s+/);
    }
  }
  throw new Error(
    `examples/${name} states no "deno run … examples/${name} ${want}" command`,
  );
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** The key=value fields of the final line, with `kind` "done" or "skipped". */
  last: Record<string, string> & { kind: string };
}

function parse(code: number, stdout: string, stderr: string): Run {
  const lines = stdout.trimEnd().split("\n");
  const final = lines.at(-1) ?? "";
  const [kind, ...rest] = final.split(/:\s*/);
  const last: Run["last"] = { kind };
  if (kind === "done") {
    for (const kv of rest.join(":").split(/\s+/)) {
      const [k, v] = kv.split("=");
      last[k] = v;
    }
  }
  return { code, stdout, stderr, last };
}

async function run(name: string, args: string[] = []): Promise<Run> {
  const flags = await headerFlags(name, args);
  const guard = AbortSignal.timeout(KILL_AFTER_MS);
  const out = await new Deno.Command(Deno.execPath(), {
    ...commandOptions(flags, name, args),
    signal: guard,
  }).output();
  const dec = new TextDecoder();
  return parse(out.code, dec.decode(out.stdout), dec.decode(out.stderr));
}

function commandOptions(
  flags: string[],
  name: string,
  args: string[],
): Deno.CommandOptions {
  return {
    args: ["run", "--no-prompt", ...flags, `examples/${name}`, ...args],
    cwd: ROOT,
    // `--allow-run=deno` resolves "deno" through PATH.
    env: { NO_COLOR: "1", PATH: `${DENO_DIR}:${Deno.env.get("PATH") ?? ""}` },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  };
}

/** Asserts the example exited 0 and delivered `produced` units exactly once. */
function assertExactlyOnce(r: Run, produced?: number): Record<string, string> {
  const why = `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
  assert.equal(r.code, 0, `exit code ${r.code}\n${why}`);
  assert.equal(r.last.kind, "done", `no final done: line\n${why}`);
  const { produced: p, consumed, duplicates, lost } = r.last;
  if (produced !== undefined) assert.equal(Number(p), produced, why);
  assert.ok(Number(p) > 0, why);
  assert.equal(consumed, p, why);
  assert.equal(duplicates, "0", why);
  assert.equal(lost, "0", why);
  return r.last;
}

Deno.test("seed_demo --twin: a second process signals our eventfd by pid and fd", async () => {
  const r = await run("seed_demo.ts", ["--twin"]);
  assertExactlyOnce(r, 3);
  const m = r.stdout.match(/^efd=(\d+) pid=(\d+)$/m);
  assert.ok(m, `no parseable "efd=FD pid=PID" line:\n${r.stdout}`);
  assert.match(
    r.stdout,
    new RegExp(`^signalled pid=${m[2]} efd=${m[1]} units=3$`, "m"),
  );
  assert.match(r.stdout, /read value=3$/m);
});

Deno.test("seed_twin names the cause when the pid does not exist", async () => {
  const flags = await headerFlags("seed_twin.ts", ["--pid"]);
  // Above any pid_max, so no process can have it.
  const out = await new Deno.Command(
    Deno.execPath(),
    commandOptions(flags, "seed_twin.ts", ["--pid=4194305", "--efd=3"]),
  ).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 1, stderr);
  assert.match(stderr, /ESRCH: no process has pid 4194305/);
});

Deno.test("single_producer: one eventfd, many consumers", async () => {
  const r = await run("single_producer.ts");
  assertExactlyOnce(r, 20000);
  assert.equal(r.stdout.match(/^worker \d+: \d+ units/gm)?.length, 4);
});

Deno.test("many_producers: threads and processes feed one pool", async () => {
  const r = await run("many_producers.ts");
  const f = assertExactlyOnce(r, 25000);
  assert.equal(f.producers, "5");
  assert.equal(
    r.stdout.match(/^process producer \d+: 5000 units$/gm)?.length,
    2,
  );
});

Deno.test("bounded_buffer: producers block when the ring is full, never overfill it", async () => {
  const r = await run("bounded_buffer.ts");
  const f = assertExactlyOnce(r, 2000);
  assert.ok(Number(f.high_water) <= Number(f.capacity), r.stdout);
  // 2000 items through 8 slots to slower consumers: the producers must wait.
  assert.ok(Number(f.producer_waits) > 0, r.stdout);
});

Deno.test("pipeline: three pools chained by bounded rings", async () => {
  const r = await run("pipeline.ts");
  const f = assertExactlyOnce(r, 1000);
  assert.equal(f.stages, "3");
  for (const h of f.high_water.split(",")) {
    assert.ok(Number(h) <= Number(f.capacity), r.stdout);
  }
  assert.ok(Number(f.producer_waits) > 0, r.stdout);
});

Deno.test("kernel_module: runs with the module, else skips saying why", async () => {
  const r = await run("kernel_module.ts");
  if (r.last.kind === "skipped") {
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /efd_notify/);
    return;
  }
  const f = assertExactlyOnce(r);
  assert.equal(Number(f.produced), Number(f.burst) + 4 * Number(f.ticks));
});

for (const backend of ["io_uring", "aio"]) {
  Deno.test(`io_completions --backend ${backend}: every block checksummed once`, async () => {
    const r = await run("io_completions.ts", ["--backend", backend]);
    const f = assertExactlyOnce(r);
    assert.equal(f.mismatched, "0", r.stdout);
    // io_uring may be disabled on a host; the example then says so and uses AIO.
    if (f.backend !== backend) {
      assert.match(r.stdout, /using Linux AIO instead/);
    }
  });
}

Deno.test("graceful_shutdown: SIGINT drains every unit; faults are contained", async () => {
  const flags = await headerFlags("graceful_shutdown.ts", []);
  const child = new Deno.Command(Deno.execPath(), {
    ...commandOptions(flags, "graceful_shutdown.ts", []),
    signal: AbortSignal.timeout(KILL_AFTER_MS),
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let stdout = "";
  const dec = new TextDecoder();
  const reader = child.stdout.getReader();
  let signalled = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    stdout += dec.decode(value, { stream: true });
    if (!signalled && /^ready: /m.test(stdout)) {
      child.kill("SIGINT");
      signalled = true;
    }
  }
  const { code } = await child.status;
  const r = parse(code, stdout, await stderr);
  assert.ok(signalled, `never printed a ready line:\n${stdout}`);
  const f = assertExactlyOnce(r);
  assert.match(stdout, /^SIGINT: stopped producing/m);
  assert.equal(f.crashed, "1", stdout);
  assert.equal(f.redelivered, "1", stdout);
  // Every 50th unit throws, and more than 300 units were handled.
  assert.ok(Number(f.failed) >= 5, stdout);
});
