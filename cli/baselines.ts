/**
 * What the demo's parallel gzip is compared with and checked by, in the
 * same run: one thread of `node:zlib` (as a user would call it, and on the
 * pool's own blocks), the system's `gzip` and `pigz`, and decompression with
 * `node:zlib` and the system's `gunzip`.
 *
 * @module
 */

import { gunzipSync, gzipSync } from "node:zlib";
import { crc32 } from "./libz.ts";
import { deflateBlock, deflateBound, WINDOW } from "./gzip_worker.ts";

/** One timed compression by a contender. */
export interface Timed {
  /** Wall time, ms (an external tool's includes its process start, ~1 ms). */
  ms: number;
  /** Compressed bytes. */
  outBytes: number;
}

/** A contender that could not run, and why (not installed, no --allow-run). */
export interface Skipped {
  /** Why it did not run. */
  skipped: string;
}

/**
 * Compresses the file on this thread with `node:zlib`'s `gzipSync`
 * (reading it included).
 *
 * @example
 * ```ts ignore
 * import { zlibOneThread } from "./baselines.ts";
 * console.log(zlibOneThread("/etc/hostname", 6).outBytes);
 * ```
 */
export function zlibOneThread(path: string, level: number): Timed {
  const start = performance.now();
  const out = gzipSync(Deno.readFileSync(path), { level });
  return { ms: performance.now() - start, outBytes: out.length };
}

/**
 * Compresses the file on this thread the way the pool's workers do — the
 * same blocks, dictionaries and zlib engine — one block after another
 * (reading it included): what the pool's speed-up is from parallelism
 * alone. Returns the size a .gz would have (18 bytes of header and trailer).
 *
 * @example
 * ```ts ignore
 * import { blocksOneThread } from "./baselines.ts";
 * console.log(blocksOneThread("/etc/hostname", 6, 256 << 10).outBytes);
 * ```
 */
export function blocksOneThread(
  path: string,
  level: number,
  block: number,
): Timed & { crc: number } {
  const start = performance.now();
  const data = Deno.readFileSync(path);
  const out = new Uint8Array(deflateBound(block));
  let outBytes = data.length === 0 ? 2 + 18 : 18;
  let crc = 0;
  for (let at = 0; at < data.length; at += block) {
    const body = data.subarray(at, at + block);
    crc = crc32(body, crc);
    outBytes += deflateBlock(
      data.subarray(Math.max(0, at - WINDOW), at),
      body,
      at + block >= data.length,
      level,
      out,
    );
  }
  return { ms: performance.now() - start, outBytes, crc };
}

function whyNot(e: unknown, tool: string): Skipped {
  if (e instanceof Deno.errors.NotFound) {
    return { skipped: `${tool} is not installed` };
  }
  if (e instanceof Deno.errors.NotCapable) {
    return { skipped: `not run: needs --allow-run=${tool}` };
  }
  throw e;
}

async function runTool(
  tool: string,
  args: string[],
): Promise<
  { ms: number; stdout: Uint8Array; ok: boolean; stderr: string } | Skipped
> {
  const start = performance.now();
  try {
    const out = await new Deno.Command(tool, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      ms: performance.now() - start,
      stdout: out.stdout,
      ok: out.success,
      stderr: new TextDecoder().decode(out.stderr).trim(),
    };
  } catch (e) {
    return whyNot(e, tool);
  }
}

/**
 * Compresses the file with an external tool (`gzip`, `pigz`) writing to a
 * pipe; `args` come before the path (e.g. `["-p", "2", "-6"]`). `-n` keeps
 * the name out of the header, as ours.
 *
 * @example
 * ```ts ignore
 * import { externalGzip } from "./baselines.ts";
 * console.log(await externalGzip("pigz", ["-p", "2", "-6"], "/etc/hostname"));
 * ```
 */
export async function externalGzip(
  tool: string,
  args: string[],
  path: string,
): Promise<Timed | Skipped> {
  const r = await runTool(tool, [...args, "-n", "-c", "--", path]);
  if ("skipped" in r) return r;
  if (!r.ok) return { skipped: `${tool} failed: ${r.stderr.split("\n")[0]}` };
  return { ms: r.ms, outBytes: r.stdout.length };
}

/** How a .gz decompressed, by each decompressor. */
export interface Verified {
  /** `node:zlib` `gunzipSync` gave the input back byte for byte. */
  zlib: boolean;
  /** The system `gunzip` did, or why it did not run. */
  gunzip: boolean | Skipped;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Decompresses `gz` with `node:zlib` and with the system `gunzip`, and
 * compares each with `input`'s bytes.
 *
 * @example
 * ```ts ignore
 * import { verifyGzip } from "./baselines.ts";
 * console.log(await verifyGzip("/tmp/x.gz", "/tmp/x"));
 * ```
 */
export async function verifyGzip(gz: string, input: string): Promise<Verified> {
  const want = Deno.readFileSync(input);
  let zlib = false;
  try {
    zlib = sameBytes(gunzipSync(Deno.readFileSync(gz)), want);
  } catch {
    zlib = false; // a corrupt stream: that is the answer
  }
  const r = await runTool("gunzip", ["-c", "--", gz]);
  const gunzip = "skipped" in r ? r : r.ok && sameBytes(r.stdout, want);
  return { zlib, gunzip };
}
