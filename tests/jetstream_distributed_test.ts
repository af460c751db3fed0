// Several "hosts" (processes), one JetStream work queue: 100k messages
// handled exactly once overall, counted by stream sequence; a host killed
// mid-run loses nothing (the other gets its unacked messages); a server
// restarted mid-run loses nothing.
import assert from "node:assert/strict";
import { WorkerPool } from "../mod.ts";
import { JetStreamSource } from "../jetstream/mod.ts";
import { deadline } from "./_deadline.ts";
import { Admin, pollUntil } from "./_jetstream.ts";
import { natsMissing, NatsServer } from "./_nats_server.ts";

const ignore = natsMissing !== undefined;
const CONSUMER = new URL("./fixtures/js_consumer.ts", import.meta.url);
const HANDLER = new URL("./fixtures/js_handler.ts", import.meta.url);

/** One consumer process: a pool of `workers` fed by a JetStreamSource. */
class Host {
  readonly #proc: Deno.ChildProcess;
  readonly #lines: string[] = [];
  readonly #done: Promise<void>;

  constructor(url: string, workers: number, record: string) {
    const proc = this.#proc = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        CONSUMER.pathname,
        url,
        "JOBS",
        "w",
        String(workers),
      ],
      env: { EFDPOOL_JS_RECORD: record },
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#done = (async () => {
      let buf = "";
      for await (
        const chunk of proc.stdout.pipeThrough(new TextDecoderStream())
      ) {
        buf += chunk;
        const parts = buf.split("\n");
        buf = parts.pop()!;
        this.#lines.push(...parts);
      }
    })();
  }

  get pid(): number {
    return this.#proc.pid;
  }

  ready(): Promise<void> {
    return pollUntil(
      () => this.#lines.includes("ready"),
      30_000,
      `host ${this.pid} ready`,
    );
  }

  /** SIGTERM: the host closes its source and pool and reports its stats. */
  async stop(): Promise<Record<string, number>> {
    this.#proc.kill("SIGTERM");
    await deadline(this.#proc.status, 20_000, `host ${this.pid} exit`);
    await this.#done;
    return JSON.parse(this.#lines.at(-1)!);
  }

  async kill(): Promise<void> {
    this.#proc.kill("SIGKILL");
    await deadline(this.#proc.status, 10_000, `host ${this.pid} killed`);
    await this.#done;
  }
}

/** How many times each sequence was recorded, by the files' owner pid. */
async function records(dir: string): Promise<Map<number, number[]>> {
  const byPid = new Map<number, number[]>();
  for await (const f of Deno.readDir(dir)) {
    const pid = Number(f.name.split("-")[0]);
    const bytes = await Deno.readFile(`${dir}/${f.name}`);
    const seqs = new Float64Array(
      bytes.buffer,
      0,
      Math.floor(bytes.length / 8),
    );
    const list = byPid.get(pid) ?? [];
    for (const s of seqs) list.push(s);
    byPid.set(pid, list);
  }
  return byPid;
}

function tally(
  n: number,
  lists: Iterable<number[]>,
): { lost: number; twice: number; counts: Uint8Array } {
  const counts = new Uint8Array(n + 1);
  for (const list of lists) for (const s of list) counts[s]++;
  let lost = 0, twice = 0;
  for (let s = 1; s <= n; s++) {
    if (counts[s] === 0) lost++;
    else if (counts[s] > 1) twice++;
  }
  return { lost, twice, counts };
}

async function setUp(ackWait: number) {
  const server = await NatsServer.start();
  const admin = await Admin.open(server.url);
  await admin.queue("JOBS", "w", { ack_wait: ackWait * 1e6 });
  const record = await Deno.makeTempDir({ prefix: "efdpool-js-record-" });
  return {
    server,
    admin,
    record,
    async [Symbol.asyncDispose]() {
      await admin.close();
      await server.stop();
      await Deno.remove(record, { recursive: true });
    },
  };
}

Deno.test({
  name:
    "jetstream: 100k messages, two pools in two processes, every one handled exactly once",
  ignore,
  async fn() {
    const N = 100_000;
    await using env = await setUp(20_000);
    const hosts = [
      new Host(env.server.url, 2, env.record),
      new Host(env.server.url, 2, env.record),
    ];
    await Promise.all(hosts.map((h) => h.ready()));
    await env.admin.publish("JOBS", N);
    await pollUntil(
      async () => await env.admin.outstanding("JOBS", "w") === 0,
      90_000,
      `${N} messages acked`,
    );
    const stats = await Promise.all(hosts.map((h) => h.stop()));
    const byPid = await records(env.record);
    const { lost, twice } = tally(N, byPid.values());
    assert.equal(lost, 0, "lost");
    assert.equal(twice, 0, "handled twice");
    assert.equal(stats[0].acked + stats[1].acked, N);
    assert.equal(stats[0].pulled + stats[1].pulled, N);
    for (const [i, s] of stats.entries()) {
      assert.ok(s.acked > 0, `host ${i} took a share`);
      assert.equal(s.redelivered, 0);
      assert.equal(
        byPid.get(hosts[i].pid)!.length,
        s.acked,
        "recorded = acked",
      );
    }
  },
});

Deno.test({
  name:
    "jetstream: a host killed mid-run loses nothing — the other gets its unacked messages",
  ignore,
  async fn() {
    const N = 10_000;
    await using env = await setUp(1000);
    const [victim, survivor] = [
      new Host(env.server.url, 2, env.record),
      new Host(env.server.url, 2, env.record),
    ];
    await Promise.all([victim.ready(), survivor.ready()]);
    // 1 ms a message keeps each host's pulled-but-unacked window full (about
    // 64 ms of work), so the kill always lands on messages the victim holds;
    // at 0.05 ms the window could be empty at that instant.
    await env.admin.publish(
      "JOBS",
      N,
      () => JSON.stringify({ op: "spin", ms: 1 }),
    );
    await pollUntil(
      async () =>
        ((await records(env.record)).get(victim.pid)?.length ?? 0) >= 500,
      30_000,
      "victim busy",
    );
    await victim.kill();
    await pollUntil(
      async () => await env.admin.outstanding("JOBS", "w") === 0,
      60_000,
      "all acked by the survivor",
    );
    const s = await survivor.stop();
    const byPid = await records(env.record);
    const { lost } = tally(N, byPid.values());
    assert.equal(lost, 0, "lost");
    assert.ok(
      s.redelivered > 0,
      "the victim's unacked messages came to the survivor",
    );
    // Only what the victim held can have been handled twice.
    const { twice } = tally(N, [byPid.get(survivor.pid)!]);
    assert.equal(twice, 0, "the survivor handled nothing twice");
  },
});

Deno.test({
  name:
    "jetstream: the server restarted mid-run (handlers still running) — reconnect, nothing lost",
  ignore,
  async fn() {
    const N = 10_000;
    await using env = await setUp(2000);
    await env.admin.publish(
      "JOBS",
      N,
      (i) => i % 500 ? String(i) : JSON.stringify({ op: "sleep", ms: 300 }),
    );
    await using pool = new WorkerPool({ workers: 2, handler: HANDLER });
    await using source = await JetStreamSource.connect({
      servers: env.server.url,
      stream: "JOBS",
      consumer: "w",
      reconnectWait: 100,
    });
    const counts = new Uint8Array(N + 1);
    await pool.attach(source, {
      onResult: (_, m) => counts[m.seq]++,
      onError: (e) => console.error(e.message),
    });
    await pollUntil(() => source.stats().acked >= 3000, 30_000, "3000 acked");
    await env.server.halt(true);
    await new Promise((r) => setTimeout(r, 300));
    await env.server.resume();
    await pollUntil(
      async () => await env.admin.outstanding("JOBS", "w") === 0,
      60_000,
      "all acked after the restart",
    );
    const { lost } = tally(N, [
      [...counts.keys()].filter((s) => s > 0 && counts[s] > 0),
    ]);
    assert.equal(lost, 0, "lost");
    assert.ok(source.stats().reconnects >= 1, "reconnected");
  },
});
