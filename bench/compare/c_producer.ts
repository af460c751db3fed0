/**
 * The C producer for efdpool runs: c_ref.c's `prod` mode makes a semaphore
 * eventfd and writes units with the very loop that drives the C consumer
 * threads, and its `prodlat` mode paces one unit at a time with the loop of
 * the C latency run; this process takes that eventfd with `pidfd_getfd`, so
 * both consumers are measured against one producer.
 *
 * @module
 */

import type { EventFd } from "../../ffi/eventfd.ts";
import { grabEventFd } from "../../ffi/mod.ts";

/** How the C producer writes: `batch` units per write, or one every `spacingUs`. */
export type WritePattern = { batch: number } | { spacingUs: number };

/** What `c_ref prod` or `prodlat` prints once it has written every unit. */
export interface Written {
  /** Units written. */
  items: number;
  /** `prod`: seconds spent writing. */
  writeSeconds?: number;
  /** `prodlat`: CLOCK_REALTIME just before each write, epoch ms. */
  stampsMs?: number[];
}

/** A running `c_ref prod` or `prodlat` whose eventfd this process holds. */
export interface CProducer {
  /** This process's duplicate of the producer's eventfd. */
  efd: EventFd;
  /** Tells the producer to write its units; resolves once the line is sent. */
  go(): Promise<void>;
  /** Resolves with the producer's report once it has written every unit. */
  written(): Promise<Written>;
  /** Lets the producer exit and waits for it. */
  close(): Promise<void>;
}

/**
 * Starts `c_ref prod 0 items batch` (or `prodlat 0 items spacingUs`) and
 * grabs its eventfd.
 *
 * @example
 * ```ts ignore
 * import { startCProducer } from "./c_producer.ts";
 * const p = await startCProducer("/tmp/c_ref", 1000, { batch: 1 });
 * await p.go();
 * await p.written();
 * await p.close();
 * ```
 */
export async function startCProducer(
  cRef: string,
  items: number,
  pattern: WritePattern,
): Promise<CProducer> {
  const [mode, arg] = "batch" in pattern
    ? ["prod", pattern.batch]
    : ["prodlat", pattern.spacingUs];
  const child = new Deno.Command(cRef, {
    args: [mode, "0", String(items), String(arg)],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  const writer = child.stdin.getWriter();
  const text = new TextDecoder();
  let buf = "";
  // One JSON line of the producer's stdout.
  const line = async <T>(): Promise<T> => {
    while (!buf.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`c_ref ${mode} exited without a report`);
      buf += text.decode(value, { stream: true });
    }
    const at = buf.indexOf("\n");
    const json = buf.slice(0, at);
    buf = buf.slice(at + 1);
    return JSON.parse(json) as T;
  };
  const { pid, fd } = await line<{ pid: number; fd: number }>();
  const efd = grabEventFd(pid, fd, true);
  const say = (s: string) => writer.write(new TextEncoder().encode(s));
  return {
    efd,
    go: () => say("go\n"),
    written: () => line<Written>(),
    async close() {
      await say("done\n");
      await writer.close();
      // Drain what it printed after go, so the pipe never blocks its exit.
      while (!(await reader.read()).done);
      const status = await child.status;
      if (!status.success) {
        throw new Error(`c_ref ${mode} exited with ${status.code}`);
      }
    },
  };
}
