// examples/distributed.ts as a user runs it: with the flags its header
// states, against a real nats-server; --help, and clear errors.
import assert from "node:assert/strict";
import { natsMissing, NatsServer } from "./_nats_server.ts";

const ROOT = new URL("../", import.meta.url);
const FLAGS = ["--allow-ffi", "--allow-read=.", "--allow-net"];

async function example(args: string[]) {
  const src = await Deno.readTextFile(new URL("examples/distributed.ts", ROOT));
  assert.ok(
    src.includes(`deno run ${FLAGS.join(" ")} examples/distributed.ts`),
    "header states the flags",
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...FLAGS, "examples/distributed.ts", ...args],
    cwd: ROOT.pathname,
    stdin: "null",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test({
  name:
    "example distributed: publishes, consumes every job once, stops when the queue is empty",
  ignore: natsMissing !== undefined,
  async fn() {
    await using server = await NatsServer.start();
    const r = await example([
      "--servers",
      server.url,
      "--setup",
      "--publish",
      "500",
      "--until-empty",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout.trimEnd().split("\n").at(-1)!,
      /^done: produced=500 consumed=500 duplicates=0 lost=0 failed=0$/,
    );

    const missing = await example([
      "--servers",
      server.url,
      "--stream",
      "NOPE",
    ]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /stream "NOPE" not found.*--setup/);
  },
});

Deno.test("example distributed: --help, and an unreachable server is a clear error", async () => {
  const help = await example(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--servers URLS/);
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const down = await example(["--servers", `127.0.0.1:${port}`]);
  assert.equal(down.code, 1);
  assert.match(
    down.stderr,
    new RegExp(`cannot connect to NATS at 127.0.0.1:${port}`),
  );
});
