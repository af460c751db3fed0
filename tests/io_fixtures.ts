/**
 * Shared fixtures of the I/O source tests: files of known content, and a
 * run that pushes thousands of reads through a pool and checks that each
 * completion was handled exactly once with the right bytes.
 *
 * @module
 */

import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import { openForRead } from "../io/file.ts";
import type { IoSource } from "../io/source.ts";
import type { BlockResult } from "../cli/checksum_worker.ts";
import { WorkerPool } from "../workers/pool.ts";

/** The demo's handler: `{ crc, n }` of each block, or `{ error }`. */
export const CRC_HANDLER = new URL(
  "../cli/checksum_worker.ts",
  import.meta.url,
);

/** Writes `blocks` blocks of `size` bytes, each different; returns their CRCs. */
export function blocksFile(
  path: string,
  blocks: number,
  size: number,
): number[] {
  const buf = new Uint8Array(blocks * size);
  const words = new Uint32Array(buf.buffer);
  let x = 0x12345678;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x;
  }
  Deno.writeFileSync(path, buf);
  return Array.from(
    { length: blocks },
    (_, i) => crc32(buf.subarray(i * size, (i + 1) * size)),
  );
}

/**
 * Reads every block of `path` through `source` attached to a fresh pool of
 * `workers`, and asserts each block was handled exactly once with its
 * expected CRC. Returns the source's final stats.
 */
export async function readAllExactlyOnce(
  source: IoSource,
  path: string,
  expected: number[],
  direct: boolean,
  workers = 4,
): Promise<ReturnType<IoSource["stats"]>> {
  const size = source.blockSize;
  const seen = new Map<number, number>();
  const perWorker = new Set<number>();
  let dups = 0;
  await using pool = new WorkerPool({ workers });
  pool.attach(source, {
    handler: CRC_HANDLER,
    onResult(v, { tag, worker }) {
      const r = v as BlockResult;
      assert.ok(!("error" in r), `block ${tag}: ${"error" in r && r.error}`);
      if (seen.has(tag)) dups++;
      seen.set(tag, r.crc);
      perWorker.add(worker);
    },
  });
  using file = openForRead(path, { direct });
  assert.equal(file.direct, direct);
  for (let i = 0; i < expected.length; i++) {
    await source.ready();
    source.read(file, i * size, { tag: i });
  }
  await source.drain();
  const stats = source.stats();
  await source.close();
  assert.equal(dups, 0, "no completion handled twice");
  assert.equal(seen.size, expected.length, "every completion handled");
  for (let i = 0; i < expected.length; i++) {
    assert.equal(seen.get(i), expected[i], `block ${i}`);
  }
  assert.equal(stats.handled, expected.length);
  assert.equal(stats.inFlight, 0);
  return stats;
}
