/**
 * Argument parsing, help text and the one-line error report shared by the
 * CLI's subcommands.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ErrnoError } from "../ffi/errno.ts";

/** One option of a subcommand. */
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

/** A subcommand's name, summary, usage line and options. */
export interface CommandSpec {
  /** e.g. "demo". */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Arguments after the name, e.g. "[PATH]". */
  usage: string;
  /** More text under the usage. */
  details?: string;
  /** Options besides --help and --json, which every command has. */
  options: Record<string, OptionSpec>;
}

/** A failure the CLI reports as one line and an exit code (2: bad usage, 1: the rest). */
export class CliError extends Error {
  /** The process exit code. */
  readonly exitCode: number;

  /**
   * Builds the error.
   *
   * @param message The one-line cause.
   * @param exitCode 2 for usage errors, 1 otherwise.
   *
   * @example
   * ```ts
   * import { CliError } from "./args.ts";
   * const e = new CliError("--workers must be an integer >= 1, got \"0\"", 2);
   * console.log(e.exitCode); // 2
   * ```
   */
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

const COMMON: Record<string, OptionSpec> = {
  help: { type: "boolean", short: "h", description: "show this help" },
  json: { type: "boolean", description: "print machine-readable JSON" },
};

/** Parsed arguments: option values by name, and positionals. */
export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * Parses `argv` for `spec`; throws `CliError` (exit code 2) naming the bad
 * flag.
 *
 * @example
 * ```ts
 * import { parse } from "./args.ts";
 * const spec = { name: "x", summary: "", usage: "", options: {} };
 * console.log(parse(["--json"], spec).values.json); // true
 * ```
 */
export function parse(argv: string[], spec: CommandSpec): Parsed {
  const options = { ...COMMON, ...spec.options };
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: Object.fromEntries(
        Object.entries(options).map((
          [k, o],
        ) => [
          k,
          o.short ? { type: o.type, short: o.short } : { type: o.type },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Parsed["values"], positionals };
  } catch (e) {
    throw new CliError(
      `${spec.name}: ${(e as Error).message.split("\n")[0]} (see --help)`,
      2,
    );
  }
}

/**
 * The `--help` text of a subcommand.
 *
 * @example
 * ```ts
 * import { helpText } from "./args.ts";
 * console.log(helpText({ name: "demo", summary: "Run the demo", usage: "[PATH]", options: {} }));
 * ```
 */
export function helpText(spec: CommandSpec): string {
  const rows = Object.entries({ ...spec.options, ...COMMON }).map(([k, o]) => {
    const flag = (o.short ? `-${o.short}, ` : "    ") + `--${k}` +
      (o.type === "string" ? ` ${o.value ?? "VALUE"}` : "");
    return [flag, o.description];
  });
  const w = Math.max(...rows.map(([f]) => f.length));
  return [
    `${spec.summary}`,
    "",
    `Usage: efdpool ${spec.name} ${spec.usage}`.trimEnd(),
    ...(spec.details ? ["", spec.details] : []),
    "",
    "Options:",
    ...rows.map(([f, d]) => `  ${f.padEnd(w)}  ${d}`),
  ].join("\n");
}

/**
 * Reads a positive integer option, or `fallback` when absent.
 *
 * @example
 * ```ts
 * import { intOption } from "./args.ts";
 * console.log(intOption({ workers: "4" }, "workers", 2)); // 4
 * ```
 */
export function intOption(
  values: Parsed["values"],
  name: string,
  fallback: number,
  min = 1,
): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== "string" || !Number.isSafeInteger(n) || n < min) {
    throw new CliError(
      `--${name} must be an integer >= ${min}, got "${raw}"`,
      2,
    );
  }
  return n;
}

/**
 * Reads a size like `64M`, `512K`, `1G` or `4096` (bytes).
 *
 * @example
 * ```ts
 * import { sizeOption } from "./args.ts";
 * console.log(sizeOption({ size: "64M" }, "size", 0)); // 67108864
 * ```
 */
export function sizeOption(
  values: Parsed["values"],
  name: string,
  fallback: number,
): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const m = typeof raw === "string" && /^(\d+)([KMG]i?B?)?$/i.exec(raw.trim());
  const unit = m ? (m[2] ?? "").charAt(0).toUpperCase() : "";
  const n = m
    ? Number(m[1]) * ({ "": 1, K: 1024, M: 1 << 20, G: 1 << 30 }[unit] ?? NaN)
    : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new CliError(
      `--${name} must be a size like 4096, 256K, 64M or 1G, got "${raw}"`,
      2,
    );
  }
  return n;
}

/**
 * Reads a duration like `10s`, `500ms` or `2m`, in milliseconds.
 *
 * @example
 * ```ts
 * import { durationOption } from "./args.ts";
 * console.log(durationOption({ duration: "1.5s" }, "duration", 0)); // 1500
 * ```
 */
export function durationOption(
  values: Parsed["values"],
  name: string,
  fallback: number,
): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const m = typeof raw === "string" &&
    /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(raw.trim());
  const ms = m
    ? Number(m[1]) * { ms: 1, s: 1000, m: 60000 }[m[2] ?? "s"]!
    : NaN;
  if (!(ms > 0)) {
    throw new CliError(
      `--${name} must be a duration like 500ms, 10s or 2m, got "${raw}"`,
      2,
    );
  }
  return ms;
}

/**
 * The one-line cause of any error, for the CLI's stderr.
 *
 * @example
 * ```ts
 * import { describeError } from "./args.ts";
 * console.log(describeError(new Deno.errors.NotFound("x"))); // x
 * ```
 */
export function describeError(e: unknown): string {
  const first = (m: string) => m.split("\n")[0];
  if (e instanceof Deno.errors.NotCapable) {
    return `no permission: ${first(e.message)}`;
  }
  if (!(e instanceof Error)) return String(e);
  // A wrapped errno is worth showing when the message does not name it.
  const c = e.cause;
  const errno = c instanceof ErrnoError && !e.message.includes(c.code)
    ? ` [${c.message}]`
    : "";
  return first(e.message) + errno;
}

/** Exit code for an error: a `CliError`'s own, else 1. */
export function exitCodeOf(e: unknown): number {
  return e instanceof CliError ? e.exitCode : 1;
}
