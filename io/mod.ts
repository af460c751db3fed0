/**
 * Kernel completions as efdpool sources, on any Linux host and without a
 * kernel module: Linux AIO (`AioSource`) and io_uring (`IoUringSource`),
 * plus what the root export leaves out: the `IoSource` base class (the root
 * exports only its type), `statPath` and `DIRECT_ALIGN`.
 *
 * Submit operations on the main thread; the kernel signals the source's
 * eventfd as they complete; the workers of the pool it is attached to reap
 * each completion exactly once and run your handler module on it.
 *
 * @example Checksumming the blocks of a file in a pool
 * ```ts
 * import { IoUringSource, openForRead, WorkerPool } from "@efdpool/efdpool";
 * import assert from "node:assert/strict";
 * // handler.ts: export const handle = (c) => c.data.reduce((a, b) => a + b, 0);
 * const handler = "data:text/javascript,export const handle = (c) => c.data.reduce((a, b) => a + b, 0);";
 * await using pool = new WorkerPool({ workers: 2 });
 * const ring = IoUringSource.create({ depth: 16, blockSize: 4096 });
 * let total = 0;
 * pool.attach(ring, { handler, onResult: (sum) => total += sum as number });
 * using f = openForRead("/etc/hostname");
 * for (let off = 0; off < f.size; off += 4096) {
 *   await ring.ready();
 *   ring.read(f, off);
 * }
 * await ring.close(); // every completion handled
 * const bytes = Deno.readFileSync("/etc/hostname");
 * assert.equal(total, bytes.reduce((a, b) => a + b, 0));
 * ```
 *
 * @module
 */

export { AioSource } from "./aio.ts";
export type { BlockSource } from "./block_source.ts";
export { type Completion, type CompletionHandler } from "./completion.ts";
export {
  CompletionError,
  FileOpenError,
  type IoBackend,
  IoLimitError,
  IoUnavailableError,
  UnsupportedFeatureError,
} from "./errors.ts";
export {
  DIRECT_ALIGN,
  openForRead,
  type OpenForReadOptions,
  ReadFile,
  statPath,
} from "./file.ts";
export type { OpName } from "./_slots.ts";
export {
  type AttachSourceOptions,
  type CompletionInfo,
  IoSource,
  type IoSourceOptions,
  type IoSourceStats,
  type ReadOptions,
  type TagOptions,
} from "./source.ts";
export { IoUringSource } from "./uring.ts";
