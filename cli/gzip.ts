/**
 * Parallel gzip, as pigz does it, from kernel-completed reads: the source
 * reads each block (with the 32 KiB before it) and signals the pool; a
 * worker deflates it (gzip_worker.ts); this thread writes the blocks'
 * output in order between a gzip header and a trailer whose CRC-32 is
 * combined from the blocks' CRCs.
 *
 * @module
 */

import {
  type BlockSource,
  openForRead,
  type ReadFile,
  type WorkerPool,
} from "../mod.ts";
import { crc32Combine } from "./libz.ts";
import {
  deflateBound,
  type GzipBlock,
  type GzipJob,
  WARMUP_TAG,
  WINDOW,
} from "./gzip_worker.ts";

/** A gzip run failed: a read, a block, or the file changed under it. */
export class GzipError extends Error {
  /**
   * Builds the error.
   *
   * @param message What failed, naming the file.
   *
   * @example
   * ```ts
   * import { GzipError } from "./gzip.ts";
   * console.log(new GzipError("x: short read").name); // GzipError
   * ```
   */
  constructor(message: string) {
    super(message);
    this.name = "GzipError";
  }
}

/** Options for {@linkcode gzipParallel}. */
export interface GzipOptions {
  /** zlib level 1..9 (default 6). */
  level?: number;
  /** Uncompressed bytes per block (default: the source's blockSize − 32 KiB). */
  block?: number;
  /**
   * Most blocks read and not yet written out (default: twice the source's
   * depth), so a block that lags does not stall the reads behind it at once.
   */
  window?: number;
  /** Called as blocks are written, with the input bytes done. */
  onProgress?: (bytesDone: number) => void;
}

/** What a gzip run did and took. */
export interface GzipRun {
  /** Input bytes. */
  bytes: number;
  /** Bytes of the .gz written. */
  outBytes: number;
  /** CRC-32 of the input, as in the trailer. */
  crc: number;
  /** Wall time in ms, from the first read to the trailer. */
  ms: number;
  /** Pool start-up before the clock (workers loading the handler), ms. */
  warmupMs: number;
  /**
   * Time this thread spent in write(2) for the output, ms: what a write
   * path through the kernel source (io_uring) could save at most.
   */
  writeMs: number;
  /** Blocks deflated. */
  blocks: number;
  /** Blocks deflated per worker. */
  perWorker: number[];
}

/** The 10-byte gzip header: deflate, no name, no mtime, "Unix". */
export const GZIP_HEADER = new Uint8Array([
  0x1f,
  0x8b,
  8,
  0,
  0,
  0,
  0,
  0,
  0,
  3,
]);

/** The deflate stream of empty input: one final, empty fixed-Huffman block. */
const EMPTY_DEFLATE = new Uint8Array([3, 0]);

/** The 8-byte gzip trailer: CRC-32 and size mod 2^32, little-endian. */
export function gzipTrailer(crc: number, size: number): Uint8Array {
  const t = new Uint8Array(8);
  const v = new DataView(t.buffer);
  v.setUint32(0, crc >>> 0, true);
  v.setUint32(4, size % 2 ** 32, true);
  return t;
}

function writeAll(f: Deno.FsFile, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length;) at += f.writeSync(bytes.subarray(at));
}

/**
 * Compresses `input` into the gzip file `output` (created or truncated)
 * through `source`, attached to `pool` for the run.
 *
 * @example
 * ```ts ignore
 * const run = await gzipParallel("/tmp/in.txt", "/tmp/in.txt.gz", source, pool, { level: 6 });
 * console.log(run.outBytes, run.crc.toString(16));
 * ```
 */
export async function gzipParallel(
  input: string,
  output: string,
  source: BlockSource,
  pool: WorkerPool,
  options: GzipOptions = {},
): Promise<GzipRun> {
  const { level = 6, block = source.blockSize - WINDOW } = options;
  if (block <= 0 || block + WINDOW > source.blockSize) {
    throw new RangeError(
      `block must be within 1..${
        source.blockSize - WINDOW
      } (the source's blockSize less 32 KiB), got ${block}`,
    );
  }
  using file = openForRead(input, { direct: false });
  using out = Deno.openSync(output, {
    write: true,
    create: true,
    truncate: true,
  });
  try {
    return await compress(file, out, source, pool, level, block, options);
  } catch (e) {
    // No half-written .gz is left to pass for the real thing.
    try {
      Deno.removeSync(output);
    } catch { /* gone already */ }
    throw e;
  }
}

async function compress(
  file: ReadFile,
  out: Deno.FsFile,
  source: BlockSource,
  pool: WorkerPool,
  level: number,
  block: number,
  options: GzipOptions,
): Promise<GzipRun> {
  const input = file.path;
  const size = file.size;
  const count = Math.ceil(size / block);
  const pending = new Map<number, GzipBlock>();
  const perWorker: number[] = [];
  // Block k's output waits in region k mod regions until written; block
  // k + regions is read only after that.
  const regions = options.window ?? 2 * source.depth;
  const regionBytes = deflateBound(block);
  const arena = new SharedArrayBuffer(regions * regionBytes);
  let advanced = Promise.withResolvers<void>();
  let next = 0;
  let crc = 0;
  let outBytes = 0;
  let failure: Error | undefined;
  let writeMs = 0;
  const emit = (bytes: Uint8Array) => {
    const t = performance.now();
    writeAll(out, bytes);
    writeMs += performance.now() - t;
    outBytes += bytes.length;
  };

  const job: GzipJob = { level, block, size, arena, regions, regionBytes };
  pool.attach(source, {
    handler: new URL("./gzip_worker.ts", import.meta.url),
    name: `gzip/${source.backend}`,
    data: job,
    onResult(value, { tag, worker }) {
      if (tag === WARMUP_TAG || failure) return;
      const v = value as GzipBlock;
      if ("error" in v) {
        failure = new GzipError(`${input}: block ${tag}: ${v.error}`);
        advanced.resolve();
        return;
      }
      perWorker[worker] = (perWorker[worker] ?? 0) +
        1;
      pending.set(tag, v);
      try {
        // Blocks finish in any order; the file takes them in order.
        for (
          let b = pending.get(next);
          b && !("error" in b);
          b = pending.get(next)
        ) {
          const at = (next % regions) * regionBytes;
          emit(new Uint8Array(arena, at, b.length));
          crc = crc32Combine(crc, b.crc, b.n);
          pending.delete(next++);
        }
      } catch (e) {
        failure = e as Error; // e.g. ENOSPC writing the output
      }
      advanced.resolve();
      options.onProgress?.(Math.min(size, next * block));
    },
    onError(error) {
      failure ??= error;
      advanced.resolve();
    },
  });

  const warmupStart = performance.now();
  let start = warmupStart;
  try {
    // One tiny read first, so the pool has loaded the handler before the
    // clock starts; reported apart as start-up.
    if (size > 0) {
      source.read(file, 0, { tag: WARMUP_TAG, length: Math.min(size, 4096) });
      await source.drain();
    }
    start = performance.now();
    emit(GZIP_HEADER);
    const batch = Math.max(1, source.depth >> 2);
    for (let k = 0; k < count && !failure; k++) {
      while (k >= next + regions && !failure) {
        // Its region still holds an unwritten block. Every block before k
        // is in flight, so the wait ends; if all were handled and it did
        // not, a result went missing.
        advanced = Promise.withResolvers<void>();
        const drained = source.drain().then(() => true, (e) => {
          failure ??= e;
          return true;
        });
        if (await Promise.race([advanced.promise.then(() => false), drained])) {
          if (k >= next + regions && !failure) {
            throw new GzipError(`${input}: block ${next} was never handled`);
          }
        }
      }
      if (source.inFlight >= source.depth) {
        await source.ready({ slots: batch });
      }
      const at = k * block;
      const from = Math.max(0, at - WINDOW);
      source.read(file, from, {
        tag: k,
        length: at - from + Math.min(block, size - at),
      });
    }
    await source.drain();
  } finally {
    await source.close();
  }
  if (failure) throw failure;
  if (next !== count) {
    throw new GzipError(`${input}: ${count - next} blocks never came back`);
  }
  if (count === 0) emit(EMPTY_DEFLATE);
  emit(gzipTrailer(crc, size));
  return {
    bytes: size,
    outBytes,
    crc,
    ms: performance.now() - start,
    warmupMs: start - warmupStart,
    writeMs,
    blocks: count,
    perWorker: Array.from(perWorker, (n) => n ?? 0),
  };
}
