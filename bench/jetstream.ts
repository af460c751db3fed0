/**
 * JetStream → pool throughput (issue 11): messages/s with a CPU-bound
 * handler through `JetStreamSource` into a pool at W = 1, 2, 4, against
 * plain single-threaded nats.js consumer loops (handle inline, ack) in the
 * same run: the client's `consume()` (pipelined pulls, the idiomatic loop)
 * and a `fetch()` batch loop; ratios are against the faster of the two.
 * Then the same at a trivial handler, whose difference is the bridge's
 * overhead per message. Starts its own nats-server on
 * 127.0.0.1 (the Debian package). Cases alternate over `--rounds` rounds,
 * and each case's best round is reported: the machine may be shared.
 *
 * ```sh
 * deno run --allow-all bench/jetstream.ts
 * deno run --allow-all bench/jetstream.ts --messages 4000 --spin-us 500 --workers 1,2 --rounds 3 --json
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { WorkerPool } from "../mod.ts";
import { JetStreamSource } from "../jetstream/mod.ts";
import { jetstream } from "npm:@nats-io/jetstream@3.4.0";
import { Admin, pollUntil } from "../tests/_jetstream.ts";
import { NatsServer } from "../tests/_nats_server.ts";
import { calibrate, work } from "./jetstream_handler.ts";

const HELP = `Usage: deno run --allow-all bench/jetstream.ts [options]
  --messages N          messages per CPU-bound run (default 6000)
  --spin-us N           CPU-bound handler cost in µs: rounds of fixed work,
                        calibrated on this machine at start (default 300)
  --trivial-messages N  messages per trivial-handler run (default 30000)
  --workers LIST        pool sizes (default 1,2,4)
  --rounds N            rounds; each case's best is kept (default 2)
  --max-in-flight N     the source's maxInFlight (default: its own default)
  --json                print JSON instead of the table`;

const { values: a } = parseArgs({
  options: {
    messages: { type: "string", default: "6000" },
    "spin-us": { type: "string", default: "300" },
    "trivial-messages": { type: "string", default: "30000" },
    workers: { type: "string", default: "1,2,4" },
    rounds: { type: "string", default: "2" },
    "max-in-flight": { type: "string" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (a.help) {
  console.log(HELP);
  Deno.exit(0);
}
const num = (name: string, v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    console.error(
      `--${name} must be a positive integer, got ${
        JSON.stringify(v)
      }\n\n${HELP}`,
    );
    Deno.exit(2);
  }
  return n;
};
const MESSAGES = num("messages", a.messages);
const SPIN = Number(a["spin-us"]);
// The handler's cost as work, not time: see bench/jetstream_handler.ts.
const WORK = calibrate(SPIN);
const TRIVIAL = num("trivial-messages", a["trivial-messages"]);
const WORKERS = a.workers.split(",").map((w) => num("workers", w));
const ROUNDS = num("rounds", a.rounds);
const MAX_IN_FLIGHT = a["max-in-flight"] === undefined
  ? undefined
  : num("max-in-flight", a["max-in-flight"]);
const HANDLER = new URL("./jetstream_handler.ts", import.meta.url);

await using server = await NatsServer.start();
await using admin = await Admin.open(server.url);
let streams = 0;

/** A fresh work-queue stream with `n` messages whose payload is the rounds of work. */
async function fill(n: number, rounds: number): Promise<string> {
  const name = `B${++streams}`;
  await admin.queue(name, "w");
  await admin.publish(name, n, () => String(rounds));
  return name;
}

/**
 * A baseline: one thread, the client's own loop, handler inline — with
 * `consume()`, which keeps pull requests going ahead of the handler, or one
 * `fetch()` batch of 256 after another.
 */
async function raw(
  n: number,
  rounds: number,
  loop: "consume" | "fetch",
): Promise<number> {
  const stream = await fill(n, rounds);
  const consumer = await jetstream(admin.nc).consumers.get(stream, "w");
  const t0 = performance.now();
  let done = 0;
  if (loop === "consume") {
    const messages = await consumer.consume({ max_messages: 256 });
    for await (const m of messages) {
      work(Number(m.string()));
      m.ack();
      if (++done === n) break;
    }
    await messages.close();
  } else {
    while (done < n) {
      const iter = await consumer.fetch({ max_messages: 256, expires: 1000 });
      for await (const m of iter) {
        work(Number(m.string()));
        m.ack();
        done++;
      }
    }
  }
  const s = (performance.now() - t0) / 1000;
  await admin.jsm.streams.delete(stream);
  return n / s;
}

/** Through the bridge: JetStreamSource → pool of `w` workers. */
async function bridged(
  n: number,
  rounds: number,
  w: number,
): Promise<number> {
  const stream = await fill(n, rounds);
  await using pool = new WorkerPool({ workers: w, handler: HANDLER });
  await pool.started();
  await using source = await JetStreamSource.connect({
    servers: server.url,
    stream,
    consumer: "w",
  });
  const t0 = performance.now();
  await pool.attach(source, { maxInFlight: MAX_IN_FLIGHT });
  await pollUntil(() => source.stats().acked >= n, 300_000, `${n} acked`);
  const s = (performance.now() - t0) / 1000;
  await source.close();
  await admin.jsm.streams.delete(stream);
  return n / s;
}

interface Case {
  name: string;
  run: () => Promise<number>;
  best: number;
  all: number[];
}
const cases: Case[] = [];
const add = (name: string, run: () => Promise<number>) =>
  cases.push({ name, run, best: 0, all: [] });
for (const loop of ["consume", "fetch"] as const) {
  add(
    `raw nats.js ${loop}() loop, ${SPIN} µs handler`,
    () => raw(MESSAGES, WORK, loop),
  );
}
for (const w of WORKERS) {
  add(
    `JetStreamSource → pool W=${w}, ${SPIN} µs handler`,
    () => bridged(MESSAGES, WORK, w),
  );
}
for (const loop of ["consume", "fetch"] as const) {
  add(
    `raw nats.js ${loop}() loop, trivial handler`,
    () => raw(TRIVIAL, 0, loop),
  );
}
for (const w of WORKERS.slice(0, 2)) {
  add(
    `JetStreamSource → pool W=${w}, trivial handler`,
    () => bridged(TRIVIAL, 0, w),
  );
}

for (let r = 0; r < ROUNDS; r++) {
  for (const c of cases) {
    const rate = await c.run();
    c.all.push(rate);
    c.best = Math.max(c.best, rate);
  }
}

/** The faster raw loop's best, at a trivial handler or at the CPU-bound one. */
const baseline = (trivial: boolean) =>
  Math.max(
    ...cases.filter((c) =>
      c.name.startsWith("raw ") &&
      c.name.endsWith("trivial handler") === trivial
    ).map((c) => c.best),
  );
const rows = cases.map((c) => {
  const trivial = c.name.endsWith("trivial handler");
  const ref = baseline(trivial);
  return {
    case: c.name,
    msgsPerSec: Math.round(c.best),
    rounds: c.all.map(Math.round),
    vsRaw: +(c.best / ref).toFixed(2),
    // Per-message cost over the raw loop, at a trivial handler: the bridge's overhead.
    overheadUs: trivial && !c.name.startsWith("raw ")
      ? +((1e6 / c.best) - (1e6 / ref)).toFixed(1)
      : undefined,
  };
});
const load = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3)
  .join(" ");
const conditions = {
  cores: navigator.hardwareConcurrency,
  loadavg: load,
  messages: MESSAGES,
  trivialMessages: TRIVIAL,
  spinUs: SPIN,
  workRounds: WORK,
  rounds: ROUNDS,
  maxInFlight: MAX_IN_FLIGHT ?? "default",
  deno: Deno.version.deno,
};
if (a.json) console.log(JSON.stringify({ conditions, rows }, null, 2));
else {
  console.log(`conditions: ${JSON.stringify(conditions)}`);
  for (const r of rows) {
    console.log(
      `${r.case.padEnd(48)} ${String(r.msgsPerSec).padStart(7)} msg/s  ×${
        r.vsRaw.toFixed(2)
      } vs best raw` +
        (r.overheadUs !== undefined
          ? `  overhead ${r.overheadUs} µs/msg`
          : "") +
        `  (rounds: ${r.rounds.join(", ")})`,
    );
  }
}
