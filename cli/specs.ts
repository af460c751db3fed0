/**
 * The CLI's command lines: names, options and help texts. Kept apart from
 * the commands so `--help` and usage errors need no FFI and load nothing
 * heavy.
 *
 * @module
 */

import type { CommandSpec } from "./args.ts";

/** The demo's command line. */
export const DEMO_SPEC: CommandSpec = {
  name: "demo",
  summary:
    "Checksum (CRC-32) a file or directory tree in parallel and check it against a single-threaded run",
  usage: "[PATH]",
  details: "Without PATH, checksums a generated file in /tmp (see --size).\n" +
    "With /dev/efd_notify present, this thread reads the blocks and the efd_notify\n" +
    "kernel module signals the pool once per block; else the kernel completes the\n" +
    "block reads (io_uring, else AIO). The pool's workers checksum the blocks, and\n" +
    "the block CRCs are combined into each file's CRC-32\n" +
    "(the zlib/gzip one). Exit status 1 if the two runs disagree.",
  options: {
    source: {
      type: "string",
      value: "NAME",
      description: "auto (default), io_uring, aio or efd_notify",
    },
    workers: {
      type: "string",
      short: "w",
      value: "N",
      description: "pool workers (default: CPU count)",
    },
    block: {
      type: "string",
      value: "SIZE",
      description: "read size per block (default 256K; a multiple of 4K)",
    },
    depth: {
      type: "string",
      value: "N",
      description: "reads in flight (default 32)",
    },
    direct: {
      type: "boolean",
      description:
        "bypass the page cache with O_DIRECT (falls back where unsupported)",
    },
    size: {
      type: "string",
      value: "SIZE",
      description: "size of the generated file (default 64M)",
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
    workers: {
      type: "string",
      short: "w",
      value: "N",
      description: "pool workers (default: CPU count)",
    },
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
    "Run a source under load (checksumming a file over and over) and show its live stats",
  usage: "[FILE]",
  details:
    "Without FILE, reads the demo's generated file. With --json, prints one JSON\n" +
    "object per interval (NDJSON) and a final summary.",
  options: {
    source: {
      type: "string",
      value: "NAME",
      description: "auto (default), io_uring or aio",
    },
    workers: {
      type: "string",
      short: "w",
      value: "N",
      description: "pool workers (default: CPU count)",
    },
    duration: {
      type: "string",
      short: "d",
      value: "TIME",
      description: "how long to run (default 10s)",
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
      description: "reads in flight (default 32)",
    },
    block: {
      type: "string",
      value: "SIZE",
      description: "read size (default 64K)",
    },
  },
};
