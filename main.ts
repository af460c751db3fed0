/**
 * The efdpool demo (`deno task demo [PATH]`): checksum a file or directory
 * tree in parallel — the kernel completes the reads and signals an eventfd,
 * a pool of workers checksums the blocks — and check the result against a
 * single-threaded run. Same as `deno task cli demo`.
 *
 * @module
 */

import { main } from "./cli.ts";

if (import.meta.main) Deno.exit(await main(["demo", ...Deno.args]));
