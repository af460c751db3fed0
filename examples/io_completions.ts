/**
 * Pattern 7, I/O completions: the kernel finishes reads asynchronously
 * (io_uring, or Linux AIO) and signals a semaphore eventfd once per
 * completion; a pool attached to it reaps each completion in exactly one
 * worker and runs a handler on the bytes. Submitting stays on the main
 * thread, cheap; the work on the data is spread over the workers.
 *
 *   deno run --allow-ffi --allow-read=. examples/io_completions.ts [--backend io_uring|aio]
 *
 * It checksums every block of the files in examples/ that way and compares
 * with checksums of the same bytes read plainly. Ends with
 * `done: produced=B consumed=B duplicates=0 lost=0 backend=io_uring files=F mismatched=0`.
 *
 * @module
 */

import { exampleArgs } from "./args.ts";
import { WorkerPool } from "../mod.ts";
import {
  AioSource,
  IoUnavailableError,
  IoUringSource,
  openForRead,
  type ReadFile,
} from "../io/mod.ts";
import { fnv1a } from "./handlers/checksum.ts";
import { mark, Tally } from "./tally.ts";

const args = exampleArgs(
  "io_completions.ts",
  "Kernel I/O completions (io_uring or AIO) checksummed by a pool, each block once",
  {
    backend: {
      type: "string",
      value: "NAME",
      description: "io_uring (default) or aio",
    },
  },
);
const backend = args.choice("backend", ["io_uring", "aio"] as const);
const BLOCK = 1024;

// The files to read, and each block's checksum read the ordinary way.
const dir = new URL(".", import.meta.url);
const paths = [...Deno.readDirSync(dir)]
  .filter((e) => e.isFile && e.name.endsWith(".ts"))
  .map((e) => new URL(e.name, dir).pathname)
  .sort();
const expected: number[] = [];
const blocks: { path: string; offset: number }[] = [];
for (const path of paths) {
  const bytes = Deno.readFileSync(path);
  for (let off = 0; off < bytes.length; off += BLOCK) {
    expected.push(fnv1a(bytes.subarray(off, off + BLOCK)));
    blocks.push({ path, offset: off });
  }
}

function openSource(): IoUringSource | AioSource {
  const options = { depth: 16, blockSize: BLOCK };
  if (backend === "aio") return AioSource.create(options);
  try {
    return IoUringSource.create(options);
  } catch (e) {
    if (!(e instanceof IoUnavailableError)) throw e;
    console.log(`${e.message}; using Linux AIO instead`);
    return AioSource.create(options);
  }
}

await using pool = new WorkerPool({ workers: 3, name: "io" });
const source = openSource();
const tally = new Tally(blocks.length);
const got: number[] = [];
pool.attach(source, {
  handler: new URL("./handlers/checksum.ts", import.meta.url),
  // The tag we submitted with comes back with the completion's result.
  onResult: (sum, { tag }) => {
    mark(tally.counts, tag + 1);
    got[tag] = sum as number;
  },
  onError: (e) => console.error(`read failed: ${e.message}`),
});

// Buffered reads (no O_DIRECT): the blocks are not 4096-aligned.
const files = new Map<string, ReadFile>(
  paths.map((p) => [p, openForRead(p, { direct: false })]),
);
for (const [tag, { path, offset }] of blocks.entries()) {
  await source.ready(); // at most `depth` reads in flight
  source.read(files.get(path)!, offset, { tag });
}
await source.close(); // waits until every completion has been handled
for (const f of files.values()) f.close();

const mismatched = expected.filter((sum, tag) => got[tag] !== sum).length;
if (mismatched) Deno.exitCode = 1;
console.log(
  `${blocks.length} blocks of ${paths.length} files, checksummed by ${pool.size} workers via ${source.backend}`,
);
console.log(tally.line(blocks.length, {
  backend: source.backend,
  files: paths.length,
  mismatched,
}));
