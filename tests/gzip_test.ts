/**
 * The demo's parallel gzip, in process: round trips for the sizes where
 * block arithmetic goes wrong (0, 1, one block ± 1, many blocks, data that
 * does not compress), through io_uring, AIO and the module source's slot
 * ring (user space playing the module's part; kernel/vm/guest.ts runs the
 * real module), checked by node:zlib and the system gunzip.
 */

import assert from "node:assert/strict";
import { crc32, gunzipSync, gzipSync, inflateRawSync } from "node:zlib";
import {
  crc32 as libzCrc32,
  crc32Combine,
  LIBZ_PATH_ENV,
  RawDeflate,
  Z_FINISH,
  Z_SYNC_FLUSH,
} from "../cli/libz.ts";
import { gzipParallel } from "../cli/gzip.ts";
import { WINDOW } from "../cli/gzip_worker.ts";
import { type BlockNotifier, EfdNotifySource } from "../mod.ts";
import { generateLog } from "../cli/sample.ts";
import type { EventFd } from "../ffi/eventfd.ts";
import { AioSource, IoUringSource, WorkerPool } from "../mod.ts";
import { deadline } from "./_deadline.ts";

const BLOCK = 32 << 10;
const dir = Deno.makeTempDirSync({ prefix: "efdpool-gzip-" });

function logText(size: number): Uint8Array {
  const parts: Uint8Array[] = [];
  generateLog(size, (c) => parts.push(c.slice()));
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const text = logText(40 * BLOCK + 123);
const random = new Uint8Array(5 * BLOCK + 7);
for (let at = 0; at < random.length; at += 65536) {
  crypto.getRandomValues(random.subarray(at, at + 65536));
}
const CASES: Record<string, Uint8Array> = {
  "empty": new Uint8Array(0),
  "1 byte": text.subarray(0, 1),
  "one block - 1": text.subarray(0, BLOCK - 1),
  "one block": text.subarray(0, BLOCK),
  "one block + 1": text.subarray(0, BLOCK + 1),
  "40 blocks and a bit": text,
  "incompressible": random,
};

class UserNotifier implements BlockNotifier {
  efd?: EventFd;
  attach(efd: EventFd): void {
    this.efd = efd;
  }
  fire(count: number): void {
    this.efd!.write(count);
  }
  close(): void {}
}

const SOURCES = {
  io_uring: () => IoUringSource.create({ depth: 4, blockSize: BLOCK + WINDOW }),
  aio: () => AioSource.create({ depth: 4, blockSize: BLOCK + WINDOW }),
  "module slots": () =>
    EfdNotifySource.create(
      { depth: 3, blockSize: BLOCK + WINDOW },
      new UserNotifier(),
    ),
};

Deno.test("gzip: libz's crc32 and crc32Combine agree with node:zlib's CRC for any split", () => {
  const data = text.subarray(0, 100_000);
  assert.equal(libzCrc32(data), crc32(data));
  for (const cut of [0, 1, 4095, 50_000, 99_999, 100_000]) {
    const a = libzCrc32(data.subarray(0, cut));
    const b = libzCrc32(data.subarray(cut));
    assert.equal(
      crc32Combine(a, b, data.length - cut),
      crc32(data),
      `cut ${cut}`,
    );
  }
  assert.equal(
    libzCrc32(data.subarray(1000), libzCrc32(data.subarray(0, 1000))),
    crc32(data),
  );
});

Deno.test("gzip: libz's dictionary is real, flushes chain into one stream, misuse is a typed error", () => {
  const dict = text.subarray(0, WINDOW);
  const out = new Uint8Array(2 * WINDOW);
  using d = new RawDeflate(6);
  // A body found in its dictionary (16 KiB back, within deflate's reach)
  // is a run of back-references.
  d.setDictionary(dict);
  const body = dict.subarray(WINDOW / 2, WINDOW / 2 + 8192);
  const primed = d.deflate(body, out, Z_FINISH);
  assert.ok(primed.done && primed.written < 300, `${primed.written} bytes`);
  // Two sync-flushed pieces and a final one make one raw deflate stream.
  d.reset(9);
  const parts = [
    text.subarray(0, 5000),
    text.subarray(5000, 9000),
    text.subarray(9000, 9001),
  ];
  let at = 0;
  parts.forEach((p, i) => {
    const r = d.deflate(p, out.subarray(at), i === 2 ? Z_FINISH : Z_SYNC_FLUSH);
    assert.ok(r.done && r.read === p.length);
    at += r.written;
  });
  assert.deepEqual(
    inflateRawSync(out.subarray(0, at)),
    Buffer.from(text.subarray(0, 9001)),
  );
  // Too little room, or none: not done, nothing thrown.
  d.reset();
  assert.equal(
    d.deflate(text.subarray(0, 9000), out.subarray(0, 10), Z_FINISH).done,
    false,
  );
  assert.equal(
    d.deflate(new Uint8Array(0), out.subarray(0, 0), Z_FINISH).done,
    false,
  );
  d.end();
  assert.throws(() => d.reset(), /after end/);
  assert.throws(() => new RawDeflate(0), RangeError);
});

Deno.test("gzip: a missing libz is a LibzUnavailableError naming the library and the variable", async () => {
  const code = `import { crc32 } from "${new URL(
    "../cli/libz.ts",
    import.meta.url,
  )}";
try { crc32(new Uint8Array(1)); } catch (e) { console.log(e.name + ": " + e.message); }`;
  const out = await deadline(
    new Deno.Command(Deno.execPath(), {
      args: ["eval", code],
      env: { [LIBZ_PATH_ENV]: "/nonexistent/libz.so.1", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output(),
    20_000,
    "deno eval with a missing libz",
  );
  const line = new TextDecoder().decode(out.stdout);
  assert.match(
    line,
    /^LibzUnavailableError: cannot open the system zlib "\/nonexistent\/libz.so.1".*EFDPOOL_LIBZ/,
  );
});

Deno.test("gzip: every size and source round-trips byte for byte; blocks counted once each", async () => {
  await using pool = new WorkerPool({ workers: 2, name: "gzip-test" });
  for (const [name, content] of Object.entries(CASES)) {
    const input = `${dir}/${name.replaceAll(" ", "_")}`;
    Deno.writeFileSync(input, content);
    for (const [via, make] of Object.entries(SOURCES)) {
      const output = `${input}.${via.replace(" ", "_")}.gz`;
      const run = await deadline(
        gzipParallel(input, output, make(), pool, { level: 6, block: BLOCK }),
        20_000,
        `gzip of ${name} via ${via}`,
      );
      const gz = Deno.readFileSync(output);
      assert.deepEqual(
        gunzipSync(gz),
        Buffer.from(content),
        `${name} via ${via}`,
      );
      assert.equal(run.outBytes, gz.length);
      assert.equal(run.crc, crc32(content));
      const blocks = Math.ceil(content.length / BLOCK);
      assert.equal(run.blocks, blocks);
      assert.equal(run.perWorker.reduce((a, b) => a + b, 0), blocks);
    }
  }
  // The system's gunzip agrees on the multi-block and the empty member.
  for (const name of ["40_blocks_and_a_bit", "empty"]) {
    const out = await new Deno.Command("gunzip", {
      args: ["-c", `${dir}/${name}.io_uring.gz`],
      stdout: "piped",
    }).output();
    assert.ok(out.success, `gunzip ${name}`);
    assert.deepEqual(out.stdout, Deno.readFileSync(`${dir}/${name}`));
  }
});

Deno.test("gzip: the dictionary keeps the ratio of one system zlib stream (within 1%), small blocks and large", async () => {
  const input = `${dir}/ratio`;
  Deno.writeFileSync(input, text);
  await using pool = new WorkerPool({ workers: 2, name: "gzip-ratio" });
  using one = new RawDeflate(6);
  const whole = 18 +
    one.deflate(text, new Uint8Array(2 * text.length), Z_FINISH).written;
  for (const block of [BLOCK, 4 * BLOCK]) {
    const run = await deadline(
      gzipParallel(
        input,
        `${input}.gz`,
        IoUringSource.create({ depth: 8, blockSize: block + WINDOW }),
        pool,
        { level: 6, block },
      ),
      20_000,
      "gzip of the ratio file",
    );
    assert.deepEqual(
      gunzipSync(Deno.readFileSync(`${input}.gz`)),
      Buffer.from(text),
    );
    assert.ok(
      run.outBytes < whole * 1.01,
      `${block} B blocks: ${run.outBytes} bytes vs one stream ${whole}`,
    );
  }
});

Deno.test("gzip: a failed read fails the run with the file and block named", async () => {
  const input = `${dir}/shrinks`;
  Deno.writeFileSync(input, text.subarray(0, 4 * BLOCK));
  await using pool = new WorkerPool({ workers: 1, name: "gzip-fail" });
  const source = AioSource.create({ depth: 2, blockSize: BLOCK + WINDOW });
  const running = gzipParallel(input, `${input}.gz`, source, pool, {
    block: BLOCK,
  });
  Deno.truncateSync(input, BLOCK); // shrinks under the run: short reads
  await assert.rejects(
    deadline(running, 20_000, "gzip of a shrinking file"),
    /shrinks: block \d+: short read/,
  );
  assert.throws(() => Deno.statSync(`${input}.gz`), Deno.errors.NotFound);
});

Deno.test("gzip: the generated input is the same bytes every run, log-like, compressible as logs are", () => {
  const a = logText(300_000);
  assert.deepEqual(a, logText(300_000));
  const line = new TextDecoder().decode(a.subarray(0, 300)).split("\n")[0];
  assert.match(
    line,
    /^20\d\d-\d\d-\d\dT[\d:.]+Z (INFO |DEBUG|WARN |ERROR) [a-z-]+\[\d+\]: /,
  );
  const ratio = a.length / gzipSync(a, { level: 6 }).length;
  assert.ok(ratio > 3 && ratio < 10, `ratio ${ratio}`);
});

Deno.test("gzip: cleanup", () => {
  Deno.removeSync(dir, { recursive: true });
});
