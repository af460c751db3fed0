/**
 * The C producer for efdpool runs: c_ref.c's `prod` mode makes a semaphore
 * eventfd and writes units with the very loop that drives the C consumer
 * threads; this process takes that eventfd with `pidfd_getfd`, so both
 * consumers are measured against one producer.
 *
 * @module
 */

import type { EventFd } from "../../ffi/eventfd.ts";
import { grabEventFd } from "../../ffi/mod.ts";

/** A running `c_ref prod` whose eventfd this process holds. */
export interface CProducer {
  /** This process's duplicate of the producer's eventfd. */
  efd: EventFd;
  /** Tells the producer to write its units; resolves once the line is sent. */
  go(): Promise<void>;
  /** Lets the producer exit and waits for it. */
  close(): Promise<void>;
}

/**
 * Starts `c_ref prod 0 items batch` and grabs its eventfd.
 *
 * @example
 * ```ts ignore
 * import { startCProducer } from "./c_producer.ts";
 * const p = await startCProducer("/tmp/c_ref", 1000, 1);
 * await p.go();
 * await p.close();
 * ```
 */
export async function startCProducer(
  cRef: string,
  items: number,
  batch: number,
): Promise<CProducer> {
  const child = new Deno.Command(cRef, {
    args: ["prod", "0", String(items), String(batch)],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  const writer = child.stdin.getWriter();
  let buf = "";
  const text = new TextDecoder();
  while (!buf.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`c_ref prod exited before naming its eventfd`);
    buf += text.decode(value, { stream: true });
  }
  const { pid, fd } = JSON.parse(buf.slice(0, buf.indexOf("\n")));
  const efd = grabEventFd(pid, fd, true);
  const say = (line: string) => writer.write(new TextEncoder().encode(line));
  return {
    efd,
    go: () => say("go\n"),
    async close() {
      await say("done\n");
      await writer.close();
      // Drain what it printed after go, so the pipe never blocks its exit.
      while (!(await reader.read()).done);
      const status = await child.status;
      if (!status.success) {
        throw new Error(`c_ref prod exited with ${status.code}`);
      }
    },
  };
}
