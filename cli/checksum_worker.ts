/**
 * The demo's source handler: the CRC-32 of one block, computed in a worker.
 *
 * @module
 */

import type { Completion } from "../mod.ts";
import { crc32 } from "node:zlib";

/** A block's CRC and length, or why its read failed. */
export type BlockResult = { crc: number; n: number } | {
  error: string;
};

/**
 * Checksums the bytes a read brought in.
 *
 * @example
 * ```ts ignore
 * // Loaded by the pool in its workers: pool.attach(source, { handler: new URL("./checksum_worker.ts", import.meta.url) })
 * ```
 */
export function handle(c: Completion): BlockResult {
  if (c.error) return { error: c.error.message };
  return { crc: crc32(c.data!), n: c.res };
}
