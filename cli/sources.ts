/**
 * Choosing the notification source for the CLI: the efd_notify kernel
 * module when its device exists (demo reads), else io_uring, else AIO —
 * saying which, and why.
 *
 * @module
 */

import {
  AioSource,
  type BlockSource,
  DevicePermissionError,
  EfdNotifyChannel,
  EfdNotifySource,
  type IoSourceOptions,
  IoUnavailableError,
  IoUringSource,
  ModuleNotLoadedError,
} from "../mod.ts";
import type { IoSource } from "../io/mod.ts";
import { CliError } from "./args.ts";

/** What `--source` accepts. */
export const SOURCE_CHOICES = ["auto", "io_uring", "aio"] as const;
/** A `--source` value. */
export type SourceChoice = typeof SOURCE_CHOICES[number];

/** What the demo's `--source` accepts: the module as well. */
export const READ_SOURCE_CHOICES = [...SOURCE_CHOICES, "efd_notify"] as const;
/** A demo `--source` value. */
export type ReadSourceChoice = typeof READ_SOURCE_CHOICES[number];

/** The efd_notify module's device node. */
export const MODULE_DEVICE = "/dev/efd_notify";

/** A created source and what the user should be told about the choice. */
export interface PickedSource {
  /** The source. */
  source: IoSource;
  /** Lines explaining the choice (module found or not, fallbacks). */
  notes: string[];
}

/** A demo source and what the user should be told about the choice. */
export interface PickedReadSource {
  /** The source. */
  source: BlockSource;
  /** Lines explaining the choice. */
  notes: string[];
}

function oneOf<T extends string>(raw: unknown, choices: readonly T[]): T {
  const v = raw ?? "auto";
  if (!choices.includes(v as T)) {
    throw new CliError(
      `--source must be one of ${choices.join(", ")}, got "${v}"`,
      2,
    );
  }
  return v as T;
}

/** Checks a `--source` value. */
export function sourceChoice(raw: unknown): SourceChoice {
  return oneOf(raw, SOURCE_CHOICES);
}

/**
 * Checks a demo `--source` value.
 *
 * @example
 * ```ts ignore
 * import { readSourceChoice } from "./sources.ts";
 * console.log(readSourceChoice("efd_notify")); // efd_notify
 * ```
 */
export function readSourceChoice(raw: unknown): ReadSourceChoice {
  return oneOf(raw, READ_SOURCE_CHOICES);
}

/**
 * How the demo names a source's backend in its output.
 *
 * @example
 * ```ts ignore
 * import { sourceLabel } from "./sources.ts";
 * console.log(sourceLabel("efd_notify")); // efd_notify kernel module
 * ```
 */
export function sourceLabel(backend: string): string {
  return backend === "efd_notify" ? "efd_notify kernel module" : backend;
}

// Opening a channel, not statting the node: Deno wants --allow-all to stat
// a /dev node it does not know, and the open goes through FFI.
function moduleLoaded(): boolean {
  try {
    EfdNotifyChannel.open({ path: MODULE_DEVICE }).close();
  } catch (e) {
    if (e instanceof ModuleNotLoadedError) return false;
  }
  return true;
}

const FOUND = `kernel module: efd_notify found at ${MODULE_DEVICE}`;
const NOT_LOADED =
  `kernel module: not loaded (${MODULE_DEVICE} absent); the kernel's own I/O completions notify instead`;

/** AIO or io_uring as `choice` asks, noting fallbacks in `notes`. */
function ioSource(
  choice: SourceChoice,
  options: IoSourceOptions,
  notes: string[],
): IoSource {
  if (choice === "aio") return AioSource.create(options);
  if (choice === "io_uring") return IoUringSource.create(options);
  try {
    const ring = IoUringSource.create(options);
    if (ring.supports("read")) return ring;
    void ring.close(); // unattached and idle: closes synchronously
    notes.push(
      "io_uring has no read operation on this kernel (needs Linux 5.6); using AIO",
    );
  } catch (e) {
    if (!(e instanceof IoUnavailableError)) throw e;
    notes.push(`${e.message}; falling back to AIO`);
  }
  return AioSource.create(options);
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
  // The module's units carry no I/O: polls and reads the kernel completes
  // still need AIO/io_uring.
  const notes = [
    moduleLoaded()
      ? `${FOUND}; I/O still completes through AIO/io_uring`
      : NOT_LOADED,
  ];
  return { source: ioSource(choice, options, notes), notes };
}

function moduleSource(options: IoSourceOptions): PickedReadSource {
  return {
    source: EfdNotifySource.create(options),
    notes: [
      `${FOUND}; source: efd_notify kernel module (this thread reads each block into a shared slot, the module signals one unit per block)`,
    ],
  };
}

/**
 * Creates the demo's read source: "auto" prefers the efd_notify module
 * when its device exists and can be opened, else as {@linkcode pickSource}.
 *
 * @example
 * ```ts ignore
 * import { pickReadSource } from "./sources.ts";
 * const { source, notes } = pickReadSource("auto", { depth: 32, blockSize: 256 << 10 });
 * console.log(source.backend, notes); // efd_notify where /dev/efd_notify opens
 * await source.close();
 * ```
 */
export function pickReadSource(
  choice: ReadSourceChoice,
  options: IoSourceOptions,
): PickedReadSource {
  if (choice === "efd_notify") return moduleSource(options);
  if (choice !== "auto") {
    const notes = [
      moduleLoaded() ? `${FOUND}; not used (--source ${choice})` : NOT_LOADED,
    ];
    return { source: ioSource(choice, options, notes), notes };
  }
  try {
    return moduleSource(options);
  } catch (e) {
    if (
      !(e instanceof ModuleNotLoadedError || e instanceof DevicePermissionError)
    ) throw e;
    const notes = [
      e instanceof ModuleNotLoadedError
        ? NOT_LOADED
        : `${FOUND}, but unusable: ${e.message}`,
    ];
    return { source: ioSource(choice, options, notes), notes };
  }
}
