/**
 * The CLI's command lines: names, options and help texts. Kept apart from
 * the commands so `--help` and usage errors need no FFI and load nothing
 * heavy.
 *
 * @module
 */

import type { CommandSpec, OptionSpec } from "./args.ts";

/** `--workers`, as every command that starts a pool takes it. */
const WORKERS: OptionSpec = {
  type: "string",
  short: "w",
  value: "N",
  description: "pool workers, 1..256 (default: CPU count)",
};

/** The demo's command line. */
export const DEMO_SPEC: CommandSpec = {
  name: "demo",
  summary:
    "Gzip a file in parallel from kernel-completed reads, checked and timed against node:zlib, gzip and pigz",
  usage: "[PATH]",
  digits: "level",
  details:
    "Without PATH, compresses a generated log-like text file in /tmp (see --size).\n" +
    "The kernel completes the block reads (io_uring, else AIO; with /dev/efd_notify\n" +
    "present, this thread reads and the efd_notify module signals the pool), the\n" +
    "pool's workers deflate the blocks as pigz does, with the system zlib (each\n" +
    "primed with the 32 KiB before it as a dictionary), and this thread writes them\n" +
    "in order into one standard gzip member.\n" +
    "The output is decompressed with node:zlib and the system gunzip and compared\n" +
    "with the input; the same input is compressed by one node:zlib thread, gzip and\n" +
    "pigz -p W for the figures. Exit status 1 if a check fails.",
  options: {
    output: {
      type: "string",
      short: "o",
      value: "FILE",
      description: "where to write the .gz (default: PATH.gz)",
    },
    force: {
      type: "boolean",
      short: "f",
      description: "overwrite an existing output file",
    },
    keep: {
      type: "boolean",
      short: "k",
      description: "keep the input (always so: the demo never deletes it)",
    },
    level: {
      type: "string",
      short: "l",
      value: "N",
      description: "compression level 1..9, or -1 … -9 (default 6, as gzip's)",
    },
    workers: WORKERS,
    block: {
      type: "string",
      short: "b",
      value: "SIZE",
      description: "uncompressed bytes per block, 32K..16M (default 256K)",
    },
    source: {
      type: "string",
      value: "NAME",
      description: "auto (default), io_uring, aio or efd_notify",
    },
    depth: {
      type: "string",
      value: "N",
      description: "reads in flight, 1..1024 (default 16)",
    },
    size: {
      type: "string",
      value: "SIZE",
      description: "size of the generated input, 1..4G (default 32M)",
    },
    runs: {
      type: "string",
      short: "n",
      value: "N",
      description: "time each contender N times, report medians (default 1)",
    },
    stats: {
      type: "boolean",
      description:
        "serve the pool's stats for `efdpool watch PID` (also EFDPOOL_STATS=1)",
    },
  },
};

/** `efdpool crc32`'s command line. */
export const CRC32_SPEC: CommandSpec = {
  name: "crc32",
  summary:
    "CRC-32 of files and directory trees, blocks checksummed in parallel by the pool",
  usage: "PATH...",
  details:
    "Every regular file under each PATH (symlinks not followed) is read in blocks\n" +
    "through the kernel source; the pool's workers checksum the blocks with\n" +
    "node:zlib's crc32() and the system zlib's crc32_combine() joins them (the\n" +
    "zlib/gzip CRC-32).",
  options: {
    source: {
      type: "string",
      value: "NAME",
      description: "auto (default), io_uring, aio or efd_notify",
    },
    workers: WORKERS,
    block: {
      type: "string",
      short: "b",
      value: "SIZE",
      description:
        "read size per block, a multiple of 4K up to 16M (default 256K)",
    },
    depth: {
      type: "string",
      value: "N",
      description: "reads in flight, 1..1024 (default 32)",
    },
    direct: {
      type: "boolean",
      description:
        "bypass the page cache with O_DIRECT (falls back where unsupported)",
    },
  },
};

/** The bench's command line. */
export const BENCH_SPEC: CommandSpec = {
  name: "bench",
  summary:
    "Measure completions/s through the pool for each source (AIO, io_uring) and operation",
  usage: "",
  details:
    "Each case keeps --depth operations in flight until --ops have completed; the\n" +
    "handler does nothing, so the numbers are the cost of notification, reaping and\n" +
    "dispatch. 'eventfd' is the baseline: units written to a semaphore eventfd by userspace.",
  options: {
    source: {
      type: "string",
      value: "LIST",
      description: "comma-separated: eventfd,aio,io_uring (default: all)",
    },
    ops: {
      type: "string",
      short: "n",
      value: "N",
      description: "completions per case (default 20000)",
    },
    workers: WORKERS,
    depth: {
      type: "string",
      value: "N",
      description: "operations in flight (default 128)",
    },
  },
};

/** The watch command line. */
export const WATCH_SPEC: CommandSpec = {
  name: "watch",
  summary:
    "Live stats of a running pool (efdpool watch PID), or of a synthetic load (--synthetic)",
  usage: "PID | --synthetic [FILE]",
  details:
    "PID is a process whose pool serves its stats: started with EFDPOOL_STATS=1\n" +
    "(efdpool demo --stats, or serveStats(pool) in your code), on a Unix socket under\n" +
    "$XDG_RUNTIME_DIR or /tmp. Shows units/s, per-worker shares and utilization,\n" +
    "queue depth, wait and run time percentiles, restarts and redeliveries until\n" +
    "the process ends, --duration passes or Ctrl-C, then a summary.\n" +
    "--synthetic runs its own pool: kernel-completed reads of FILE (default: the\n" +
    "demo's generated input), checksummed over and over.\n" +
    "When stdout is not a terminal (or with --json), prints one JSON line per interval.",
  options: {
    synthetic: {
      type: "boolean",
      description: "watch a pool of our own under load instead of a PID",
    },
    source: {
      type: "string",
      value: "NAME",
      description: "with --synthetic: auto (default), io_uring or aio",
    },
    workers: {
      ...WORKERS,
      description: `with --synthetic: ${WORKERS.description}`,
    },
    duration: {
      type: "string",
      short: "d",
      value: "TIME",
      description:
        "stop after TIME (default: until the process ends; 10s with --synthetic)",
    },
    interval: {
      type: "string",
      short: "i",
      value: "TIME",
      description: "refresh period (default 500ms)",
    },
    depth: {
      type: "string",
      value: "N",
      description: "with --synthetic: reads in flight, 1..1024 (default 32)",
    },
    block: {
      type: "string",
      value: "SIZE",
      description: "with --synthetic: read size, 4K..16M (default 64K)",
    },
  },
};
