/**
 * The efdpool command line: `deno run -A cli.ts <command> [options]`
 * (also `deno task cli`). Every command has `--help` and `--json`; every
 * error ends the process with a non-zero status and a one-line cause.
 *
 * @module
 */

import { type CommandSpec, describeError, exitCodeOf } from "./cli/args.ts";
import { BENCH_SPEC, CRC32_SPEC, DEMO_SPEC, WATCH_SPEC } from "./cli/specs.ts";

type Command = (argv: string[]) => Promise<number>;

// Commands load on use: their modules need FFI at import time, so a missing
// --allow-ffi must surface inside the try below, as a one-line cause.
const COMMANDS: Record<
  string,
  { spec: CommandSpec; load: () => Promise<Command> }
> = {
  demo: {
    spec: DEMO_SPEC,
    load: async () => (await import("./cli/demo.ts")).demo,
  },
  crc32: {
    spec: CRC32_SPEC,
    load: async () => (await import("./cli/crc32_command.ts")).crc32Command,
  },
  bench: {
    spec: BENCH_SPEC,
    load: async () => (await import("./cli/bench.ts")).bench,
  },
  watch: {
    spec: WATCH_SPEC,
    load: async () => (await import("./cli/watch.ts")).watch,
  },
};

function usage(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    "efdpool: kernel eventfd notifications spread over a pool of workers",
    "",
    "Usage: efdpool <command> [options]   (deno task cli <command> …)",
    "",
    "Commands:",
    ...Object.entries(COMMANDS).map(([k, c]) =>
      `  ${k.padEnd(w)}  ${c.spec.summary}`
    ),
    "",
    "Run `efdpool <command> --help` for a command's options.",
  ].join("\n");
}

/**
 * Runs the CLI on `argv`; returns the exit code (errors are reported on
 * stderr as one line, and as `{"error": …}` on stdout with `--json`).
 *
 * @example
 * ```ts ignore
 * import { main } from "./cli.ts";
 * Deno.exit(await main(["demo", "--help"]));
 * ```
 */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (
    name === undefined || name === "--help" || name === "-h" || name === "help"
  ) {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(
      `efdpool: unknown command "${name}" (commands: ${
        Object.keys(COMMANDS).join(", ")
      })`,
    );
    return 2;
  }
  try {
    return await (await cmd.load())(rest);
  } catch (e) {
    const line = describeError(e);
    console.error(`efdpool ${name}: ${line}`);
    if (rest.includes("--json")) {
      console.log(
        JSON.stringify({
          error: line,
          type: e instanceof Error ? e.name : typeof e,
        }),
      );
    }
    return exitCodeOf(e);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
