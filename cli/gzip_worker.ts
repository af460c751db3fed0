/**
 * The demo's source handler: deflate one block, in a worker, as pigz does,
 * with the system zlib (libz.ts) that pigz uses. Each read brings the block
 * and the 32 KiB before it; those 32 KiB are the compressor's dictionary,
 * so back-references reach into the previous block and the ratio matches a
 * single stream. Every block but the last ends with a sync flush
 * (byte-aligned, not final), so the main thread can concatenate the
 * blocks' output into one deflate stream.
 *
 * @module
 */

import type { Completion, HandlerContext } from "../mod.ts";
import { crc32, RawDeflate, Z_FINISH, Z_SYNC_FLUSH } from "./libz.ts";

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

// One stream per thread, reset for each block rather than made anew. It is
// never ended: a Worker's isolate runs no finalizer when it stops, so its
// zlib state (about 270 KiB at memLevel 8) stays until the process exits.
let stream: RawDeflate | undefined;

/**
 * Deflates `body` into `out` through the system zlib, primed with `dict`
 * (`deflateSetDictionary`: back-references reach into the previous block,
 * so the ratio stays that of one stream, as pigz does); ends with a sync
 * flush (byte-aligned, not final), or with the final block when `last`.
 * Returns the bytes written; throws if `out` is too small (see
 * {@linkcode deflateBound}).
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
  stream ??= new RawDeflate(level);
  stream.reset(level);
  stream.setDictionary(dict);
  const r = stream.deflate(body, out, last ? Z_FINISH : Z_SYNC_FLUSH);
  if (!r.done) {
    throw new RangeError(
      `deflate output of ${body.length} bytes does not fit in ${out.length}`,
    );
  }
  return r.written;
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
