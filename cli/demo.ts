/**
 * `efdpool demo`: gzip a file in parallel — the kernel completes the block
 * reads and signals the pool, the workers deflate the blocks, this thread
 * writes one standard gzip member — then check the output with `node:zlib`
 * and `gunzip`, and time the same job by one `node:zlib` thread, `gzip` and
 * `pigz -p W`, side by side.
 *
 * @module
 */

import { serveStats, statsWanted, WorkerPool } from "../mod.ts";
import { atMost, CliError, helpText, parse } from "./args.ts";
import { intOption, sizeOption, workersOption } from "./options.ts";
import {
  blocksOneThread,
  externalGzip,
  type Skipped,
  type Timed,
  verifyGzip,
  zlibOneThread,
} from "./baselines.ts";
import { statReadable } from "./files.ts";
import { gzipParallel, type GzipRun } from "./gzip.ts";
import { WINDOW } from "./gzip_worker.ts";
import { ProgressBar } from "./progress.ts";
import { ensureSample, samplePath, sampleReady } from "./sample.ts";
import { DEMO_SPEC } from "./specs.ts";
import {
  pickReadSource,
  type ReadSourceChoice,
  readSourceChoice,
  sourceLabel,
} from "./sources.ts";
import {
  figures,
  median,
  render,
  summarize,
  workersLabel,
} from "./demo_report.ts";

interface Settings {
  choice: ReadSourceChoice;
  input?: string;
  output?: string;
  force: boolean;
  level: number;
  workers: number;
  block: number;
  depth: number;
  size: number;
  runs: number;
  json: boolean;
  stats: boolean;
}

function settings(argv: string[]): Settings | null {
  const { values, positionals } = parse(argv, DEMO_SPEC);
  if (values.help) return null;
  atMost(positionals, 1, "PATH");
  const block = sizeOption(values, "block", 256 << 10, 32 << 10, 16 << 20);
  const depth = intOption(values, "depth", 16, 1, 1024);
  // Each block in flight has a read buffer and, twice over, an output region.
  if (3 * depth * block > 2 ** 30) {
    throw new CliError(
      `--depth × --block is too much memory: ${depth} × ${
        block >> 10
      } KiB blocks need ${
        Math.ceil(3 * depth * block / 2 ** 20)
      } MiB of buffers; keep it within 1 GiB`,
      2,
    );
  }
  return {
    choice: readSourceChoice(values.source),
    input: positionals[0],
    output: values.output as string | undefined,
    force: values.force === true,
    level: intOption(values, "level", 6, 1, 9),
    workers: workersOption(values),
    block,
    depth,
    size: sizeOption(values, "size", 32 << 20, 1, 4 * 2 ** 30),
    runs: intOption(values, "runs", 1, 1, 99),
    json: values.json === true,
    stats: values.stats === true || statsWanted(),
  };
}

/**
 * Refuses, before any work, an output Deno may not write, the input itself,
 * or (without -f) one that exists. `input` undefined: the demo's own files.
 */
function checkOutput(
  output: string,
  input: string | undefined,
  force: boolean,
): void {
  if (
    Deno.permissions.querySync({ name: "write", path: output }).state !==
      "granted"
  ) {
    const dir = output.replace(/\/[^/]*$/, "") || "/";
    throw new CliError(
      `${output}: Deno has no write permission for it; run with --allow-write=${dir}, or pick -o under /tmp (deno task demo may write only there)`,
    );
  }
  let exists = true;
  try {
    Deno.lstatSync(output);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    exists = false;
  }
  if (!exists) return;
  if (
    input !== undefined &&
    Deno.realPathSync(output) === Deno.realPathSync(input)
  ) {
    throw new CliError(`${output}: the output would overwrite the input`);
  }
  if (!force) {
    throw new CliError(`${output} already exists; use -f to overwrite it`);
  }
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
  const s = settings(argv);
  if (!s) {
    console.log(helpText(DEMO_SPEC));
    return 0;
  }
  const { choice } = s;
  const log = s.json ? () => {} : (line: string) => console.log(line);
  const tty = !s.json && Deno.stderr.isTerminal();

  // Everything the user typed is checked before anything is written.
  let input = s.input;
  const generated = input === undefined;
  if (input !== undefined && !statReadable(input).isFile) {
    throw new CliError(
      `${input}: not a regular file (the demo compresses one file; efdpool crc32 takes trees)`,
    );
  }
  const output = s.output ??
    (generated ? `${samplePath(s.size)}.gz` : `${input}.gz`);
  if (input === undefined) {
    // The demo's own input and output: regenerated and overwritten freely
    // (an -o of the user's still needs -f).
    checkOutput(output, undefined, s.force || s.output === undefined);
    if (!sampleReady(s.size)) {
      log(
        `efdpool demo: generating ${
          (s.size / (1 << 20)).toFixed(1)
        } MiB of log-like text (once; it is kept in /tmp)`,
      );
    }
    const bar = new ProgressBar(s.size, "generating log-like text", tty);
    input = ensureSample(
      s.size,
      (done) => bar.update(done, `${(done / (1 << 20)).toFixed(0)} MiB`),
    );
    bar.finish();
    log(`efdpool demo: no PATH given, using generated log-like text: ${input}`);
  } else {
    checkOutput(output, input, s.force);
  }

  const { source: first, notes } = pickReadSource(choice, {
    depth: s.depth,
    blockSize: s.block + WINDOW,
  });
  const backend = first.backend;
  for (const n of notes) log(n);
  const bytes = Deno.statSync(input).size;
  log(
    `gzip -${s.level} of ${(bytes / (1 << 20)).toFixed(1)} MiB: ${
      sourceLabel(backend)
    } reads of ${
      s.block >> 10
    } KiB blocks (+32 KiB of dictionary), ${s.depth} in flight, ${
      workersLabel(s.workers)
    } → ${output}`,
  );

  // The demo's own output is written aside and renamed once checked, so
  // demos running at once never read each other's half-written file.
  const written = generated && s.output === undefined
    ? `${output}.${Deno.pid}.tmp`
    : output;
  const ours: GzipRun[] = [];
  const zlib: Timed[] = [];
  const blocks: Timed[] = [];
  const gzip: (Timed | Skipped)[] = [];
  const pigz: (Timed | Skipped)[] = [];
  try {
    // The pool's handler is the block handler, so every worker has loaded
    // it before the clock starts, not on its first block.
    await using pool = new WorkerPool({
      workers: s.workers,
      name: "demo",
      handler: new URL("./gzip_worker.ts", import.meta.url),
    });
    await pool.started();
    await using stats = s.stats ? serveStats(pool) : undefined;
    if (stats) log(`stats: efdpool watch ${Deno.pid}   (socket ${stats.path})`);
    // Runs take turns, so load from elsewhere hits every contender alike.
    for (let r = 0; r < s.runs; r++) {
      const source = r === 0 ? first : pickReadSource(choice, {
        depth: s.depth,
        blockSize: s.block + WINDOW,
      }).source;
      const bar = new ProgressBar(
        bytes,
        `efdpool, ${workersLabel(s.workers)}`,
        tty,
      );
      ours.push(
        await gzipParallel(input, written, source, pool, {
          level: s.level,
          block: s.block,
          onProgress: (done) =>
            bar.update(done, `${(done / (1 << 20)).toFixed(0)} MiB`),
        }),
      );
      bar.finish();
      // The others take seconds with nothing to draw: say who runs.
      const who = (name: string) => {
        if (tty) {
          new ProgressBar(s.runs, `run ${r + 1}/${s.runs}:`).update(r, name);
        }
      };
      who("node:zlib, 1 thread");
      zlib.push(zlibOneThread(input, s.level));
      who("same blocks, 1 thread");
      blocks.push(blocksOneThread(input, s.level, s.block));
      who(`gzip -${s.level}`);
      gzip.push(await externalGzip("gzip", [`-${s.level}`], input));
      who(`pigz -p ${s.workers}`);
      pigz.push(
        await externalGzip(
          "pigz",
          ["-p", String(s.workers), `-${s.level}`],
          input,
        ),
      );
    }
  } catch (e) {
    if (written !== output) {
      try {
        Deno.removeSync(written);
      } catch { /* never written, or removed by the failed run */ }
    }
    throw e;
  }
  if (tty) new ProgressBar(1, "checking: node:zlib and gunzip").update(0);
  const verified = await verifyGzip(written, input);
  if (written !== output) Deno.renameSync(written, output);
  if (tty) new ProgressBar(1, "").finish();
  const result = summarize({
    input,
    output,
    generated,
    bytes,
    level: s.level,
    workers: s.workers,
    block: s.block,
    depth: s.depth,
    source: backend,
    notes,
    runs: s.runs,
    efdpool: {
      ...figures(ours, bytes),
      outBytes: ours[0].outBytes,
      warmupMs: ours[0].warmupMs,
      writeMs: median(ours.map((r) => r.writeMs)),
      perWorker: ours[0].perWorker,
      crc: ours[0].crc,
    },
    zlib: figures(zlib, bytes),
    blocks: figures(blocks, bytes),
    gzip: figures(gzip, bytes),
    pigz: figures(pigz, bytes),
    verified,
  });
  if (s.json) console.log(JSON.stringify(result));
  else for (const line of render(result)) console.log(line);
  return result.ok ? 0 : 1;
}
