/**
 * The efdpool demo (`deno task demo [PATH]`): gzip a file in parallel, as
 * pigz does — the kernel completes the block reads and signals the pool
 * (io_uring, else AIO; the efd_notify module when /dev/efd_notify is
 * there), the pool's workers deflate the blocks, this thread writes one
 * standard gzip member — then check the output with node:zlib and gunzip
 * and time the same job by one node:zlib thread, gzip and pigz, side by
 * side. Without PATH it compresses generated log-like text. Same as
 * `deno task cli demo`.
 *
 * @module
 */

import { main } from "./cli.ts";

if (import.meta.main) Deno.exit(await main(["demo", ...Deno.args]));
