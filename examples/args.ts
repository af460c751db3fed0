/**
 * How the examples read their command line: the CLI's own parser, so every
 * example has `--help`, getopt-style options, and bad input is one line
 * saying what is wrong (exit status 2), never a stack trace.
 *
 *   const args = exampleArgs("single_producer.ts", "One producer…", {
 *     units: { type: "string", value: "N", description: "units (default 20000)" },
 *   });
 *   const units = args.int("units", 20000);
 *
 * @module
 */

import {
  atMost,
  CliError,
  helpText,
  type OptionSpec,
  parse,
  type Parsed,
} from "../cli/args.ts";
import { intOption } from "../cli/options.ts";

/** Typed readers of an example's parsed options; each exits 2 on bad input. */
export interface ExampleArgs {
  /** An integer within `min..max`; required when `fallback` is undefined. */
  int(name: string, fallback?: number, min?: number, max?: number): number;
  /** Whether a flag was given. */
  flag(name: string): boolean;
  /** One of `choices` (the first is the default). */
  choice<T extends string>(name: string, choices: readonly T[]): T;
}

/**
 * A `--name N` option: a count.
 *
 * @example
 * ```ts ignore
 * exampleArgs("x.ts", "…", { units: countSpec("units to produce (default 100)") });
 * ```
 */
export function countSpec(description: string): OptionSpec {
  return { type: "string", value: "N", description };
}

/**
 * `-w, --workers N`, as every example that starts a pool takes it.
 *
 * @example
 * ```ts ignore
 * exampleArgs("x.ts", "…", { workers: workersSpec(4) });
 * ```
 */
export function workersSpec(fallback: number): OptionSpec {
  return { ...countSpec(`pool workers (default ${fallback})`), short: "w" };
}

function usageError(file: string, e: unknown): never {
  if (!(e instanceof CliError)) throw e;
  console.error(`${file}: ${e.message}`);
  Deno.exit(e.exitCode);
}

/**
 * Parses `Deno.args` for the example `file`; prints the help and exits on
 * `--help`, prints one line and exits 2 on a usage error.
 *
 * @example
 * ```ts ignore
 * import { exampleArgs } from "./args.ts";
 * const args = exampleArgs("tally.ts", "Counts units", {});
 * ```
 */
export function exampleArgs(
  file: string,
  summary: string,
  options: Record<string, OptionSpec>,
): ExampleArgs {
  const spec = {
    name: file,
    program: `deno run -A examples/${file}`,
    summary,
    usage: "[options]",
    options,
  };
  let values: Parsed["values"];
  try {
    const parsed = parse(Deno.args, spec);
    values = parsed.values;
    if (values.help) {
      console.log(helpText(spec));
      Deno.exit(0);
    }
    atMost(parsed.positionals, 0, "");
  } catch (e) {
    usageError(file, e);
  }
  return {
    int(name, fallback, min = 0, max = Number.MAX_SAFE_INTEGER) {
      try {
        if (fallback === undefined && values[name] === undefined) {
          throw new CliError(
            `--${name} is required; see ${spec.program} --help`,
            2,
          );
        }
        return intOption(values, name, fallback ?? 0, min, max);
      } catch (e) {
        usageError(file, e);
      }
    },
    flag: (name) => values[name] === true,
    choice(name, choices) {
      const v = values[name] ?? choices[0];
      if (!choices.includes(v as never)) {
        usageError(
          file,
          new CliError(
            `--${name} must be one of ${choices.join(", ")}, got "${v}"`,
            2,
          ),
        );
      }
      return v as (typeof choices)[number];
    },
  };
}
