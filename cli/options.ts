/**
 * Reading the CLI's option values: integers and sizes within a range,
 * durations, `--workers`. Each bad value is a `CliError` with exit code 2
 * naming the option, the range and what was given.
 *
 * @module
 */

import { CliError, type Parsed } from "./args.ts";

/**
 * Reads an integer option within `min..max`, or `fallback` when absent.
 *
 * @example
 * ```ts
 * import { intOption } from "./options.ts";
 * console.log(intOption({ workers: "4" }, "workers", 2, 1, 256)); // 4
 * ```
 */
export function intOption(
  values: Parsed["values"],
  name: string,
  fallback: number,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = typeof raw === "string" && /^\s*[-+]?\d+\s*$/.test(raw)
    ? Number(raw)
    : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER
      ? `an integer >= ${min}`
      : `an integer from ${min} to ${max}`;
    throw new CliError(`--${name} must be ${range}, got "${raw}"`, 2);
  }
  return n;
}

/**
 * Reads `--workers`: 1..256, by default the CPU count.
 *
 * @example
 * ```ts
 * import { workersOption } from "./options.ts";
 * console.log(workersOption({ workers: "3" })); // 3
 * ```
 */
export function workersOption(values: Parsed["values"]): number {
  return intOption(values, "workers", navigator.hardwareConcurrency, 1, 256);
}

/**
 * Reads a size like `64M`, `512K`, `1G` or `4096` (bytes), within
 * `min..max`, or `fallback` when absent.
 *
 * @example
 * ```ts
 * import { sizeOption } from "./options.ts";
 * console.log(sizeOption({ size: "64M" }, "size", 0)); // 67108864
 * ```
 */
export function sizeOption(
  values: Parsed["values"],
  name: string,
  fallback: number,
  min = 1,
  max = 2 ** 40,
): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const m = typeof raw === "string" && /^(\d+)([KMG]i?B?)?$/i.exec(raw.trim());
  const unit = m ? (m[2] ?? "").charAt(0).toUpperCase() : "";
  const n = m
    ? Number(m[1]) * ({ "": 1, K: 1024, M: 1 << 20, G: 1 << 30 }[unit] ?? NaN)
    : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new CliError(
      `--${name} must be a size from ${formatSize(min)} to ${
        formatSize(max)
      } (like 256K, 64M), got "${raw}"`,
      2,
    );
  }
  return n;
}

/**
 * A byte count the way sizes are typed: `4096`, `256K`, `64M`, `1G`.
 *
 * @example
 * ```ts
 * import { formatSize } from "./options.ts";
 * console.log(formatSize(128 << 10)); // 128K
 * ```
 */
export function formatSize(n: number): string {
  for (
    const [u, b] of [["T", 2 ** 40], ["G", 2 ** 30], ["M", 2 ** 20], [
      "K",
      1024,
    ]] as const
  ) {
    if (n >= b && n % b === 0) return `${n / b}${u}`;
  }
  return String(n);
}

/**
 * Reads a duration like `10s`, `500ms` or `2m`, in milliseconds.
 *
 * @example
 * ```ts
 * import { durationOption } from "./options.ts";
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
