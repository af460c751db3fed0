/**
 * `efdpool watch --synthetic`'s load: a pool of our own checksumming
 * kernel-completed reads of a file over and over, until stopped.
 *
 * @module
 */

import { openForRead, WorkerPool } from "../mod.ts";
import { CliError, type Parsed } from "./args.ts";
import { intOption, sizeOption, workersOption } from "./options.ts";
import { statReadable } from "./files.ts";
import { ensureSample } from "./sample.ts";
import { pickSource, sourceChoice } from "./sources.ts";

/** A running synthetic load. */
export interface SyntheticLoad {
  /** The pool under load. */
  pool: WorkerPool;
  /** What to call it in the view. */
  title: string;
  /** Set if the load failed. */
  failure?: Error;
  /** Stops submitting, drains, closes the source and the pool. */
  stop(): Promise<void>;
}

/**
 * Starts the load on `path` (default: the demo's generated input) with the
 * `--source`, `--workers`, `--depth` and `--block` in `values`.
 *
 * @example
 * ```ts ignore
 * const load = await startSynthetic(undefined, { workers: "2" }, false);
 * await load.stop();
 * ```
 */
export async function startSynthetic(
  path: string | undefined,
  values: Parsed["values"],
  quiet: boolean,
): Promise<SyntheticLoad> {
  const choice = sourceChoice(values.source);
  const workers = workersOption(values);
  const depth = intOption(values, "depth", 32, 1, 1024);
  const block = sizeOption(values, "block", 64 << 10, 4096, 16 << 20);
  if (path === undefined) path = ensureSample(32 << 20);
  else if (!statReadable(path).isFile) {
    throw new CliError(`${path}: watch --synthetic needs a regular file`);
  }
  const file = openForRead(path, { direct: false });
  if (file.size === 0) {
    file.close();
    throw new CliError(`${path}: the file is empty; nothing to read`);
  }
  const { source, notes } = pickSource(choice, { depth, blockSize: block });
  if (!quiet) { for (const n of notes) console.log(n); }
  const pool = new WorkerPool({ workers, name: "watch" });
  pool.attach(source, {
    handler: new URL("./checksum_worker.ts", import.meta.url),
    name: `watch/${source.backend}`,
  });
  let running = true;
  const load: SyntheticLoad = {
    pool,
    title: `synthetic: ${source.backend} reads of ${
      block >> 10
    } KiB, ${workers} workers`,
    async stop() {
      running = false;
      await loop;
    },
  };
  const loop = (async () => {
    try {
      let offset = 0;
      while (running) {
        while (source.inFlight < source.depth) {
          source.read(file, offset, {
            length: Math.min(block, file.size - offset),
          });
          offset += block;
          if (offset >= file.size) offset = 0;
        }
        await source.ready();
      }
    } catch (e) {
      load.failure = e as Error;
    } finally {
      await source.close();
      file.close();
      await pool.close();
    }
  })();
  await pool.started();
  return load;
}
