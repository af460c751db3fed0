/**
 * `efdpool crc32 PATH…`: the CRC-32 of every regular file under the paths,
 * blocks read through a kernel source and checksummed by the pool.
 *
 * @module
 */

import { WorkerPool } from "../mod.ts";
import { CliError, helpText, parse } from "./args.ts";
import { intOption, sizeOption, workersOption } from "./options.ts";
import { checksumParallel } from "./checksum.ts";
import { listFiles } from "./files.ts";
import { CRC32_SPEC } from "./specs.ts";
import { pickReadSource, readSourceChoice } from "./sources.ts";

const hex = (crc: number) => crc.toString(16).padStart(8, "0");

/**
 * Runs `efdpool crc32` with `argv`; returns the exit code.
 *
 * @example
 * ```ts ignore
 * import { crc32Command } from "./crc32_command.ts";
 * Deno.exit(await crc32Command(["/etc"]));
 * ```
 */
export async function crc32Command(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, CRC32_SPEC);
  if (values.help) {
    console.log(helpText(CRC32_SPEC));
    return 0;
  }
  if (positionals.length === 0) {
    throw new CliError("needs at least one PATH (a file or a directory)", 2);
  }
  const choice = readSourceChoice(values.source);
  const workers = workersOption(values);
  const block = sizeOption(values, "block", 256 << 10, 4096, 16 << 20);
  if (block % 4096) {
    throw new CliError(`--block must be a multiple of 4K, got ${block}`, 2);
  }
  const depth = intOption(values, "depth", 32, 1, 1024);
  if (depth * block > 2 ** 30) {
    throw new CliError(
      `--depth × --block is too much memory: ${depth} × ${
        block >> 10
      } KiB read buffers; keep it within 1 GiB`,
      2,
    );
  }
  const json = values.json === true;
  const paths = positionals.flatMap((p) => listFiles(p));
  if (paths.length === 0) {
    throw new CliError(
      `${positionals.join(", ")}: no regular files to checksum`,
    );
  }
  const { source, notes } = pickReadSource(choice, { depth, blockSize: block });
  let run;
  {
    await using pool = new WorkerPool({ workers, name: "crc32" });
    run = await checksumParallel(paths, source, pool, {
      direct: values.direct === true,
    });
  }
  if (json) {
    console.log(JSON.stringify({
      source: source.backend,
      notes,
      files: run.files.map((f) => ({ ...f, crc: hex(f.crc) })),
      bytes: run.bytes,
      ms: run.ms,
      workers,
      perWorker: run.perWorker,
      direct: run.direct,
      ...(run.directFallback ? { directFallback: run.directFallback } : {}),
    }));
    return 0;
  }
  for (const f of run.files) {
    console.log(`${hex(f.crc)}  ${String(f.size).padStart(12)}  ${f.path}`);
  }
  return 0;
}
