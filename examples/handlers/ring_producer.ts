/**
 * A producer Worker for the bounded buffer: pushes items `from`..`to` into
 * the ring, blocking while it is full, and reports how often it had to.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { type RingInit, SharedRing } from "../shared_ring.ts";

self.onmessage = (
  ev: MessageEvent<{ ring: RingInit; from: number; to: number }>,
) => {
  const { from, to } = ev.data;
  using ring = SharedRing.attach(ev.data.ring);
  let blocked = 0;
  // The value is a function of the id, so consumers can tell a torn item.
  for (let id = from; id <= to; id++) if (ring.push(id, id * 3)) blocked++;
  self.postMessage(blocked);
  self.close();
};
