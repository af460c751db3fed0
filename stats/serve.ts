/**
 * An opt-in stats endpoint for a running pool, so another terminal can
 * watch it (`efdpool watch PID`): a Unix socket named by the process id
 * under `$XDG_RUNTIME_DIR` (else /tmp) that answers every connection with
 * one JSON line, a {@linkcode StatsSnapshot} of `pool.stats()`, and closes.
 * Built on the pool's public `stats()`; it never keeps the process alive.
 *
 * @module
 */

import { EfdpoolError } from "../errors.ts";
import type { PoolStats } from "../workers/types.ts";

/** What the endpoint sends: who, when, and the pool's stats. */
export interface StatsSnapshot {
  /** The serving process. */
  pid: number;
  /** The name given to `serveStats` (default "efdpool"). */
  name: string;
  /** When the snapshot was taken, epoch ms. */
  at: number;
  /** `pool.stats()` at that moment. */
  stats: PoolStats;
}

/** Options for {@linkcode serveStats}. */
export interface ServeStatsOptions {
  /** Socket path (default: {@linkcode statsSocketPath} of this process). */
  path?: string;
  /** A name shown by the watcher (default "efdpool"). */
  name?: string;
}

/** A running endpoint; close it (or let the process end) to remove the socket. */
export interface StatsServer extends AsyncDisposable {
  /** The socket's path. */
  readonly path: string;
  /** Stops serving and removes the socket. */
  close(): Promise<void>;
}

/** What {@linkcode serveStats} needs of a pool: a `WorkerPool` has it. */
export interface StatsSource {
  /** A snapshot of the pool's counters. */
  stats(): PoolStats;
}

/** The endpoint could not start (the socket path is taken or not writable). */
export class StatsServeError extends EfdpoolError {
  /**
   * Builds the error.
   *
   * @param path The socket path.
   * @param why What went wrong.
   *
   * @example
   * ```ts
   * import { StatsServeError } from "@efdpool/efdpool";
   * console.log(new StatsServeError("/tmp/x.sock", "in use").message);
   * ```
   */
  constructor(path: string, why: string, options?: ErrorOptions) {
    super(`cannot serve pool stats on ${path}: ${why}`, options);
  }
}

function envVar(name: string): string | undefined {
  const ok = Deno.permissions.querySync({ name: "env", variable: name });
  return ok.state === "granted" ? Deno.env.get(name) : undefined;
}

/**
 * The directories a stats socket may be in, in order: `$XDG_RUNTIME_DIR`
 * (when readable under Deno's permissions and set), then /tmp.
 *
 * @example
 * ```ts
 * import { statsSocketDirs } from "@efdpool/efdpool";
 * import assert from "node:assert/strict";
 * assert.equal(statsSocketDirs().at(-1), "/tmp");
 * ```
 */
export function statsSocketDirs(): string[] {
  const xdg = envVar("XDG_RUNTIME_DIR");
  return xdg && xdg !== "/tmp" ? [xdg, "/tmp"] : ["/tmp"];
}

/**
 * The stats socket path of process `pid`: `efdpool-PID.sock` in the first
 * of {@linkcode statsSocketDirs} this process may write.
 *
 * @example
 * ```ts
 * import { statsSocketPath } from "@efdpool/efdpool";
 * import assert from "node:assert/strict";
 * assert.equal(statsSocketPath(1234).endsWith("/efdpool-1234.sock"), true);
 * ```
 */
export function statsSocketPath(pid = Deno.pid): string {
  const dirs = statsSocketDirs();
  const dir =
    dirs.find((d) =>
      Deno.permissions.querySync({ name: "write", path: d }).state === "granted"
    ) ?? dirs.at(-1)!;
  return `${dir}/efdpool-${pid}.sock`;
}

/**
 * Whether the user asked for a stats endpoint with `EFDPOOL_STATS=1`
 * (read only where Deno's `--allow-env` allows it).
 *
 * @example
 * ```ts
 * import { statsWanted } from "@efdpool/efdpool";
 * import assert from "node:assert/strict";
 * assert.equal(typeof statsWanted(), "boolean");
 * ```
 */
export function statsWanted(): boolean {
  const v = envVar("EFDPOOL_STATS");
  return v !== undefined && v !== "" && v !== "0";
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) {
    at += await conn.write(bytes.subarray(at));
  }
}

/** Socket paths this process serves on. */
const serving = new Set<string>();

function removeIfStale(path: string): void {
  if (serving.has(path)) {
    throw new StatsServeError(
      path,
      "this process serves a pool there already; give each pool its own path",
    );
  }
  try {
    if (!Deno.lstatSync(path).isSocket) {
      throw new StatsServeError(
        path,
        "a file that is not a socket is in the way",
      );
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw e;
  }
  // Left by a process that ended without closing (our pid, reused).
  Deno.removeSync(path);
}

/**
 * Serves `pool.stats()` on a Unix socket until closed: each connection gets
 * one JSON line ({@linkcode StatsSnapshot}) and is closed. Needs
 * `--allow-read` and `--allow-write` for the socket's directory, and
 * `--allow-net` (Deno counts Unix sockets as network). The
 * listener does not keep the process alive, and the socket is removed when
 * the process unloads.
 *
 * @example
 * ```ts ignore
 * import { serveStats, WorkerPool } from "@efdpool/efdpool";
 * await using pool = new WorkerPool({ workers: 2 });
 * await using stats = serveStats(pool);
 * console.log(`watch it: efdpool watch ${Deno.pid}  (${stats.path})`);
 * ```
 */
export function serveStats(
  pool: StatsSource,
  options: ServeStatsOptions = {},
): StatsServer {
  const path = options.path ?? statsSocketPath();
  const name = options.name ?? "efdpool";
  removeIfStale(path);
  let listener: Deno.UnixListener;
  try {
    listener = Deno.listen({ transport: "unix", path });
  } catch (e) {
    const why = e instanceof Deno.errors.NotCapable
      ? "Deno counts Unix sockets as network: run with --allow-net (or -A)"
      : (e as Error).message;
    throw new StatsServeError(path, why, { cause: e });
  }
  Deno.chmodSync(path, 0o600);
  listener.unref();
  serving.add(path);
  const encoder = new TextEncoder();
  const loop = (async () => {
    try {
      for await (const conn of listener) {
        // Whatever happens to one watcher's connection (it hangs up, the
        // pool is gone), the serving process must not see it.
        const done = () => {
          try {
            conn.close();
          } catch { /* closed already */ }
        };
        let text: string;
        try {
          const snap: StatsSnapshot = {
            pid: Deno.pid,
            name,
            at: performance.timeOrigin + performance.now(),
            stats: pool.stats(),
          };
          text = JSON.stringify(snap) + "\n";
        } catch {
          done();
          continue;
        }
        writeAll(conn, encoder.encode(text)).catch(() => {}).finally(done);
      }
    } catch {
      // The listener was closed.
    }
  })();
  const unlink = () => {
    try {
      Deno.removeSync(path);
    } catch { /* gone already */ }
  };
  globalThis.addEventListener("unload", unlink);
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      globalThis.removeEventListener("unload", unlink);
      listener.close();
      await loop;
      unlink();
      serving.delete(path);
    })();
  return { path, close, [Symbol.asyncDispose]: close };
}

/** No stats endpoint answers for a process. */
export class StatsUnavailableError extends EfdpoolError {
  /** The process asked about. */
  readonly pid: number;

  /**
   * Builds the error.
   *
   * @param pid The process.
   * @param looked The socket paths tried.
   *
   * @example
   * ```ts
   * import { StatsUnavailableError } from "@efdpool/efdpool";
   * import assert from "node:assert/strict";
   * assert.equal(new StatsUnavailableError(1, ["/tmp/efdpool-1.sock"]).pid, 1);
   * ```
   */
  constructor(pid: number, looked: string[]) {
    super(
      `no pool stats for process ${pid} (looked for ${
        looked.join(" and ")
      }): is it running, with EFDPOOL_STATS=1 or serveStats(pool)?`,
    );
    this.pid = pid;
  }
}

/**
 * Fetches one snapshot from process `pid`'s stats endpoint. Throws
 * {@linkcode StatsUnavailableError} when there is none (or it went away).
 *
 * @example
 * ```ts ignore
 * import { readStats } from "@efdpool/efdpool";
 * const snap = await readStats(1234);
 * console.log(snap.stats.workers.length);
 * ```
 */
export async function readStats(pid: number): Promise<StatsSnapshot> {
  const looked = statsSocketDirs().map((d) => `${d}/efdpool-${pid}.sock`);
  for (const path of looked) {
    let conn: Deno.UnixConn;
    try {
      conn = await Deno.connect({ transport: "unix", path });
    } catch (e) {
      if (
        e instanceof Deno.errors.NotFound ||
        e instanceof Deno.errors.ConnectionRefused
      ) continue;
      throw e;
    }
    try {
      const text = await new Response(conn.readable).text();
      if (text.trim() === "") continue; // closing as we connected
      return JSON.parse(text) as StatsSnapshot;
    } catch (e) {
      if (e instanceof SyntaxError) continue;
      throw e;
    }
  }
  throw new StatsUnavailableError(pid, looked);
}
