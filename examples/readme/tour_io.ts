import assert from "node:assert/strict";
import { IoUringSource, openForRead, WorkerPool } from "@efdpool/efdpool";

const path = Deno.args[0] ?? "big.bin"; // a file to read
await using pool = new WorkerPool({ workers: 4 });
const ring = IoUringSource.create({ depth: 64, blockSize: 1 << 16 }); // or AioSource.create(...)
let total = 0;
pool.attach(ring, {
  handler: new URL("./tour_sum_handler.ts", import.meta.url), // handle(completion): completion.data is a Uint8Array
  onResult: (sum) => total += sum as number,
});
using file = openForRead(path); // O_DIRECT where the filesystem allows, else buffered (and says so)
for (let off = 0; off < file.size; off += 1 << 16) {
  await ring.ready(); // backpressure: at most `depth` operations in flight
  ring.read(file, off);
}
await ring.close(); // waits until every completion was handled, then detaches
assert.equal(total, Deno.readFileSync(path).reduce((a, b) => a + b, 0));
console.log(`tour: io ok, byte sum ${total}`);
