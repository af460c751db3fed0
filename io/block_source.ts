/**
 * `BlockSource`: what every block-reading source shares (`AioSource`,
 * `IoUringSource`, `EfdNotifySource`), so code that reads files through a
 * pool works with any of them.
 *
 * @module
 */

import type { Attachable } from "../workers/attachable.ts";
import type { PoolSource } from "../workers/source.ts";
import type { ReadFile } from "./file.ts";
import type { AttachSourceOptions, ReadOptions } from "./source.ts";

/**
 * A source of block reads handled in a pool: queue reads with `read`, put
 * it under a pool with `pool.attach(source, { handler })`, and each block
 * is handed to exactly one worker's handler as a `Completion`.
 *
 * @example Checksumming a file with whichever source the host has
 * ```ts
 * import {
 *   type BlockSource,
 *   IoUringSource,
 *   openForRead,
 *   WorkerPool,
 * } from "@efdpool/efdpool";
 * import assert from "node:assert/strict";
 * async function sum(source: BlockSource, path: string): Promise<number> {
 *   await using pool = new WorkerPool({ workers: 2 });
 *   let total = 0;
 *   pool.attach(source, {
 *     handler: "data:text/javascript,export const handle = (c) => c.data.reduce((a, b) => a + b, 0);",
 *     onResult: (s) => total += s as number,
 *   });
 *   using file = openForRead(path, { direct: false });
 *   for (let off = 0; off < file.size; off += source.blockSize) {
 *     await source.ready();
 *     source.read(file, off);
 *   }
 *   await source.close();
 *   return total;
 * }
 * const path = Deno.makeTempFileSync();
 * Deno.writeFileSync(path, new Uint8Array(10_000).fill(1));
 * const ring = IoUringSource.create({ depth: 4, blockSize: 4096 });
 * assert.equal(await sum(ring, path), 10_000);
 * ```
 */
export interface BlockSource
  extends Attachable<AttachSourceOptions, PoolSource> {
  /** Its kind: `"aio"`, `"io_uring"` or `"efd_notify"`. */
  readonly backend: string;
  /** Largest read in bytes. */
  readonly blockSize: number;
  /** Most reads in flight. */
  readonly depth: number;
  /** Reads queued and not yet handled. */
  readonly inFlight: number;
  /**
   * Queues a read of `file` at `offset`; returns its id. Throws
   * `FullError` when `depth` reads are in flight.
   */
  read(file: ReadFile, offset: number, options?: ReadOptions): number;
  /** Resolves when `slots` reads (default 1) can be queued without `FullError`. */
  ready(options?: { slots?: number }): Promise<void>;
  /** Resolves when every queued read has been handled. */
  drain(): Promise<void>;
  /** Drains, detaches from the pool and frees the source; a second call waits for the first. */
  close(): Promise<void>;
}
