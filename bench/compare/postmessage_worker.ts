/**
 * Worker of the plain postMessage pool: one message in, one message out.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { handle, type StampedTask } from "./handler.ts";

self.onmessage = (
  e: MessageEvent<[number, number | Uint8Array | StampedTask]>,
) => {
  const [id, input] = e.data;
  self.postMessage([id, handle(input)]);
};
