/**
 * Argument parsing, help text and the one-line error report shared by the
 * CLI's subcommands.
 *
 * @module
 */

import { ErrnoError } from "../mod.ts";

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
  /** How to run it, for help and hints (default: `efdpool NAME`). */
  program?: string;
  /** The option that gzip-style `-1` … `-9` set, if any (e.g. "level"). */
  digits?: string;
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
 * Parses `argv` for `spec` the way getopt does: `--name value`,
 * `--name=value`, `-n value`, `-nvalue`, grouped flags (`-kf`), `--` ends
 * the options. A value-taking option takes the next argument even if it
 * starts with "-" (so `-w -3` reports -3 as a bad count). Throws
 * `CliError` (exit code 2) with one line in our own words.
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
  const byShort = new Map(
    Object.entries(options).flatMap(([k, o]) => o.short ? [[o.short, k]] : []),
  );
  const values: Parsed["values"] = {};
  const positionals: string[] = [];
  const see = `see ${spec.program ?? `efdpool ${spec.name}`} --help`;
  const take = (
    name: string,
    shown: string,
    inline: string | undefined,
    i: number,
  ): number => {
    const o = options[name];
    if (o.type === "boolean") {
      if (inline !== undefined) {
        throw new CliError(`${shown} takes no value, got "${inline}"`, 2);
      }
      values[name] = true;
      return i;
    }
    const v = inline ?? argv[i + 1];
    if (v === undefined) {
      throw new CliError(
        `${shown} needs a value (${o.value ?? "VALUE"}); ${see}`,
        2,
      );
    }
    values[name] = v;
    return inline === undefined ? i + 1 : i;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      if (!Object.hasOwn(options, name)) {
        throw new CliError(`unknown option --${name}; ${see}`, 2);
      }
      i = take(name, `--${name}`, eq < 0 ? undefined : a.slice(eq + 1), i);
    } else if (spec.digits && /^-[1-9]$/.test(a)) {
      values[spec.digits] = a[1];
    } else if (a.startsWith("-") && a.length > 1) {
      // Grouped one-letter flags; a value-taking one ends the group.
      for (let j = 1; j < a.length; j++) {
        const name = byShort.get(a[j]);
        if (name === undefined) {
          throw new CliError(`unknown option -${a[j]}; ${see}`, 2);
        }
        const rest = a.slice(j + 1);
        if (options[name].type === "string") {
          i = take(name, `-${a[j]}`, rest === "" ? undefined : rest, i);
          break;
        }
        take(name, `-${a[j]}`, undefined, i);
      }
    } else {
      positionals.push(a);
    }
  }
  return { values, positionals };
}

/**
 * Throws a usage error when there are more than `most` positionals.
 *
 * @example
 * ```ts
 * import { atMost } from "./args.ts";
 * atMost(["a"], 1, "PATH"); // fine
 * ```
 */
export function atMost(
  positionals: string[],
  most: number,
  what: string,
): void {
  if (positionals.length <= most) return;
  const extra = positionals.slice(most).map((p) => `"${p}"`).join(" ");
  throw new CliError(
    most === 0
      ? `takes no arguments, got ${extra}`
      : `takes at most ${most} ${what}, got extra ${extra}`,
    2,
  );
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
    `Usage: ${spec.program ?? `efdpool ${spec.name}`} ${spec.usage}`.trimEnd(),
    ...(spec.details ? ["", spec.details] : []),
    "",
    "Options:",
    ...rows.map(([f, d]) => `  ${f.padEnd(w)}  ${d}`),
  ].join("\n");
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
  if (e instanceof Deno.errors.NotCapable) return permissionCause(e.message);
  if (!(e instanceof Error)) return String(e);
  // A wrapped errno is worth showing when the message does not name it.
  const c = e.cause;
  const errno = c instanceof ErrnoError && !e.message.includes(c.code)
    ? ` [${c.message}]`
    : "";
  return first(e.message) + errno;
}

/**
 * Deno's "Requires X access to P" in our words, naming the flag that is
 * really missing: paths under /proc, /dev (e.g. /dev/shm) and /sys need
 * `--allow-all`, whatever `--allow-read`/`--allow-write` say.
 *
 * @example
 * ```ts
 * import { permissionCause } from "./args.ts";
 * console.log(permissionCause('Requires all access to "/proc/x", run again with the --allow-all flag'));
 * ```
 */
export function permissionCause(message: string): string {
  const m = /Requires (\w+) access to "?([^",]*)"?/.exec(message);
  if (!m) return `no permission: ${message.split("\n")[0]}`;
  const [, kind, what] = m;
  if (kind === "all") {
    return `${what}: Deno guards paths under /proc, /dev and /sys behind --allow-all (-A); --allow-read/--allow-write are not enough there`;
  }
  const flag = kind === "write" || kind === "read"
    ? `--allow-${kind}=${what.replace(/\/[^/]*$/, "") || "/"}`
    : `--allow-${kind}`;
  return `${what}: Deno has no ${kind} permission for it; run with ${flag} (or -A)`;
}

/** Exit code for an error: a `CliError`'s own, else 1. */
export function exitCodeOf(e: unknown): number {
  return e instanceof CliError ? e.exitCode : 1;
}
