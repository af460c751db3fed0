/**
 * `efdpool bench`: completions per second through a pool, for each source
 * and operation, with a plain userspace eventfd as the baseline.
 *
 * @module
 */

import {
  AioSource,
  EventFd,
  IoUnavailableError,
  IoUringSource,
  openForRead,
  type ReadFile,
  WorkerPool,
} from "../mod.ts";
import type { IoSource } from "../io/mod.ts";
import { atMost, CliError, helpText, parse } from "./args.ts";
import { intOption, workersOption } from "./options.ts";
import { ensureSample } from "./sample.ts";
import { BENCH_SPEC } from "./specs.ts";
import { ProgressBar } from "./progress.ts";

const NOOP_HANDLER =
  "data:text/javascript,export const handle = () => undefined;";
const BACKENDS = ["eventfd", "aio", "io_uring"] as const;
type Backend = typeof BACKENDS[number];

/** One measured case. */
export interface BenchResult {
  /** "eventfd", "aio" or "io_uring". */
  source: Backend;
  /** What completed: "write" (eventfd), "read4k", "poll" or "nop". */
  op: string;
  /** Completions handled. */
  ops: number;
  /** Wall time. */
  ms: number;
  /** ops / s. */
  perSecond: number;
  /** Pool units that found nothing to reap (io_uring relays). */
  emptyUnits: number;
  /** Share of the units each worker took. */
  shares: number[];
}

type Submit = (source: IoSource, i: number) => void;

async function runSource(
  pool: WorkerPool,
  make: () => IoSource,
  op: string,
  submit: Submit,
  n: number,
  bar: ProgressBar,
): Promise<BenchResult> {
  const source = make();
  const before = pool.stats().workers.map((w) => w.units);
  pool.attach(source, {
    handler: NOOP_HANDLER,
    name: `bench/${source.backend}/${op}`,
  });
  const start = performance.now();
  try {
    let i = 0;
    while (i < n) {
      // Fill every free slot in one go: io_uring then submits them as one batch.
      while (i < n && source.inFlight < source.depth) submit(source, i++);
      bar.update(i, `${source.backend} ${op}`);
      await source.ready();
    }
    await source.drain();
  } finally {
    await source.close();
  }
  const ms = performance.now() - start;
  const units = pool.stats().workers.map((w, k) => w.units - (before[k] ?? 0));
  const all = units.reduce((a, b) => a + b, 0) || 1;
  return {
    source: source.backend,
    op,
    ops: n,
    ms,
    perSecond: n / (ms / 1000),
    emptyUnits: source.stats().emptyUnits,
    shares: units.map((u) => u / all),
  };
}

async function runEventfd(pool: WorkerPool, n: number): Promise<BenchResult> {
  using efd = EventFd.create({ semaphore: true });
  const before = pool.stats().workers.map((w) => w.units);
  const src = pool.attach(efd, {
    handler: NOOP_HANDLER,
    name: "bench/eventfd",
  });
  const start = performance.now();
  efd.write(n);
  await src.until(n);
  const ms = performance.now() - start;
  await src.detach();
  const units = pool.stats().workers.map((w, k) => w.units - (before[k] ?? 0));
  return {
    source: "eventfd",
    op: "write",
    ops: n,
    ms,
    perSecond: n / (ms / 1000),
    emptyUnits: 0,
    shares: units.map((u) => u / n),
  };
}

function backendList(raw: unknown): Backend[] {
  if (raw === undefined) return [...BACKENDS];
  const list = String(raw).split(",").map((s) => s.trim());
  for (const s of list) {
    if (!BACKENDS.includes(s as Backend)) {
      throw new CliError(
        `--source must list names from ${BACKENDS.join(", ")}, got "${s}"`,
        2,
      );
    }
  }
  return list as Backend[];
}

/**
 * Runs the benchmark with `argv`; returns the exit code.
 *
 * @example
 * ```ts ignore
 * import { bench } from "./bench.ts";
 * Deno.exit(await bench(["--ops", "5000", "--json"]));
 * ```
 */
export async function bench(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, BENCH_SPEC);
  if (values.help) {
    console.log(helpText(BENCH_SPEC));
    return 0;
  }
  atMost(positionals, 0, "");
  const backends = backendList(values.source);
  const n = intOption(values, "ops", 20000, 1, 1e9);
  const workers = workersOption(values);
  const depth = intOption(values, "depth", 128, 1, 4096);
  const json = values.json === true;

  const path = ensureSample(1 << 20);
  using file: ReadFile = openForRead(path, { direct: false });
  using ready = EventFd.create(); // always writable: a poll for POLLOUT completes at once
  const read4k: Submit = (s, i) =>
    s.read(file, (i % 256) * 4096, { length: 4096 });
  const poll: Submit = (s) => s.poll(ready.fd, 4 /* POLLOUT */);
  const cases: [Backend, string, Submit][] = [];
  for (const b of backends) {
    if (b === "eventfd") continue;
    cases.push([b, "read4k", read4k], [b, "poll", poll]);
    if (b === "io_uring") {
      cases.push([b, "nop", (s) => (s as IoUringSource).nop()]);
    }
  }

  const results: BenchResult[] = [];
  const skipped: string[] = [];
  const bar = new ProgressBar(n, "", !json && Deno.stderr.isTerminal());
  {
    await using pool = new WorkerPool({ workers, name: "bench" });
    if (backends.includes("eventfd")) results.push(await runEventfd(pool, n));
    for (const [b, op, submit] of cases) {
      const make = () =>
        b === "aio"
          ? AioSource.create({ depth, blockSize: 4096 })
          : IoUringSource.create({ depth, blockSize: 4096 });
      try {
        results.push(await runSource(pool, make, op, submit, n, bar));
      } catch (e) {
        if (!(e instanceof IoUnavailableError)) throw e;
        if (!skipped.includes(e.message)) skipped.push(e.message);
      }
    }
  }
  bar.finish();

  if (json) {
    console.log(JSON.stringify({ workers, depth, ops: n, results, skipped }));
    return 0;
  }
  console.log(
    `completions/s through a pool of ${workers} workers, ${depth} in flight, ${n} per case`,
  );
  console.log(
    `  ${"source".padEnd(9)} ${"op".padEnd(7)} ${"per second".padStart(11)} ${
      "ms".padStart(7)
    }  empty units  worker shares`,
  );
  for (const r of results) {
    console.log(
      `  ${r.source.padEnd(9)} ${r.op.padEnd(7)} ${
        Math.round(r.perSecond).toString().padStart(11)
      } ${r.ms.toFixed(0).padStart(7)}  ${String(r.emptyUnits).padStart(11)}  ${
        r.shares.map((s) => `${Math.round(s * 100)}%`).join(" ")
      }`,
    );
  }
  for (const s of skipped) console.log(`skipped: ${s}`);
  return 0;
}
