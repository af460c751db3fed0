/**
 * The demo's source handler: deflate one block, in a worker, as pigz does.
 * Each read brings the block and the 32 KiB before it; those 32 KiB prime
 * the compressor so back-references reach into the previous block and the
 * ratio matches a single stream. Every block but the last ends with a sync
 * flush (byte-aligned, not final), so the main thread can concatenate the
 * blocks' output into one deflate stream.
 *
 * @module
 */

import { constants, crc32, createDeflateRaw } from "node:zlib";
import type { Completion, HandlerContext } from "../mod.ts";

/** The window deflate can refer back into, and so the dictionary size. */
export const WINDOW = 32 << 10;

/** What the main thread hands each worker as `ctx.data`. */
export interface GzipJob {
  /** zlib level, 1..9. */
  level: number;
  /** Uncompressed bytes per block (the last one may be shorter). */
  block: number;
  /** Size of the input. */
  size: number;
  /**
   * Where workers put their output: block k's goes to region k mod
   * `regions`, `regionBytes` each, and stays until the main thread has
   * written it out (it submits block k + regions only after that). Small
   * results (a few numbers) travel back much faster than bytes.
   */
  arena: SharedArrayBuffer;
  /** Regions in the arena. */
  regions: number;
  /** Bytes per region: room for the worst-case deflate output of a block. */
  regionBytes: number;
}

/** One block's CRC-32 and the length of its output in its region, or why it failed. */
export type GzipBlock =
  | { crc: number; n: number; length: number }
  | { error: string };

/**
 * Room deflate needs at most for `n` bytes, plus the sync-flush marker: the
 * stored-block worst case (5 bytes per 16 KiB and change) with margin.
 *
 * @example
 * ```ts
 * import { deflateBound } from "./gzip_worker.ts";
 * console.log(deflateBound(131072) > 131072); // true
 * ```
 */
export function deflateBound(n: number): number {
  return n + (n >> 3) + 1024;
}

/** Tag of the read that only loads this module in a worker. */
export const WARMUP_TAG = -1;

/** The engine inside node:zlib's DeflateRaw, which its sync functions drive. */
interface ZlibEngine {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOff: number,
    inLen: number,
    out: Uint8Array,
    outOff: number,
    outLen: number,
  ): void;
  params(level: number, strategy: number): void;
  reset(): void;
}

const scratch = new Uint8Array(64 << 10);
let engine: { z: ZlibEngine; state: Uint32Array } | undefined;

function theEngine(): { z: ZlibEngine; state: Uint32Array } {
  if (engine) return engine;
  const s = createDeflateRaw() as unknown as {
    _handle?: ZlibEngine;
    /** [output bytes left free, input bytes left unread] after a write. */
    _writeState?: Uint32Array;
  };
  if (!s._handle || !s._writeState) {
    throw new Error(
      "this Deno's node:zlib has no sync engine (_handle.writeSync); efdpool's gzip needs Deno 2.9.6",
    );
  }
  return engine = { z: s._handle, state: s._writeState };
}

/**
 * Deflates `body` into `out`, primed with `dict`; ends with a sync flush,
 * or with the final block when `last`. Returns the bytes written; throws if
 * `out` is too small (see {@linkcode deflateBound}).
 *
 * Deno's `node:zlib` (2.9.6) ignores the `dictionary` option, and its sync
 * functions compress one chunk per stream; its streams take a thread hop
 * per write, about 1.5× the cost here. So this drives the stream's engine
 * the way node:zlib's own sync path does (`_handle.writeSync`): the
 * dictionary is compressed first with a sync flush and its output dropped —
 * the window then holds it, as `deflateSetDictionary` would arrange — and
 * the body follows in the same stream. One engine per thread is reset for
 * each block rather than made anew: a fifth less time per block here. Behind blocks of 128 KiB and more,
 * the dictionary is compressed at level 1, a fraction of the cost (the
 * priming would otherwise add a quarter to an eighth of the work); the
 * ratio stays within 0.3% of priming at `level` (measured on the demo's
 * log text). Smaller blocks lean on the dictionary more: primed at `level`.
 *
 * @example
 * ```ts
 * import { inflateRawSync } from "node:zlib";
 * import { deflateBlock, deflateBound } from "./gzip_worker.ts";
 * const body = new TextEncoder().encode("hello hello hello");
 * const out = new Uint8Array(deflateBound(body.length));
 * const n = deflateBlock(new Uint8Array(0), body, true, 6, out);
 * console.log(inflateRawSync(out.subarray(0, n)).length); // 17
 * ```
 */
export function deflateBlock(
  dict: Uint8Array,
  body: Uint8Array,
  last: boolean,
  level: number,
  out: Uint8Array,
): number {
  const { z, state } = theEngine();
  const prime = body.length >= 4 * WINDOW ? 1 : level;
  z.reset();
  z.params(dict.length ? prime : level, constants.Z_DEFAULT_STRATEGY);
  // The dictionary's output is dropped, however many scratch-fuls it
  // takes; room left over means the input is used up and the flush done.
  for (let at = 0, left = dict.length; dict.length > 0;) {
    z.writeSync(
      constants.Z_SYNC_FLUSH,
      dict,
      at,
      left,
      scratch,
      0,
      scratch.length,
    );
    at += left - state[1];
    left = state[1];
    if (state[0] !== 0) break;
  }
  if (dict.length && prime !== level) {
    z.params(level, constants.Z_DEFAULT_STRATEGY);
  }
  const flush = last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH;
  z.writeSync(flush, body, 0, body.length, out, 0, out.length);
  // No room left means the output may not be complete.
  if (state[0] === 0 || state[1] !== 0) {
    throw new RangeError(
      `deflate output of ${body.length} bytes does not fit in ${out.length}`,
    );
  }
  return out.length - state[0];
}

/**
 * Deflates the block a read brought in (tag = block index).
 *
 * @example
 * ```ts ignore
 * // Loaded by the pool in its workers: pool.attach(source, { handler: new URL("./gzip_worker.ts", import.meta.url), data: job })
 * ```
 */
export function handle(
  c: Completion,
  ctx: HandlerContext,
): GzipBlock | null {
  if (c.tag === WARMUP_TAG) return null;
  if (c.error) return { error: c.error.message };
  const { level, block, size, arena, regions, regionBytes } = ctx
    .data as GzipJob;
  const start = c.tag * block;
  const dictLength = start - c.offset;
  const n = Math.min(block, size - start);
  if (c.res !== dictLength + n) {
    return {
      error: `short read: ${c.res} of ${
        dictLength + n
      } bytes at ${c.offset}; did the file change during the run?`,
    };
  }
  const data = c.data!;
  const body = data.subarray(dictLength);
  const region = new Uint8Array(
    arena,
    (c.tag % regions) * regionBytes,
    regionBytes,
  );
  const length = deflateBlock(
    data.subarray(0, dictLength),
    body,
    start + n >= size,
    level,
    region,
  );
  return { crc: crc32(body), n, length };
}
