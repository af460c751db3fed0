/**
 * The demo's efd_notify path on a host without the module: user space plays
 * the module's part (each fire writes units to the eventfd), so the slot
 * ring and the block claims are tested here; kernel/vm/guest.ts runs the
 * same path with the real module.
 */

import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import { checksumParallel } from "../cli/checksum.ts";
import {
  type BlockNotifier,
  ClosedError,
  EfdNotifySource,
  type EventFd,
  openForRead,
  WorkerPool,
} from "../mod.ts";

class UserNotifier implements BlockNotifier {
  efd?: EventFd;
  fired = 0;
  closed = false;
  attach(efd: EventFd): void {
    this.efd = efd;
  }
  fire(count: number): void {
    this.efd!.write(count);
    this.fired += count;
  }
  close(): void {
    this.closed = true;
  }
}

const dir = Deno.makeTempDirSync({ prefix: "efdpool-modsrc-" });
const path = `${dir}/f.bin`;
// Odd-sized, so the last block is short.
const content = new Uint8Array(1_000_003).map((_, i) => (i * 131 + 7) & 255);
Deno.writeFileSync(path, content);

Deno.test("efd_notify source: each queued block is claimed and checksummed once; the CRC matches", async () => {
  const block = 4096;
  const blocks = Math.ceil(content.length / block);
  const notifier = new UserNotifier();
  // depth 3 with 4 workers: the slot ring wraps ~80 times.
  const source = EfdNotifySource.create(
    { depth: 3, blockSize: block },
    notifier,
  );
  let run;
  {
    await using pool = new WorkerPool({ workers: 4, name: "modsrc" });
    run = await checksumParallel([path], source, pool, { direct: false });
  }
  const want = crc32(content);
  assert.equal(run.files[0].crc, want);
  assert.equal(run.blocks, blocks);
  assert.equal(run.perWorker!.reduce((a, b) => a + b, 0), blocks);
  assert.equal(notifier.fired, blocks + 1, "one unit per block, plus warm-up");
  assert.ok(notifier.closed && source.eventfd.closed);
});

Deno.test("efd_notify source: a failed read reaches the handler as its error", async () => {
  const notifier = new UserNotifier();
  const source = EfdNotifySource.create(
    { depth: 2, blockSize: 4096 },
    notifier,
  );
  const got: unknown[] = [];
  await using pool = new WorkerPool({ workers: 1, name: "modsrc-err" });
  pool.attach(source, {
    handler:
      "data:text/javascript,export const handle = (c) => c.error ? c.error.code : c.data.length;",
    onResult: (v, { tag }) => got[tag] = v,
  });
  const f = openForRead(path, { direct: false });
  source.read(f, 0, { tag: 0, length: 100 });
  source.read(1 << 20, 0, { tag: 1, length: 100 }); // not an open fd: EBADF
  f.close();
  assert.throws(() => source.read(f, 0), ClosedError);
  await source.close();
  await source.close(); // a second close waits for the first, then does nothing
  assert.deepEqual(got, [100, "EBADF"]);
});

Deno.test(
  "demo --source efd_notify without the module: one line naming the device",
  {
    ignore: (() => {
      try {
        Deno.statSync("/dev/efd_notify");
        return true;
      } catch {
        return false;
      }
    })(),
  },
  async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../cli.ts", import.meta.url).pathname,
        "demo",
        path,
        "--source",
        "efd_notify",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr).trimEnd();
    assert.equal(out.code, 1);
    assert.equal(err.split("\n").length, 1, err);
    assert.match(err, /\/dev\/efd_notify does not exist/);
  },
);

Deno.test("efd_notify source: cleanup", () => {
  Deno.removeSync(dir, { recursive: true });
});
