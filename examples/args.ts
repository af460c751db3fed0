/**
 * How the examples read their command line (`node:util`'s `parseArgs`), so
 * every example has `--help`, getopt-style options, and bad input is one
 * line saying what is wrong (exit status 2), never a stack trace.
 *
 *   const args = exampleArgs("single_producer.ts", "One producer…", {
 *     units: { type: "string", value: "N", description: "units (default 20000)" },
 *   });
 *   const units = args.int("units", 20000);
 *
 * @module
 */

import { parseArgs } from "node:util";

/** One option of an example. */
export interface OptionSpec {
  /** "string" options take a value; "boolean" ones are flags. */
  type: "string" | "boolean";
  /** One-letter alias. */
  short?: string;
  /** Shown in `--help`. */
  description: string;
  /** Placeholder for the value in `--help`, e.g. "N". */
  value?: string;
}

const HELP: OptionSpec = {
  type: "boolean",
  short: "h",
  description: "show this help",
};

/** A usage error: the example prints it as one line and exits 2. */
class UsageError extends Error {}

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
  if (!(e instanceof UsageError)) throw e;
  console.error(`${file}: ${e.message}`);
  Deno.exit(2);
}

function helpText(
  program: string,
  summary: string,
  options: Record<string, OptionSpec>,
): string {
  const rows = Object.entries(options).map(([k, o]) => [
    (o.short ? `-${o.short}, ` : "    ") + `--${k}` +
    (o.type === "string" ? ` ${o.value ?? "VALUE"}` : ""),
    o.description,
  ]);
  const w = Math.max(...rows.map(([f]) => f.length));
  return [
    summary,
    "",
    `Usage: ${program} [options]`,
    "",
    "Options:",
    ...rows.map(([f, d]) => `  ${f.padEnd(w)}  ${d}`),
  ].join("\n");
}

/** Option values by name, checked against `options`; throws `UsageError`. */
function parse(
  argv: string[],
  options: Record<string, OptionSpec>,
  see: string,
): Record<string, string | boolean | undefined> {
  const { tokens } = parseArgs({
    args: argv,
    options: Object.fromEntries(
      Object.entries(options).map(([k, o]) => [
        k,
        o.short ? { type: o.type, short: o.short } : { type: o.type },
      ]),
    ),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const values: Record<string, string | boolean | undefined> = {};
  const extra: string[] = [];
  for (const t of tokens) {
    if (t.kind === "positional") extra.push(`"${t.value}"`);
    if (t.kind !== "option") continue;
    const o = Object.hasOwn(options, t.name) ? options[t.name] : undefined;
    if (o === undefined) {
      throw new UsageError(`unknown option ${t.rawName}; ${see}`);
    }
    if (o.type === "boolean") {
      if (t.value !== undefined) {
        throw new UsageError(`${t.rawName} takes no value, got "${t.value}"`);
      }
      values[t.name] = true;
    } else if (t.value === undefined) {
      throw new UsageError(
        `${t.rawName} needs a value (${o.value ?? "VALUE"}); ${see}`,
      );
    } else values[t.name] = t.value;
  }
  if (extra.length > 0) {
    throw new UsageError(`takes no arguments, got ${extra.join(" ")}`);
  }
  return values;
}

/** `--name`'s integer within `min..max`, or `fallback` when absent. */
function intValue(
  raw: string | boolean | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined) return fallback;
  const n = typeof raw === "string" && /^\s*[-+]?\d+\s*$/.test(raw)
    ? Number(raw)
    : NaN;
  if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
  const range = max === Number.MAX_SAFE_INTEGER
    ? `an integer >= ${min}`
    : `an integer from ${min} to ${max}`;
  throw new UsageError(`--${name} must be ${range}, got "${raw}"`);
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
  const program = `deno run -A examples/${file}`;
  const see = `see ${program} --help`;
  const all = { ...options, help: HELP };
  let values: Record<string, string | boolean | undefined> = {};
  try {
    values = parse(Deno.args, all, see);
    if (values.help) {
      console.log(helpText(program, summary, all));
      Deno.exit(0);
    }
  } catch (e) {
    usageError(file, e);
  }
  return {
    int(name, fallback, min = 0, max = Number.MAX_SAFE_INTEGER) {
      try {
        if (fallback === undefined && values[name] === undefined) {
          throw new UsageError(`--${name} is required; ${see}`);
        }
        return intValue(values[name], name, fallback ?? 0, min, max);
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
          new UsageError(
            `--${name} must be one of ${choices.join(", ")}, got "${v}"`,
          ),
        );
      }
      return v as (typeof choices)[number];
    },
  };
}
