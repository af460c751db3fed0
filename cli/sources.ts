/**
 * Choosing the notification source for the CLI: the efd_notify kernel
 * module when its device exists, else io_uring, else AIO — saying which,
 * and why.
 *
 * @module
 */

import { AioSource } from "../io/aio.ts";
import { IoUnavailableError } from "../io/errors.ts";
import type { IoSource, IoSourceOptions } from "../io/source.ts";
import { IoUringSource } from "../io/uring.ts";
import { CliError } from "./args.ts";

/** What `--source` accepts. */
export const SOURCE_CHOICES = ["auto", "io_uring", "aio"] as const;
/** A `--source` value. */
export type SourceChoice = typeof SOURCE_CHOICES[number];

/** The efd_notify module's device node. */
export const MODULE_DEVICE = "/dev/efd_notify";

/** A created source and what the user should be told about the choice. */
export interface PickedSource {
  /** The source. */
  source: IoSource;
  /** Lines explaining the choice (module found or not, fallbacks). */
  notes: string[];
}

/** Checks a `--source` value. */
export function sourceChoice(raw: unknown): SourceChoice {
  const v = raw ?? "auto";
  if (!SOURCE_CHOICES.includes(v as SourceChoice)) {
    throw new CliError(
      `--source must be one of ${SOURCE_CHOICES.join(", ")}, got "${v}"`,
      2,
    );
  }
  return v as SourceChoice;
}

function moduleNote(): string {
  try {
    Deno.statSync(MODULE_DEVICE);
  } catch {
    return `kernel module: not loaded (${MODULE_DEVICE} absent); the kernel's own I/O completions notify instead`;
  }
  // The module signals eventfds, but its units carry no I/O: a checksum
  // still needs the kernel to complete reads, which AIO/io_uring do.
  return `kernel module: efd_notify found at ${MODULE_DEVICE}; reads still complete through AIO/io_uring, which carry the data`;
}

/**
 * Creates the source `choice` asks for: "auto" prefers io_uring and falls
 * back to AIO when io_uring is unavailable (e.g. `kernel.io_uring_disabled`)
 * or too old to read.
 */
export function pickSource(
  choice: SourceChoice,
  options: IoSourceOptions,
): PickedSource {
  const notes = [moduleNote()];
  if (choice === "aio") return { source: AioSource.create(options), notes };
  if (choice === "io_uring") {
    return { source: IoUringSource.create(options), notes };
  }
  try {
    const ring = IoUringSource.create(options);
    if (ring.supports("read")) return { source: ring, notes };
    void ring.close(); // unattached and idle: closes synchronously
    notes.push(
      "io_uring has no read operation on this kernel (needs Linux 5.6); using AIO",
    );
  } catch (e) {
    if (!(e instanceof IoUnavailableError)) throw e;
    notes.push(`${e.message}; falling back to AIO`);
  }
  return { source: AioSource.create(options), notes };
}
