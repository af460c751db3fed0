/**
 * Process counters from /proc, shared by the Deno runners and the Node
 * (piscina) runner, hence plain JavaScript on `node:` modules.
 *
 * @module
 */

import { readdirSync, readFileSync } from "node:fs";
import process from "node:process";

/**
 * Voluntary plus involuntary context switches of every live thread of this
 * process (/proc/self/status alone covers only the main thread).
 *
 * @example
 * ```ts
 * import { contextSwitches } from "./procstat.mjs";
 * console.log(contextSwitches() > 0);
 * ```
 *
 * @returns {number}
 */
export function contextSwitches() {
  let total = 0;
  for (const tid of readdirSync("/proc/self/task")) {
    let text;
    try {
      text = readFileSync(`/proc/self/task/${tid}/status`, "utf8");
    } catch {
      continue; // the thread exited between readdir and open
    }
    for (
      const m of text.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)/gm)
    ) {
      total += Number(m[1]);
    }
  }
  return total;
}

/**
 * CPU time of the calling thread, in ns (the first field of
 * /proc/thread-self/schedstat: time on a CPU). Unlike wall time it hardly
 * moves when other processes take the CPUs, so it compares runs made under
 * different load.
 *
 * @example
 * ```ts
 * import { threadCpuNs } from "./procstat.mjs";
 * console.log(threadCpuNs() > 0);
 * ```
 *
 * @returns {number}
 */
export function threadCpuNs() {
  return Number(
    readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0],
  );
}

/**
 * CPU time of the whole process (all threads, user + system), in ms.
 * `precise` comes from getrusage (µs resolution); `stat` from /proc/self/stat
 * utime + stime, which only moves in 10 ms clock ticks.
 *
 * @example
 * ```ts
 * import { cpuTimeMs } from "./procstat.mjs";
 * console.log(cpuTimeMs().precise >= 0);
 * ```
 *
 * @returns {{ precise: number, stat: number }}
 */
export function cpuTimeMs() {
  const { user, system } = process.cpuUsage();
  // The command name may hold spaces or parentheses; fields start after the last ')'.
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the full line; USER_HZ is 100 on Linux.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { precise: (user + system) / 1000, stat: ticks * 10 };
}

/**
 * Resident set size of the process, in KiB.
 *
 * @example
 * ```ts
 * import { rssKiB } from "./procstat.mjs";
 * console.log(rssKiB() > 0);
 * ```
 *
 * @returns {number}
 */
export function rssKiB() {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(
    readFileSync("/proc/self/status", "utf8"),
  );
  if (!m) throw new Error("no VmRSS line in /proc/self/status");
  return Number(m[1]);
}
