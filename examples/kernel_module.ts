/**
 * Pattern 6, kernel-driven: the efd_notify module signals a semaphore
 * eventfd from kernel context, first a burst (from a workqueue), then timer
 * ticks (from an hrtimer), and a pool handles every unit once. The kernel
 * reports how many units it signalled, so the check is against its count.
 *
 *   sudo insmod kernel/efd_notify.ko mode=0666
 *   deno run --allow-ffi --allow-read=. examples/kernel_module.ts [--burst 20000] [--ticks 500]
 *
 * Without the module (most hosts) it says how to get it and prints
 * `skipped: …`, exiting 0; the VM suite runs it with the module loaded.
 * Otherwise it ends with
 * `done: produced=22000 consumed=22000 duplicates=0 lost=0 burst=20000 ticks=500`.
 *
 * @module
 */

import { countSpec, exampleArgs } from "./args.ts";
import { EventFd, WorkerPool } from "../mod.ts";
import {
  DevicePermissionError,
  EfdNotifyChannel,
  ModuleNotLoadedError,
} from "../kernel/mod.ts";
import { Tally } from "./tally.ts";

const args = exampleArgs(
  "kernel_module.ts",
  "A pool fed by the efd_notify kernel module: a workqueue burst, then hrtimer ticks",
  {
    burst: countSpec("units in the burst (default 20000)"),
    ticks: countSpec("timer ticks of 4 units (default 500)"),
  },
);
const burst = args.int("burst", 20000, 0, 1e9);
const ticks = args.int("ticks", 500, 0, 1e7);
const perTick = 4;
const expected = burst + ticks * perTick;

let channel: EfdNotifyChannel;
try {
  channel = EfdNotifyChannel.open();
} catch (e) {
  if (
    !(e instanceof ModuleNotLoadedError || e instanceof DevicePermissionError)
  ) throw e;
  console.log(e.message);
  console.log(`skipped: ${e.name}: this example needs the efd_notify module`);
  Deno.exit(0);
}
using ch = channel;

await using pool = new WorkerPool({ workers: 4, name: "kernel" });
using efd = EventFd.create({ semaphore: true });
const tally = new Tally(expected);
const src = pool.attach(efd, {
  name: "efd_notify",
  handler: new URL("./handlers/mark.ts", import.meta.url),
  data: tally.counts,
});
await pool.started();

// The module keeps its own reference to the eventfd from here on.
ch.attach(efd);

ch.fire(burst);
await src.until(burst);
console.log(
  `burst: the kernel signalled ${burst} units, the pool handled them`,
);

ch.startPeriodic({ periodNs: 1_000_000, count: ticks * perTick, perTick });
await src.until(expected);
console.log(`ticks: ${ticks} hrtimer expiries of ${perTick} units at 1 kHz`);

// The module counts a batch after signalling it: let the count settle.
let st = ch.stats();
while (st.bursting || st.periodic) {
  await new Promise((r) => setTimeout(r, 1));
  st = ch.stats();
}
ch.detach();
await src.detach();
console.log(tally.line(st.fired, { burst, ticks }));
