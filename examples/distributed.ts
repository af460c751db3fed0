/**
 * Pattern 9, beyond one host: pools on several machines share one NATS
 * JetStream work queue. Each host runs this program against the same
 * stream and durable pull consumer; the server hands every job to one host,
 * whose pool runs it on one worker; the host acks it after the handler
 * returns. A host that dies leaves its jobs unacked, and the server gives
 * them to the others after `ack_wait`.
 *
 *   deno run --allow-ffi --allow-read=. --allow-net examples/distributed.ts --setup --publish 2000 --until-empty
 *
 * On more hosts, without `--setup --publish`: `--servers nats://a:4222,nats://b:4222`.
 * Runs until Ctrl-C (or, with `--until-empty`, until the consumer has nothing
 * left), then ends with `done: produced=P consumed=C duplicates=D lost=L`
 * for the jobs this host published and handled (lost counts only when it
 * published them and ran alone).
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  AckPolicy,
  jetstreamManager,
  RetentionPolicy,
} from "npm:@nats-io/jetstream@3.4.0";
import { connect } from "npm:@nats-io/transport-node@3.4.0";
import { WorkerPool } from "../mod.ts";
import { JetStreamSource, JetStreamSourceError } from "../jetstream/mod.ts";

const HELP = `Usage: examples/distributed.ts [options]
  --servers URLS   NATS servers, comma-separated (default nats://127.0.0.1:4222)
  --stream NAME    the work-queue stream (default JOBS, subjects JOBS.>)
  --consumer NAME  the durable pull consumer every host shares (default workers)
  --workers N      pool size on this host (default 2)
  --setup          create the stream and the consumer if they are missing
  --publish N      publish N jobs {"n": …} before consuming
  --until-empty    stop once the consumer has nothing pending or unacked
  -h, --help       this text`;

function fail(msg: string, code = 1): never {
  console.error(`error: ${msg}`);
  Deno.exit(code);
}

let args;
try {
  args = parseArgs({
    options: {
      servers: { type: "string", default: "nats://127.0.0.1:4222" },
      stream: { type: "string", default: "JOBS" },
      consumer: { type: "string", default: "workers" },
      workers: { type: "string", default: "2" },
      setup: { type: "boolean", default: false },
      publish: { type: "string", default: "0" },
      "until-empty": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  }).values;
} catch (e) {
  fail(`${(e as Error).message}\n\n${HELP}`, 2);
}
if (args.help) {
  console.log(HELP);
  Deno.exit(0);
}
const servers = args.servers.split(",");
const workers = Number(args.workers);
const publish = Number(args.publish);
if (!Number.isInteger(workers) || workers < 1) {
  fail(`--workers must be a positive integer, got ${args.workers}`, 2);
}
if (!Number.isInteger(publish) || publish < 0) {
  fail(`--publish must be a count, got ${args.publish}`, 2);
}

// Setting up and publishing are a producer's job, with the plain client.
if (args.setup || publish > 0) {
  const nc = await connect({ servers, timeout: 5000 }).catch((e) =>
    fail(`cannot connect to ${servers.join(", ")}: ${e.message}`)
  );
  const jsm = await jetstreamManager(nc);
  if (args.setup) {
    await jsm.streams.info(args.stream).catch(() =>
      jsm.streams.add({
        name: args.stream,
        subjects: [`${args.stream}.>`],
        retention: RetentionPolicy.Workqueue,
      })
    );
    await jsm.consumers.info(args.stream, args.consumer).catch(() =>
      jsm.consumers.add(args.stream, {
        durable_name: args.consumer,
        ack_policy: AckPolicy.Explicit,
        ack_wait: 30e9,
      })
    );
  }
  for (let i = 0; i < publish; i++) {
    nc.publish(
      `${args.stream}.job`,
      JSON.stringify({ n: 2000 + (i % 100) * 30 }),
    );
  }
  await nc.flush();
  await nc.drain();
}

const pool = new WorkerPool({
  workers,
  handler: new URL("./handlers/job.ts", import.meta.url),
});
let source: JetStreamSource;
try {
  source = await JetStreamSource.connect({
    servers,
    stream: args.stream,
    consumer: args.consumer,
  });
} catch (e) {
  await pool.close();
  if (e instanceof JetStreamSourceError) {
    fail(
      `${e.message}${
        /not found/.test(e.message) ? " (or run with --setup)" : ""
      }`,
    );
  }
  throw e;
}
const seen = new Map<number, number>();
let failed = 0;
await pool.attach(source, {
  onResult: (_, m) => seen.set(m.seq, (seen.get(m.seq) ?? 0) + 1),
  onError: (e, m) => {
    failed++;
    console.error(
      m ? `job ${m.seq} failed: ${e.message}` : `source: ${e.message}`,
    );
  },
});
console.log(
  `consuming ${args.stream}/${args.consumer} from ${
    servers.join(", ")
  } with ${workers} workers`,
);

const stop = () => source.close();
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
if (args["until-empty"]) {
  // Empty for this host: nothing in flight, and nothing pulled for a second
  // (each pull request waits a second for messages).
  let quiet = 0;
  let pulled = -1;
  const timer = setInterval(() => {
    const s = source.stats();
    quiet = s.inFlight === 0 && s.pulled === pulled ? quiet + 1 : 0;
    pulled = s.pulled;
    if (quiet >= 10) stop(); // 1 s with nothing to do
  }, 100);
  source.stopped.then(() => clearInterval(timer));
}

const why = await source.stopped;
Deno.removeSignalListener("SIGINT", stop);
Deno.removeSignalListener("SIGTERM", stop);
await pool.close();
if (why) fail(why.message);
const s = source.stats();
let duplicates = 0;
for (const c of seen.values()) duplicates += c - 1;
const lost = publish > 0 ? Math.max(0, publish - seen.size) : 0;
console.log(`stats: ${JSON.stringify(s)}`);
console.log(
  `done: produced=${publish} consumed=${seen.size} duplicates=${duplicates} lost=${lost} failed=${failed}`,
);
if (duplicates || lost) Deno.exit(1);
