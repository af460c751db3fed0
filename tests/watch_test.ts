/**
 * `efdpool watch PID` against a real pool in another process (started with
 * a stats endpoint): samples while it runs, the end when it exits, Ctrl-C's
 * summary, and a clear error when there is nothing to watch.
 */

import assert from "node:assert/strict";
import {
  serveStats,
  StatsServeError,
  statsSocketPath,
  WorkerPool,
} from "../mod.ts";
import { deadline } from "./_deadline.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const decoder = new TextDecoder();

interface Child {
  proc: Deno.ChildProcess;
  pid: number;
  socket: string;
  stdin: WritableStreamDefaultWriter<Uint8Array>;
  rest: Promise<string>;
}

async function startPool(): Promise<Child> {
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}tests/fixtures/stats_pool.ts`],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = proc.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await deadline(
      reader.read(),
      20_000,
      "the pool's ready line",
    );
    if (done) throw new Error(`the pool exited early: ${text}`);
    text += value;
  }
  const [, pid, socket] = /^ready (\d+) (\S+)/.exec(text)!;
  const rest = (async () => {
    let out = text;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return out;
      out += value;
    }
  })();
  return {
    proc,
    pid: Number(pid),
    socket,
    stdin: proc.stdin.getWriter(),
    rest,
  };
}

/** `deno task cli`'s permissions, as deno.json defines them. */
const TASK_PERMS: string[] = JSON.parse(
  Deno.readTextFileSync(`${ROOT}deno.json`),
).tasks.cli.split(/\s+/).filter((a: string) => a.startsWith("--allow"));

/** `deno task cli watch …`, with the task's permissions. */
function watch(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...TASK_PERMS, `${ROOT}cli.ts`, "watch", ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Starts `watch PID` and waits for its first sample. */
async function watching(pid: number) {
  const proc = watch([String(pid), "--interval", "100ms"]);
  const reader = proc.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const first = await deadline(reader.read(), 20_000, "a first sample");
  assert.match(first.value ?? "", /"perSecond"/);
  const rest = async () => {
    let text = first.value!;
    for (;;) {
      const { value, done } = await deadline(
        reader.read(),
        20_000,
        "watch's end",
      );
      if (done) return text;
      text += value;
    }
  };
  return { proc, rest };
}

async function finish(p: Deno.ChildProcess, what: string) {
  const out = await deadline(p.output(), 20_000, what);
  return {
    code: out.code,
    lines: decoder.decode(out.stdout).trim().split("\n").map((l) =>
      JSON.parse(l)
    ),
    stderr: decoder.decode(out.stderr),
  };
}

Deno.test("watch PID: samples a pool in another process; ends with it; Ctrl-C prints the summary", async () => {
  const child = await startPool();
  try {
    assert.equal(child.socket, statsSocketPath(child.pid));
    // Piped: one JSON line per interval, then the summary.
    const timed = await finish(
      watch([String(child.pid), "--duration", "1s", "--interval", "200ms"]),
      "watch --duration 1s",
    );
    assert.equal(timed.code, 0, timed.stderr);
    const summary = timed.lines.pop();
    assert.ok(timed.lines.length >= 3, `samples: ${timed.lines.length}`);
    for (const s of timed.lines) {
      assert.equal(s.shares.length, 2);
      assert.equal(s.utilization.length, 2);
      assert.ok(s.units > 0 && s.restarts === 0 && s.redelivered === 0);
    }
    assert.ok(timed.lines.some((s) => s.perSecond > 0), "units/s seen");
    assert.equal(summary.summary.watched, `pid ${child.pid}`);
    assert.ok(summary.summary.units > 0);

    // Ctrl-C: the summary still comes, exit 0.
    const interrupted = await watching(child.pid);
    interrupted.proc.kill("SIGINT");
    const summed = await interrupted.rest();
    assert.equal((await interrupted.proc.status).code, 0);
    assert.ok(JSON.parse(summed.trim().split("\n").at(-1)!).summary);

    // The watched process ends: watch says so and sums up.
    const open = await watching(child.pid);
    await child.stdin.close();
    const last = JSON.parse((await open.rest()).trim().split("\n").at(-1)!);
    assert.equal((await open.proc.status).code, 0);
    assert.match(last.summary.ended, new RegExp(`process ${child.pid} ended`));
    assert.match(await child.rest, /bye/);
    assert.equal((await child.proc.status).code, 0);
    assert.throws(() => Deno.statSync(child.socket), Deno.errors.NotFound);
  } finally {
    try {
      child.proc.kill();
    } catch { /* exited */ }
    await child.proc.status;
  }
});

Deno.test("watch PID: nothing to watch is one line, exit 1", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...TASK_PERMS, `${ROOT}cli.ts`, "watch", "2147483646"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = decoder.decode(out.stderr).trimEnd();
  assert.equal(out.code, 1);
  assert.equal(err.split("\n").length, 1, err);
  assert.match(err, /no pool stats for process 2147483646 .*EFDPOOL_STATS=1/);
});

Deno.test("serveStats: a snapshot per connection; a second endpoint on the path is refused; close removes the socket", async () => {
  await using pool = new WorkerPool({ workers: 1, name: "served" });
  const path = `/tmp/efdpool-stats-test-${Deno.pid}.sock`;
  const server = serveStats(pool, { path, name: "served" });
  try {
    assert.throws(() => serveStats(pool, { path }), StatsServeError);
    for (let i = 0; i < 2; i++) {
      const conn = await Deno.connect({ transport: "unix", path });
      const snap = JSON.parse(
        await deadline(new Response(conn.readable).text(), 5_000, "a snapshot"),
      );
      assert.equal(snap.pid, Deno.pid);
      assert.equal(snap.name, "served");
      assert.equal(snap.stats.workers.length, 1);
    }
  } finally {
    await server.close();
  }
  assert.throws(() => Deno.statSync(path), Deno.errors.NotFound);
});
