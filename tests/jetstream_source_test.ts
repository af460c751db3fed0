// JetStreamSource against a real nats-server: what a handler sees, ack /
// nak / term / working() semantics, batch sizing, close(), and typed errors
// for bad input and faults. tests/jetstream_distributed_test.ts covers many
// processes, kills and restarts.
import assert from "node:assert/strict";
import { headers as natsHeaders } from "npm:@nats-io/transport-node@3.4.0";
import {
  ClosedError,
  serveStats,
  type SourceStats,
  WorkerPool,
} from "../mod.ts";
import {
  ConsumerConfigError,
  ConsumerNotFoundError,
  HandlerNotWrappedError,
  JetStreamConnectError,
  type JetStreamConnectOptions,
  JetStreamSource,
  JetStreamSourceError,
  type MessageInfo,
  MessageTooLargeError,
  NotPullConsumerError,
  StreamNotFoundError,
} from "../jetstream/mod.ts";
import { attachTo } from "../workers/attachable.ts";
import { deadline } from "./_deadline.ts";
import { Admin, pollUntil } from "./_jetstream.ts";
import { natsMissing, NatsServer } from "./_nats_server.ts";

const HANDLER = new URL("./fixtures/js_handler.ts", import.meta.url);
const ignore = natsMissing !== undefined;

/** A server with stream JOBS (subjects jobs.>) and pull consumer "w". */
async function setUp(
  consumer: Parameters<Admin["queue"]>[2] = {},
  maxPayload?: number,
) {
  const server = await NatsServer.start({ maxPayload });
  const admin = await Admin.open(server.url);
  await admin.queue("JOBS", "w", consumer);
  return {
    server,
    admin,
    async [Symbol.asyncDispose]() {
      await admin.close();
      await server.stop();
    },
  };
}

const connectTo = (url: string, consumer = "w") =>
  JetStreamSource.connect({ servers: url, stream: "JOBS", consumer });

/** `efdpool watch` on this process for 300 ms: the last sample's JetStream source. */
async function watchOnce(): Promise<SourceStats | undefined> {
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli, "watch", String(Deno.pid), "--duration", "300ms"],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n");
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const samples = text.map((l) => JSON.parse(l)).filter((x) => x.sources);
  return (samples.at(-1)?.sources as SourceStats[] | undefined)?.find((x) =>
    x.kind === "jetstream"
  );
}

Deno.test({
  name:
    "jetstream: the handler sees subject, headers, stream seq and redelivered count; acked after success",
  ignore,
  async fn() {
    await using env = await setUp();
    const h = natsHeaders();
    h.append("trace", "a");
    h.append("trace", "b");
    env.admin.nc.publish("jobs.echo", JSON.stringify({ op: "echo" }), {
      headers: h,
    });
    env.admin.nc.publish("jobs.plain", JSON.stringify({ op: "echo" }));
    await using pool = new WorkerPool({ workers: 2, handler: HANDLER });
    await using source = await connectTo(env.server.url);
    const got = new Map<number, Record<string, unknown>>();
    await pool.attach(source, {
      onResult: (r, m) => got.set(m.seq, r as Record<string, unknown>),
    });
    await pollUntil(
      () => source.stats().acked === 2,
      10_000,
      "two messages acked",
    );
    const first = got.get(1)!;
    assert.equal(first.subject, "jobs.echo");
    assert.equal(first.seq, 1);
    assert.equal(first.redelivered, 0);
    assert.equal(first.deliveryCount, 1);
    assert.deepEqual(first.headers, [["trace", ["a", "b"]]]);
    assert.ok(Math.abs((first.timestamp as number) - Date.now()) < 60_000);
    assert.deepEqual(got.get(2)!.headers, []);
    // The pool's own tasks still reach the handler's `otherwise` function.
    assert.deepEqual(await pool.run("task"), { plain: "task" });
    await pollUntil(
      async () => await env.admin.outstanding("JOBS", "w") === 0,
      10_000,
      "acks reach the server",
    );
    const s = source.stats();
    assert.deepEqual(
      [
        s.pulled,
        s.acked,
        s.naked,
        s.termed,
        s.redelivered,
        s.failed,
        s.inFlight,
      ],
      [2, 2, 0, 0, 0, 0, 0],
    );
    // The pool lists the source among its own, for watch and other readers.
    const listed = pool.stats().sources.find((x) => x.kind === "jetstream");
    assert.deepEqual(
      listed && [listed.name, listed.taken, listed.handled, listed.failed],
      [source.name, 2, 2, 0],
    );
    assert.equal(listed?.counters?.inFlight, 0);
    // And `efdpool watch PID` shows it, from the pool's stats endpoint.
    {
      await using _endpoint = serveStats(pool);
      const seen = await watchOnce();
      assert.deepEqual(
        seen && [seen.name, seen.kind, seen.taken, seen.handled],
        [source.name, "jetstream", 2, 2],
        JSON.stringify(seen),
      );
      assert.deepEqual(
        [seen?.counters?.inFlight, seen?.counters?.naked],
        [0, 0],
      );
    }
    await source.close();
    assert.equal(
      pool.stats().sources.some((x) => x.kind === "jetstream"),
      false,
      "a closed source leaves the pool's stats",
    );
  },
});

Deno.test({
  name:
    "jetstream: a throwing handler's message is nak'ed with the delay and redelivered; termed past maxDeliver",
  ignore,
  async fn() {
    await using env = await setUp({ max_deliver: 3 });
    env.admin.nc.publish("jobs.a", JSON.stringify({ op: "failOnce" }));
    env.admin.nc.publish("jobs.b", JSON.stringify({ op: "fail" }));
    await using pool = new WorkerPool({ workers: 2, handler: HANDLER });
    await using source = await connectTo(env.server.url);
    const errors: [string, MessageInfo | undefined][] = [];
    const ok: MessageInfo[] = [];
    const t0 = Date.now();
    await pool.attach(source, {
      nakDelay: 300,
      onResult: (_, m) => ok.push(m),
      onError: (e, m) => errors.push([e.message, m]),
    });
    await pollUntil(
      () => source.stats().termed === 1 && ok.length === 1,
      15_000,
      "one acked, one termed",
    );
    // Two nak delays passed before the third delivery of message 2.
    assert.ok(Date.now() - t0 >= 600, "nak delay respected");
    assert.deepEqual(ok, [{ subject: "jobs.a", seq: 1, deliveryCount: 2 }]);
    assert.deepEqual(
      errors.map(([msg, m]) => [msg, m?.seq, m?.deliveryCount]).sort(),
      [
        ["2 always fails", 2, 1],
        ["2 always fails", 2, 2],
        ["2 always fails", 2, 3],
        ["first delivery of 1 fails", 1, 1],
      ],
    );
    const s = source.stats();
    assert.deepEqual(
      [s.pulled, s.acked, s.naked, s.termed, s.redelivered, s.failed],
      [5, 1, 3, 1, 3, 4],
    );
    // Termed: never delivered again (nats-server 2.9 still counts it as
    // ack-pending in consumer info, so the check is on deliveries).
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(source.stats().pulled, 5);
  },
});

Deno.test({
  name:
    "jetstream: a throwing onResult naks the message; a throwing onError becomes an error event, never a stuck message",
  ignore,
  async fn() {
    await using env = await setUp();
    env.admin.nc.publish("jobs.x", "1");
    await using pool = new WorkerPool({ workers: 1, handler: HANDLER });
    await using source = await connectTo(env.server.url);
    const events: Error[] = [];
    source.addEventListener(
      "error",
      (e) => events.push((e as ErrorEvent).error),
    );
    let calls = 0;
    await pool.attach(source, {
      nakDelay: 0,
      onResult: () => {
        if (calls++ === 0) throw new Error("onResult failed once");
      },
      onError: () => {
        throw new Error("onError fails too");
      },
    });
    await pollUntil(
      () => source.stats().acked === 1,
      10_000,
      "acked on the second delivery",
    );
    const s = source.stats();
    assert.deepEqual([s.pulled, s.naked, s.failed, s.redelivered], [
      2,
      1,
      1,
      1,
    ]);
    assert.equal(events.length, 1);
    assert.ok(events[0] instanceof JetStreamSourceError);
    assert.match(
      ((events[0] as Error).cause as Error).message,
      /onError fails too/,
    );
  },
});

Deno.test({
  name:
    "jetstream: working() keeps a message held longer than ack_wait from being redelivered",
  ignore,
  async fn() {
    await using env = await setUp({ ack_wait: 1e9 });
    env.admin.nc.publish(
      "jobs.slow",
      JSON.stringify({ op: "sleep", ms: 2200 }),
    );
    await using pool = new WorkerPool({ workers: 1, handler: HANDLER });
    await using source = await connectTo(env.server.url);
    const done: MessageInfo[] = [];
    await pool.attach(source, { onResult: (_, m) => done.push(m) });
    await pollUntil(() => done.length === 1, 10_000, "slow message handled");
    const s = source.stats();
    assert.equal(done[0].deliveryCount, 1);
    assert.equal(s.pulled, 1, "not redelivered");
    assert.ok(s.working >= 2, `working() sent ${s.working} times`);
  },
});

Deno.test({
  name:
    "jetstream: pulls are sized to the free capacity; a busy pool pulls nothing more",
  ignore,
  async fn() {
    await using env = await setUp();
    await env.admin.publish(
      "JOBS",
      200,
      () => JSON.stringify({ op: "sleep", ms: 3 }),
    );
    await using pool = new WorkerPool({ workers: 2, handler: HANDLER });
    await using source = await connectTo(env.server.url);
    let most = 0;
    await pool.attach(source, {
      maxInFlight: 8,
      onResult: () => most = Math.max(most, source.stats().inFlight),
    });
    await pollUntil(() => source.stats().acked === 200, 20_000, "200 acked");
    const s = source.stats();
    assert.ok(s.peakInFlight <= 8, `peak in flight ${s.peakInFlight}`);
    assert.ok(s.pulls >= 200 / 8, `${s.pulls} pulls`);
    // The server agrees: it never had more than 8 unacked for us.
    const ci = await env.admin.jsm.consumers.info("JOBS", "w");
    assert.equal(ci.delivered.stream_seq, 200);
  },
});

Deno.test({
  name:
    "jetstream: close() lets in-flight handlers finish and acks them, then drains",
  ignore,
  async fn() {
    await using env = await setUp();
    await env.admin.publish(
      "JOBS",
      6,
      () => JSON.stringify({ op: "sleep", ms: 600 }),
    );
    await using pool = new WorkerPool({ workers: 2, handler: HANDLER });
    const source = await connectTo(env.server.url);
    await pool.attach(source, { maxInFlight: 4 });
    await pollUntil(() => source.stats().inFlight === 4, 10_000, "4 in flight");
    await deadline(source.close(), 10_000, "close()");
    assert.equal(await source.stopped, undefined);
    const s = source.stats();
    assert.equal(s.acked, 4);
    assert.equal(s.inFlight, 0);
    assert.equal(s.pulled, 4, "no pull after close()");
    await pollUntil(
      async () => await env.admin.outstanding("JOBS", "w") === 2,
      10_000,
      "2 left in the stream",
    );
    await assert.rejects(pool.attach(source), ClosedError);
  },
});

Deno.test({
  name:
    "jetstream: close() past its timeout naks what is unfinished; another consumer gets it",
  ignore,
  async fn() {
    await using env = await setUp();
    await env.admin.publish(
      "JOBS",
      3,
      () => JSON.stringify({ op: "sleep", ms: 1500 }),
    );
    await using pool = new WorkerPool({ workers: 1, handler: HANDLER });
    const first = await connectTo(env.server.url);
    await pool.attach(first);
    await pollUntil(() => first.stats().inFlight === 3, 10_000, "3 in flight");
    await deadline(
      first.close({ timeout: 100 }),
      10_000,
      "close() with a timeout",
    );
    assert.equal(first.stats().naked, 3);
    assert.equal(first.stats().acked, 0);
    await using pool2 = new WorkerPool({ workers: 3, handler: HANDLER });
    await using second = await connectTo(env.server.url);
    const seen: MessageInfo[] = [];
    await pool2.attach(second, { onResult: (_, m) => seen.push(m) });
    await pollUntil(() => seen.length === 3, 15_000, "3 handled by the second");
    assert.deepEqual(
      seen.map((m) => m.seq).sort(),
      [1, 2, 3],
      JSON.stringify(seen),
    );
    assert.ok(seen.every((m) => m.deliveryCount === 2));
  },
});

Deno.test({
  name:
    "jetstream: bad options are refused before connecting; wrong server, stream or consumer are typed errors",
  ignore,
  async fn() {
    await using env = await setUp();
    const url = env.server.url;
    const bad: [
      Record<string, unknown>,
      ErrorConstructor | RangeErrorConstructor,
      RegExp,
    ][] = [
      [{ servers: [], stream: "JOBS", consumer: "w" }, TypeError, /servers/],
      [{ servers: url, stream: "a.b", consumer: "w" }, TypeError, /stream/],
      [{ servers: url, stream: "JOBS", consumer: "" }, TypeError, /consumer/],
      [
        { servers: url, stream: "JOBS", consumer: "w", connectTimeout: -1 },
        RangeError,
        /connectTimeout/,
      ],
    ];
    for (const [o, cls, re] of bad) {
      await assert.rejects(
        JetStreamSource.connect(o as unknown as JetStreamConnectOptions),
        (e: Error) => e instanceof cls && re.test(e.message),
      );
    }
    // Nothing listens on this port.
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const dead = `127.0.0.1:${(l.addr as Deno.NetAddr).port}`;
    l.close();
    const t0 = Date.now();
    const e = await JetStreamSource.connect({
      servers: dead,
      stream: "JOBS",
      consumer: "w",
      connectTimeout: 2000,
    })
      .catch((e) => e);
    assert.ok(e instanceof JetStreamConnectError, String(e));
    assert.match(e.message, new RegExp(dead));
    assert.ok(Date.now() - t0 < 10_000);

    await using plain = await NatsServer.start({ jetstream: false });
    await assert.rejects(
      JetStreamSource.connect({
        servers: plain.url,
        stream: "JOBS",
        consumer: "w",
      }),
      (e: Error) =>
        e instanceof JetStreamConnectError && /no JetStream on/.test(e.message),
    );
    await assert.rejects(
      JetStreamSource.connect({ servers: url, stream: "NOPE", consumer: "w" }),
      (e: Error) =>
        e instanceof StreamNotFoundError && /"NOPE"/.test(e.message),
    );
    await assert.rejects(
      connectTo(url, "nobody"),
      (e: Error) =>
        e instanceof ConsumerNotFoundError && /"nobody"/.test(e.message),
    );
    // A work queue allows one unfiltered consumer: these live on another stream.
    await env.admin.jsm.streams.add({ name: "OTHER", subjects: ["other.>"] });
    const other = (consumer: string) =>
      JetStreamSource.connect({ servers: url, stream: "OTHER", consumer });
    await env.admin.jsm.consumers.add("OTHER", {
      durable_name: "pusher",
      deliver_subject: "push.here",
      ack_policy: "explicit" as never,
    });
    await assert.rejects(
      other("pusher"),
      (e: Error) =>
        e instanceof NotPullConsumerError && /push\.here/.test(e.message),
    );
    await env.admin.jsm.consumers.add("OTHER", {
      durable_name: "lazy",
      ack_policy: "none" as never,
    });
    await assert.rejects(
      other("lazy"),
      (e: Error) =>
        e instanceof ConsumerConfigError && /ack_policy/.test(e.message),
    );
  },
});

Deno.test({
  name:
    "jetstream: attach() refuses an unwrapped handler, bad options and a second pool",
  ignore,
  async fn() {
    await using env = await setUp();
    await using source = await connectTo(env.server.url);
    await using plain = new WorkerPool({
      workers: 1,
      handler: "data:text/javascript,export const handle = (x) => x;",
    });
    await assert.rejects(plain.attach(source), HandlerNotWrappedError);
    const closed = new WorkerPool({ workers: 1, handler: HANDLER });
    await closed.close();
    await assert.rejects(
      closed.attach(source),
      (e: Error) =>
        e instanceof JetStreamSourceError &&
        !(e instanceof HandlerNotWrappedError) && /probe/.test(e.message),
    );
    await using pool = new WorkerPool({ workers: 1, handler: HANDLER });
    await assert.rejects(
      pool.attach(source, { maxInFlight: 0 }),
      /maxInFlight/,
    );
    await assert.rejects(pool.attach(source, { nakDelay: -1 }), /nakDelay/);
    await assert.rejects(pool.attach(source, { expires: 10 }), /expires/);
    // deno-lint-ignore no-explicit-any
    await assert.rejects(source[attachTo]({} as any), TypeError);
    await pool.attach(source);
    await assert.rejects(pool.attach(source), JetStreamSourceError);
    assert.equal(source.stats().pulled, 0);
    // close() while attach() still waits for its probe: attach() throws, nothing leaks.
    const other = await connectTo(env.server.url);
    const attaching = pool.attach(other).catch((e) => e);
    await deadline(other.close(), 10_000, "close() during attach()");
    assert.ok(await attaching instanceof ClosedError);
    assert.equal(await other.stopped, undefined);
  },
});

Deno.test({
  name:
    "jetstream: a message too large for the pool's queue is reported and left in the stream; the rest flow",
  ignore,
  async fn() {
    await using env = await setUp({}, 4 << 20);
    env.admin.nc.publish("jobs.big", new Uint8Array(2 << 20));
    for (let i = 0; i < 3; i++) env.admin.nc.publish("jobs.small", String(i));
    await env.admin.nc.flush();
    await using pool = new WorkerPool({ workers: 1, handler: HANDLER });
    const source = await connectTo(env.server.url);
    const errors: Error[] = [];
    await pool.attach(source, {
      nakDelay: 60_000,
      onError: (e) => errors.push(e),
    });
    await pollUntil(
      () => source.stats().acked === 3 && errors.length === 1,
      10_000,
      "3 acked, 1 refused",
    );
    const e = errors[0];
    assert.ok(e instanceof MessageTooLargeError, String(e));
    assert.equal(e.seq, 1);
    assert.ok(e.bytes > 2 << 20);
    await source.close();
    assert.equal(source.stats().termed, 0);
    await pollUntil(
      async () => await env.admin.outstanding("JOBS", "w") === 1,
      10_000,
      "the big one stays",
    );
  },
});

Deno.test({
  name:
    "jetstream: a deleted consumer ends the source with ConsumerNotFoundError in `stopped`",
  ignore,
  async fn() {
    await using env = await setUp();
    await using pool = new WorkerPool({ workers: 1, handler: HANDLER });
    const source = await connectTo(env.server.url);
    const errors: Error[] = [];
    await pool.attach(source, {
      expires: 1000,
      onError: (e) => errors.push(e),
    });
    await env.admin.jsm.consumers.delete("JOBS", "w");
    const why = await deadline(source.stopped, 15_000, "source stops");
    assert.ok(why instanceof ConsumerNotFoundError, String(why));
    assert.ok(errors.includes(why));
  },
});

Deno.test({
  name:
    "jetstream: a pool closed under an attached source ends the source; what it pulls after is nak'ed, never held",
  ignore,
  async fn() {
    await using env = await setUp();
    const pool = new WorkerPool({ workers: 1, handler: HANDLER });
    const source = await connectTo(env.server.url);
    const errors: Error[] = [];
    await pool.attach(source, { nakDelay: 0, onError: (e) => errors.push(e) });
    await pool.close();
    // The source is idle in a pull request: the pool's close is news to it
    // only when a message comes.
    await env.admin.publish("JOBS", 3);
    const why = await deadline(source.stopped, 15_000, "source stops");
    assert.ok(
      why instanceof JetStreamSourceError && /was closed/.test(why.message),
      String(why),
    );
    assert.ok(errors.includes(why));
    const s = source.stats();
    assert.equal(s.inFlight, 0, "nothing held");
    assert.equal(s.acked, 0);
    assert.equal(s.naked, s.pulled);
    // Another consumer gets all three at once, not after ack_wait (30 s).
    await using pool2 = new WorkerPool({ workers: 1, handler: HANDLER });
    await using second = await connectTo(env.server.url);
    const seen: number[] = [];
    await pool2.attach(second, { onResult: (_, m) => seen.push(m.seq) });
    await pollUntil(() => seen.length === 3, 10_000, "3 handled by another");
    assert.deepEqual(seen.sort(), [1, 2, 3]);
  },
});
