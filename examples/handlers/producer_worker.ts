/**
 * A producer in a Web Worker: adds `units` units, one write each, to the
 * eventfd whose number it is sent (fds belong to the process, so every
 * thread can use them), reports how many it added, and ends.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { EventFd } from "../../mod.ts";

self.onmessage = (ev: MessageEvent<{ fd: number; units: number }>) => {
  const { fd, units } = ev.data;
  // Not owned: closing it here would close the fd for the whole process.
  const efd = EventFd.fromFd(fd, { owned: false, semaphore: true });
  for (let i = 0; i < units; i++) efd.write(1);
  self.postMessage(units);
  self.close();
};
