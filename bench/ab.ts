/**
 * Same-process A/B of two trees of this project: `run()` task and attached
 * source unit throughput at W=2, in ABBA rounds, as median ratios B/A. For
 * checking that a change costs the hot path nothing; run it on a quiet
 * machine (a shared one needs many rounds).
 *
 * ```sh
 * mkdir -p /tmp/a && git archive <rev> | tar -x -C /tmp/a
 * deno run -A bench/ab.ts /tmp/a . [tasks=20000] [units=100000] [rounds=16]
 * ```
 *
 * @module
 */

type Mod = typeof import("../mod.ts");

const [dirA, dirB, t, u, r] = Deno.args;
if (!dirA || !dirB) {
  console.error(
    "usage: deno run -A bench/ab.ts TREE_A TREE_B [tasks] [units] [rounds]",
  );
  Deno.exit(2);
}
const load = (dir: string): Promise<Mod> =>
  import(new URL("mod.ts", `file://${Deno.realPathSync(dir)}/`).href);
const A = await load(dirA);
const B = await load(dirB);
const TASKS = Number(t ?? 20_000);
const UNITS = Number(u ?? 100_000);
const ROUNDS = Number(r ?? 16);
const ECHO = "data:text/javascript,export const handle = (x) => x;";

async function tasks(m: Mod): Promise<number> {
  const pool = new m.WorkerPool({ workers: 2, handler: ECHO });
  await pool.started();
  const t0 = performance.now();
  const all: Promise<unknown>[] = [];
  for (let i = 0; i < TASKS; i++) {
    if (pool.queued > 4096) await pool.ready();
    all.push(pool.run(i));
  }
  await Promise.all(all);
  const rate = TASKS / ((performance.now() - t0) / 1000);
  await pool.close();
  return rate;
}

async function units(m: Mod): Promise<number> {
  const pool = new m.WorkerPool({ workers: 2 });
  using efd = m.EventFd.create({ semaphore: true });
  const src = pool.attach(efd, { handler: ECHO });
  await src.started();
  const t0 = performance.now();
  for (let i = 0; i < UNITS; i += 1000) efd.write(1000);
  await src.until(UNITS);
  const rate = UNITS / ((performance.now() - t0) / 1000);
  await src.detach();
  await pool.close();
  return rate;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const [name, measure] of [["tasks", tasks], ["units", units]] as const) {
  const ra: number[] = [];
  const rb: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    // ABBA: neither tree always runs first.
    if (i % 2) {
      rb.push(await measure(B));
      ra.push(await measure(A));
    } else {
      ra.push(await measure(A));
      rb.push(await measure(B));
    }
  }
  const ratios = rb.map((b, i) => b / ra[i]);
  console.log(
    `${name}: A ${median(ra).toFixed(0)}/s, B ${median(rb).toFixed(0)}/s, ` +
      `median B/A ${median(ratios).toFixed(3)} (${
        ratios.map((x) => x.toFixed(2)).join(" ")
      })`,
  );
}
