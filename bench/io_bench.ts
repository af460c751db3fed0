/**
 * Completions through a pool of 2 workers, per source: each iteration keeps
 * 128 operations in flight until 2000 have been handled (a no-op handler).
 * The pool and source are made outside the timed part. For completions/s
 * with more detail, run `deno task cli bench`.
 *
 * @module
 */

import { AioSource } from "../io/aio.ts";
import { openForRead } from "../io/file.ts";
import type { IoSource } from "../io/source.ts";
import { IoUringSource } from "../io/uring.ts";
import { WorkerPool } from "../workers/pool.ts";

const OPS = 2000;
const HANDLER = "data:text/javascript,export const handle = () => undefined;";
const path = Deno.makeTempFileSync({ prefix: "efdpool-io-bench-" });
Deno.writeFileSync(path, new Uint8Array(1 << 20));

function bench(
  name: string,
  make: () => IoSource,
  submit: (s: IoSource, i: number) => void,
): void {
  Deno.bench({
    name,
    group: "completions through a pool of 2",
    n: 20,
    warmup: 2,
    async fn(b) {
      await using pool = new WorkerPool({ workers: 2 });
      const source = make();
      pool.attach(source, { handler: HANDLER });
      b.start();
      for (let i = 0; i < OPS;) {
        while (i < OPS && source.inFlight < source.depth) submit(source, i++);
        await source.ready({ slots: source.depth >> 2 });
      }
      await source.drain();
      b.end();
      await source.close();
    },
  });
}

const file = openForRead(path, { direct: false });
const read4k = (s: IoSource, i: number) =>
  s.read(file, (i % 256) * 4096, { length: 4096 });
bench(
  `aio: ${OPS} 4 KiB reads`,
  () => AioSource.create({ depth: 128, blockSize: 4096 }),
  read4k,
);
bench(
  `io_uring: ${OPS} 4 KiB reads`,
  () => IoUringSource.create({ depth: 128, blockSize: 4096 }),
  read4k,
);
bench(
  `io_uring: ${OPS} nops`,
  () => IoUringSource.create({ depth: 128, blockSize: 0 }),
  (s) => (s as IoUringSource).nop(),
);
