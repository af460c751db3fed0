/**
 * What the kernel says about an eventfd in `/proc/self/fdinfo/N`: whether
 * it was made with EFD_SEMAPHORE, and its id (unique per eventfd, shared by
 * every duplicate of it). Read through libc, so no `--allow-read` is needed.
 *
 * @module
 */

import { O_CLOEXEC, O_RDONLY } from "./constants.ts";
import { libc } from "./_libc.ts";

/** An eventfd's kernel-side facts; a field is undefined when the kernel does not show it. */
export interface EventFdInfo {
  /** Whether the eventfd was created with EFD_SEMAPHORE. */
  semaphore?: boolean;
  /** The kernel's id of the eventfd, the same in every duplicate fd. */
  id?: number;
  /** The counter's value now. */
  count?: number;
}

/**
 * Reads `/proc/self/fdinfo/<fd>`; null if it cannot be read (no procfs, or
 * the fd is not open).
 */
export function eventFdInfo(fd: number): EventFdInfo | null {
  const path = new TextEncoder().encode(`/proc/self/fdinfo/${fd}\0`);
  const c = libc();
  const file = c.open(path, O_RDONLY | O_CLOEXEC, 0);
  if (file < 0) return null;
  const buf = new Uint8Array(4096);
  let n: number;
  try {
    n = Number(c.read(file, buf, BigInt(buf.length)));
  } finally {
    c.close(file);
  }
  if (n < 0) return null;
  const text = new TextDecoder().decode(buf.subarray(0, n));
  const field = (name: string) =>
    text.match(new RegExp(`^${name}:\\s*(\\d+)`, "m"))?.[1];
  const sem = field("eventfd-semaphore");
  const id = field("eventfd-id");
  // The kernel prints the count in hex.
  const count = text.match(/^eventfd-count:\s*([0-9a-f]+)/m)?.[1];
  return {
    semaphore: sem === undefined ? undefined : sem === "1",
    id: id === undefined ? undefined : Number(id),
    count: count === undefined ? undefined : parseInt(count, 16),
  };
}
