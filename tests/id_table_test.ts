import assert from "node:assert/strict";
import { IdTable } from "../workers/_id_table.ts";
import { WorkerPool } from "../mod.ts";
import { deadline } from "./_deadline.ts";

type Item = { id: number; v: number };

Deno.test("IdTable: sequential ids with stragglers, as a Map would keep them", () => {
  const t = new IdTable<Item>(4);
  const ref = new Map<number, Item>();
  let id = 0x7fffff00; // crosses the wrap back to 1 below
  const next = () => (id = id >= 0x7fffffff ? 1 : id + 1);
  // Most items leave 5 ids after they came; every 97th stays 3000 ids,
  // long past the table's capacity, so it is displaced and must be found.
  const leaveAt = new Map<number, number[]>();
  for (let i = 0; i < 20_000; i++) {
    const item = { id: next(), v: i };
    t.set(item);
    ref.set(item.id, item);
    const at = i + (i % 97 === 0 ? 3000 : 5);
    leaveAt.set(at, [...(leaveAt.get(at) ?? []), item.id]);
    for (const gone of leaveAt.get(i) ?? []) {
      assert.equal(t.get(gone), ref.get(gone));
      assert.equal(t.delete(gone), true);
      ref.delete(gone);
    }
    leaveAt.delete(i);
    assert.equal(t.size, ref.size);
  }
  for (const [k, v] of ref) assert.equal(t.get(k), v);
  assert.equal(t.get(123_456_789), undefined);
  assert.equal(t.delete(123_456_789), false);
  assert.deepEqual(
    t.values().map((x) => x.id).sort((a, b) => a - b),
    [...ref.keys()].sort((a, b) => a - b),
  );
});

Deno.test("a task outliving thousands of newer ones still settles with its own result", async () => {
  const handler =
    "data:text/javascript,export const handle = async (x) => { if (x === -1) await new Promise((r) => setTimeout(r, 300)); return x * 2; };";
  await using pool = new WorkerPool({ workers: 2, handler, concurrency: 2 });
  await deadline(pool.started(), 20_000, "pool start");
  const slow = pool.run(-1);
  const quick: Promise<unknown>[] = [];
  for (let i = 0; i < 5000; i++) quick.push(pool.run(i));
  const got = await deadline(Promise.all(quick), 60_000, "quick tasks");
  assert.deepEqual(got, Array.from({ length: 5000 }, (_, i) => i * 2));
  assert.equal(await deadline(slow, 20_000, "slow task"), -2);
});
