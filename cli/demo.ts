/**
 * `efdpool demo`: checksum a file or a directory tree in parallel — the
 * kernel completes the reads, the pool's workers checksum the blocks — and
 * compare with a single-threaded run.
 *
 * @module
 */

import { WorkerPool } from "../workers/pool.ts";
import { CliError, helpText, intOption, parse, sizeOption } from "./args.ts";
import {
  checksumParallel,
  type ChecksumRun,
  checksumSequential,
} from "./checksum.ts";
import { ensureSampleFile, listFiles } from "./files.ts";
import { DEMO_SPEC } from "./specs.ts";
import { ProgressBar } from "./progress.ts";
import { pickReadSource, readSourceChoice, sourceLabel } from "./sources.ts";

/** Where the generated default input goes. */
export function samplePath(size: number): string {
  return `/tmp/efdpool-demo-${size}.bin`;
}

function mib(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

function speed(run: ChecksumRun): string {
  return `${(run.bytes / (1 << 20) / (run.ms / 1000)).toFixed(0)} MiB/s`;
}

function hex(crc: number): string {
  return crc.toString(16).padStart(8, "0");
}

/**
 * Runs the demo with `argv` (after the subcommand); returns the exit code.
 *
 * @example
 * ```ts ignore
 * import { demo } from "./demo.ts";
 * Deno.exit(await demo(["--size", "8M"]));
 * ```
 */
export async function demo(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, DEMO_SPEC);
  if (values.help) {
    console.log(helpText(DEMO_SPEC));
    return 0;
  }
  if (positionals.length > 1) {
    throw new CliError(
      `demo takes at most one PATH, got ${positionals.length}`,
      2,
    );
  }
  const choice = readSourceChoice(values.source);
  const workers = intOption(values, "workers", navigator.hardwareConcurrency);
  const block = sizeOption(values, "block", 256 << 10);
  if (block % 4096) {
    throw new CliError(`--block must be a multiple of 4K, got ${block}`, 2);
  }
  const depth = intOption(values, "depth", 32);
  const size = sizeOption(values, "size", 64 << 20);
  const json = values.json === true;
  const log = json ? () => {} : (s: string) => console.log(s);

  let target = positionals[0];
  if (target === undefined) {
    target = samplePath(size);
    log(
      `efdpool demo: no PATH given, using a generated ${
        mib(size)
      } file: ${target}`,
    );
    ensureSampleFile(target, size);
  }
  const paths = listFiles(target);
  if (paths.length === 0) {
    throw new CliError(`${target}: no regular files to checksum`);
  }

  const { source, notes } = pickReadSource(choice, {
    depth,
    blockSize: block,
  });
  const via = sourceLabel(source.backend);
  for (const n of notes) log(n);
  const total = paths.reduce((a, p) => a + Deno.statSync(p).size, 0);
  log(
    `checksumming ${paths.length} file${paths.length > 1 ? "s" : ""}, ${
      mib(total)
    }: ` +
      `${via} reads of ${
        block >> 10
      } KiB, ${depth} in flight, ${workers} workers`,
  );

  const bar = new ProgressBar(
    total,
    `parallel via ${via}`,
    !json && Deno.stderr.isTerminal(),
  );
  let parallel: ChecksumRun;
  {
    await using pool = new WorkerPool({ workers, name: "demo" });
    parallel = await checksumParallel(paths, source, pool, {
      direct: values.direct === true,
      onProgress: (done) => bar.update(done, mib(done)),
    });
    bar.finish();
  }
  const sequential = checksumSequential(paths, block);

  const mismatches = parallel.files.filter((f, i) =>
    f.crc !== sequential.files[i].crc
  );
  if (json) {
    console.log(JSON.stringify({
      source: source.backend,
      notes,
      files: parallel.files.map((f, i) => ({
        ...f,
        crc: hex(f.crc),
        sequentialCrc: hex(sequential.files[i].crc),
      })),
      bytes: parallel.bytes,
      parallel: {
        ms: parallel.ms,
        warmupMs: parallel.warmupMs,
        workers,
        perWorker: parallel.perWorker,
        direct: parallel.direct,
        ...(parallel.directFallback
          ? { directFallback: parallel.directFallback }
          : {}),
      },
      sequential: { ms: sequential.ms },
      match: mismatches.length === 0,
    }));
    return mismatches.length ? 1 : 0;
  }
  if (values.direct) {
    log(
      parallel.direct
        ? "reads: O_DIRECT (page cache bypassed)"
        : `reads: buffered (${parallel.directFallback})`,
    );
  }
  const shown = parallel.files.slice(0, 10);
  for (const f of shown) {
    log(`  ${hex(f.crc)}  ${String(f.size).padStart(12)}  ${f.path}`);
  }
  if (parallel.files.length > shown.length) {
    log(`  … and ${parallel.files.length - shown.length} more files`);
  }
  const label = paths.length === 1
    ? `crc32 ${hex(parallel.files[0].crc)}`
    : `${paths.length} CRCs`;
  const seqLabel = paths.length === 1
    ? `crc32 ${hex(sequential.files[0].crc)}`
    : `${paths.length} CRCs`;
  log(
    `parallel   (${workers} workers, ${via}): ${label}  in ${
      parallel.ms.toFixed(0).padStart(5)
    } ms  (${speed(parallel)})`,
  );
  log(
    `sequential (1 thread, read()): ${
      " ".repeat(
        Math.max(0, via.length + String(workers).length - 4),
      )
    }${seqLabel}  in ${sequential.ms.toFixed(0).padStart(5)} ms  (${
      speed(sequential)
    })`,
  );
  const shares = (parallel.perWorker ?? []).map((n, i) => `w${i} ${n}`).join(
    ", ",
  );
  log(
    `blocks per worker: ${shares}; pool start-up before the clock: ${
      parallel.warmupMs.toFixed(0)
    } ms`,
  );
  if (mismatches.length) {
    log(`MISMATCH in ${mismatches.length} file(s), e.g. ${mismatches[0].path}`);
    return 1;
  }
  log(
    `match: yes — speed-up ×${
      (sequential.ms / parallel.ms).toFixed(2)
    } over one thread`,
  );
  return 0;
}
