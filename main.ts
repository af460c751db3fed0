/**
 * The efdpool demo (`deno task demo [PATH]`): checksum a file or directory
 * tree in parallel — the kernel signals an eventfd for each block (the
 * efd_notify module when /dev/efd_notify is there, else io_uring or AIO read
 * completions), a pool of workers checksums the blocks — and check the result
 * against a single-threaded run. Same as `deno task cli demo`.
 *
 * @module
 */

import { main } from "./cli.ts";

if (import.meta.main) Deno.exit(await main(["demo", ...Deno.args]));
