/**
 * `efdpool crc32`'s job: the CRC-32 of every file in a list, in parallel —
 * the kernel completes block reads, a pool's workers checksum the blocks
 * with `node:zlib`'s `crc32()`, the system zlib's `crc32Combine` joins them.
 *
 * @module
 */

import {
  type BlockSource,
  openForRead,
  type ReadFile,
  type WorkerPool,
} from "../mod.ts";
import type { BlockResult } from "./checksum_worker.ts";
import { crc32Combine } from "./libz.ts";

/** One file's checksum. */
export interface FileSum {
  /** The path. */
  path: string;
  /** Bytes checksummed. */
  size: number;
  /** CRC-32 of the content. */
  crc: number;
}

/** A run's checksums and what it took. */
export interface ChecksumRun {
  /** Per file, in input order. */
  files: FileSum[];
  /** Total bytes. */
  bytes: number;
  /** Wall time in ms, after the warm-up. */
  ms: number;
  /** Time to start up before the clock (pool workers loading the handler, JIT), ms. */
  warmupMs: number;
  /** Block reads completed. */
  blocks: number;
  /** Blocks checksummed per worker (parallel runs). */
  perWorker?: number[];
  /** Whether reads bypassed the page cache. */
  direct?: boolean;
  /** Why O_DIRECT was wanted and not used, if so. */
  directFallback?: string;
}

/** Options for {@linkcode checksumParallel}. */
export interface ParallelOptions {
  /** Try O_DIRECT (falls back to buffered where unsupported). */
  direct: boolean;
  /** Called after each block, e.g. for a progress bar. */
  onProgress?: (bytesDone: number) => void;
}

/** A read failed or a file changed under the run. */
export class ChecksumError extends Error {
  /**
   * Builds the error.
   *
   * @param message What failed, naming the file.
   *
   * @example
   * ```ts
   * import { ChecksumError } from "./checksum.ts";
   * console.log(new ChecksumError("x: read failed").name); // ChecksumError
   * ```
   */
  constructor(message: string) {
    super(message);
    this.name = "ChecksumError";
  }
}

interface Piece {
  offset: number;
  length: number;
  crc: number;
}

interface OpenFile {
  index: number;
  file: ReadFile;
  pieces: Piece[];
  outstanding: number;
  /** Whether every block has been submitted once. */
  queued: boolean;
}

interface Request {
  f: OpenFile;
  offset: number;
  length: number;
}

/** Joins a file's pieces, in offset order; they must cover it exactly. */
function combine(f: OpenFile): number {
  const pieces = f.pieces.sort((a, b) => a.offset - b.offset);
  let crc = 0;
  let at = 0;
  for (const p of pieces) {
    if (p.offset !== at) break;
    crc = crc32Combine(crc, p.crc, p.length);
    at += p.length;
  }
  if (at !== f.file.size) {
    throw new ChecksumError(
      `${f.file.path}: got ${at} of ${f.file.size} bytes; did the file shrink during the run?`,
    );
  }
  return crc;
}

const WARMUP_TAG = -1;

/**
 * Reads one block and waits until a worker has handled it: the pool's
 * workers have loaded the handler module by then, so the clock measures
 * the job and not the start-up (reported apart).
 */
async function warmUp(
  source: BlockSource,
  paths: string[],
  direct: boolean,
): Promise<void> {
  for (const path of paths) {
    using file = openForRead(path, { direct: direct ? "auto" : false });
    if (file.size === 0) continue;
    source.read(file, 0, {
      tag: WARMUP_TAG,
      length: file.direct ? 4096 : Math.min(4096, file.size),
    });
    await source.drain();
    return;
  }
}

/**
 * Checksums `paths` through `source` (attached to `pool` for the run): one
 * read per block of `source.blockSize` bytes, as many in flight as the
 * source's depth, each block's CRC computed by whichever worker the kernel
 * woke.
 *
 * @example
 * ```ts ignore
 * const run = await checksumParallel(["/tmp/a.bin"], source, pool, { direct: false });
 * console.log(run.files[0].crc.toString(16));
 * ```
 */
export async function checksumParallel(
  paths: string[],
  source: BlockSource,
  pool: WorkerPool,
  options: ParallelOptions,
): Promise<ChecksumRun> {
  const block = source.blockSize;
  const requests: Request[] = [];
  const retries: Request[] = [];
  const sums: FileSum[] = [];
  const perWorker: number[] = [];
  let failure: Error | undefined;
  let outstanding = 0;
  let bytesDone = 0;
  let blocks = 0;
  let direct: boolean | undefined;
  let directFallback: string | undefined;

  const open: OpenFile[] = [];
  // A file is done once all its blocks were queued and answered, with no
  // short read left to retry; its fd is closed at once, so a directory
  // tree never holds more files open than blocks in flight.
  const maybeFinish = (f: OpenFile) => {
    if (!f.queued || f.outstanding > 0 || retries.some((q) => q.f === f)) {
      return;
    }
    if (f.file.fd < 0) return;
    f.file.close();
    sums[f.index] = { path: f.file.path, size: f.file.size, crc: combine(f) };
  };

  pool.attach(source, {
    handler: new URL("./checksum_worker.ts", import.meta.url),
    name: `checksum/${source.backend}`,
    onResult(value, { tag, worker }) {
      if (tag === WARMUP_TAG) return;
      const r = requests[tag];
      const v = value as BlockResult;
      outstanding--;
      r.f.outstanding--;
      if ("error" in v) {
        failure ??= new ChecksumError(`${r.f.file.path}: ${v.error}`);
      } else {
        perWorker[worker] = (perWorker[worker] ?? 0) +
          1;
        blocks++;
        bytesDone += v.n;
        r.f.pieces.push({ offset: r.offset, length: v.n, crc: v.crc });
        const end = r.offset + v.n;
        if (v.n < r.length && end < r.f.file.size) {
          if (v.n === 0) {
            failure ??= new ChecksumError(
              `${r.f.file.path}: unexpected end of file at ${end}`,
            );
          } else {
            // A short read: ask for the rest.
            retries.push({
              f: r.f,
              offset: end,
              length: Math.min(r.length - v.n, r.f.file.size - end),
            });
          }
        }
        options.onProgress?.(bytesDone);
      }
      maybeFinish(r.f);
    },
    onError(error) {
      outstanding--;
      failure ??= error;
    },
  });

  // Refill in batches: when full, wait for a quarter of the slots, then
  // fill them in one go — fewer wake-ups here, one io_uring_enter a batch.
  const batch = Math.max(1, source.depth >> 2);
  const slot = async () => {
    if (source.inFlight >= source.depth) await source.ready({ slots: batch });
  };
  const submit = (r: Request) => {
    requests.push(r);
    r.f.outstanding++;
    outstanding++;
    source.read(r.f.file, r.offset, {
      length: r.f.file.direct ? Math.ceil(r.length / 4096) * 4096 : r.length,
      tag: requests.length - 1,
    });
  };

  const warmupStart = performance.now();
  let start = warmupStart;
  try {
    await warmUp(source, paths, options.direct);
    start = performance.now();
    for (let i = 0; i < paths.length && !failure; i++) {
      const file = openForRead(paths[i], {
        direct: options.direct ? "auto" : false,
      });
      direct ??= file.direct;
      directFallback ??= file.directFallback;
      const f: OpenFile = {
        index: i,
        file,
        pieces: [],
        outstanding: 0,
        queued: false,
      };
      open.push(f);
      for (let off = 0; off < file.size && !failure; off += block) {
        while (retries.length) {
          await slot();
          submit(retries.shift()!);
        }
        await slot();
        submit({ f, offset: off, length: Math.min(block, file.size - off) });
      }
      f.queued = true;
      maybeFinish(f);
    }
    while (outstanding > 0 || retries.length) {
      while (retries.length && !failure) {
        await slot();
        submit(retries.shift()!);
      }
      await source.drain();
      if (failure) break;
    }
  } finally {
    await source.close();
    for (const f of open) f.file.close();
  }
  if (failure) throw failure;
  const ms = performance.now() - start;
  return {
    files: sums,
    bytes: sums.reduce((a, s) => a + s.size, 0),
    ms,
    warmupMs: start - warmupStart,
    blocks,
    perWorker: Array.from(perWorker, (n) => n ?? 0),
    direct: direct ?? false,
    ...(directFallback ? { directFallback } : {}),
  };
}
