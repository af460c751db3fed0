/**
 * Test helper: a real `nats-server` (Debian package, installed through
 * tools/ensure_packages.sh) with JetStream on 127.0.0.1, a random free port
 * and a temporary store, stopped and removed afterwards.
 *
 * @module
 */

import { deadline } from "./_deadline.ts";

const CI = Deno.env.get("CI") === "true";
const ENSURE = new URL("../tools/ensure_packages.sh", import.meta.url).pathname;

/** Why nats-server cannot run here, or undefined when it can (installs it if needed). */
async function whyNot(): Promise<string | undefined> {
  const { code, stderr } = await new Deno.Command(ENSURE, {
    args: ["nats-server"],
    stdout: "inherit",
    stderr: "piped",
  }).output();
  const why = new TextDecoder().decode(stderr).trim();
  if (code === 0) return undefined;
  if (code === 77 && !CI) return why;
  throw new Error(
    `tools/ensure_packages.sh nats-server failed (${code}): ${why}`,
  );
}

/** Set when the tests must be skipped (never under CI=true). */
export const natsMissing = await whyNot();
if (natsMissing) {
  console.warn(
    `!!! nats-server cannot be installed here (${natsMissing}): JetStream tests skipped !!!`,
  );
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = l.addr as Deno.NetAddr;
  l.close();
  return port;
}

async function acceptsOn(port: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch (e) {
      if (Date.now() > end) {
        throw new Error(
          `nats-server did not listen on ${port} within ${ms} ms: ${e}`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Options for {@linkcode NatsServer.start}. */
export interface NatsServerOptions {
  /** Largest message the server takes, in bytes (default 1 MiB). */
  maxPayload?: number;
  /** Whether JetStream is on (default true). */
  jetstream?: boolean;
}

/** One nats-server process, restartable on the same port and store. */
export class NatsServer {
  readonly port: number;
  readonly dir: string;
  readonly #conf: string;
  #proc?: Deno.ChildProcess;

  private constructor(port: number, dir: string, conf: string) {
    this.port = port;
    this.dir = dir;
    this.#conf = conf;
  }

  /** `nats://127.0.0.1:PORT`. */
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Starts a server with JetStream on 127.0.0.1 and a fresh store. */
  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    const dir = await Deno.makeTempDir({ prefix: "efdpool-nats-" });
    const port = freePort();
    const conf = `${dir}/server.conf`;
    await Deno.writeTextFile(
      conf,
      [
        `listen: "127.0.0.1:${port}"`,
        `max_payload: ${options.maxPayload ?? 1 << 20}`,
        options.jetstream === false
          ? ""
          : `jetstream { store_dir: "${dir}/store" }`,
      ].join("\n") + "\n",
    );
    const s = new NatsServer(port, dir, conf);
    await s.resume();
    return s;
  }

  /** (Re)starts the process on the same port and store. */
  async resume(): Promise<void> {
    this.#proc = new Deno.Command("nats-server", {
      args: ["-c", this.#conf],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    await acceptsOn(this.port, 10_000);
  }

  /** Stops the process: SIGTERM, or SIGKILL with `hard` (and after 5 s). */
  async halt(hard = false): Promise<void> {
    const p = this.#proc;
    if (!p) return;
    this.#proc = undefined;
    p.kill(hard ? "SIGKILL" : "SIGTERM");
    try {
      await deadline(p.status, 5000, "nats-server exit");
    } catch {
      p.kill("SIGKILL");
      await p.status;
    }
  }

  /** Stops the server and removes its store. */
  async stop(): Promise<void> {
    await this.halt();
    await Deno.remove(this.dir, { recursive: true });
  }

  /** `await using server = await NatsServer.start()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
