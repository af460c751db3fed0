/**
 * An I/O completion handler: checksums the bytes of one completed read.
 * The bytes are a view into the source's shared buffer, valid only until
 * the handler returns, so it returns a number, not the view.
 *
 * @module
 */

import type { Completion } from "../../io/mod.ts";

/** FNV-1a, 32 bits: small and order-sensitive, enough to catch a wrong block. */
export function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}

/** Checksums one completed read; a failed read throws its error. */
export function handle(c: Completion): number {
  if (c.error) throw c.error;
  return fnv1a(c.data!);
}
