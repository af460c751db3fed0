/**
 * Argument checks shared by the public API: each throws a `TypeError` (wrong
 * type) or `RangeError` (right type, bad value) whose message names the
 * argument and shows the value, before the caller has any side effect.
 *
 * @module
 * @internal
 */

const MAX_SHOWN = 40;

/**
 * Renders any value for an error message. Never throws (symbols, proxies,
 * objects whose `toString` throws) and never grows large (huge strings).
 */
export function show(value: unknown): string {
  switch (typeof value) {
    case "string":
      return value.length > MAX_SHOWN
        ? `${
          JSON.stringify(value.slice(0, MAX_SHOWN))
        }… (${value.length} chars)`
        : JSON.stringify(value);
    case "bigint":
      return `${value}n`;
    case "number":
      return Object.is(value, -0) ? "-0" : String(value);
    case "symbol":
      return clip(value.toString());
    case "function":
      return `function ${clip(value.name || "(anonymous)")}`;
    case "object": {
      if (value === null) return "null";
      try {
        // Array.isArray and getPrototypeOf throw on a revoked Proxy.
        if (Array.isArray(value)) return `an array of length ${value.length}`;
        const name = Object.getPrototypeOf(value)?.constructor?.name;
        return typeof name === "string" && name !== ""
          ? `${/^[AEIOU]/.test(name) ? "an" : "a"} ${clip(name)}`
          : "an object";
      } catch {
        return "an object";
      }
    }
    default:
      return String(value);
  }
}

function clip(s: string): string {
  return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}…` : s;
}

/**
 * Checks that `value` is an integer number within `min..max` and returns it.
 */
export function checkInt(
  name: string,
  value: unknown,
  min: number,
  max: number,
): number {
  if (typeof value !== "number") {
    throw new TypeError(
      `${name} must be an integer within ${min}..${max}, got ${show(value)}`,
    );
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `${name} must be an integer within ${min}..${max}, got ${show(value)}`,
    );
  }
  return value;
}

/** The largest value a C `int` holds: fds and poll/epoll timeouts. */
export const INT_MAX = 0x7fffffff;

/** Checks that `value` could be an open file descriptor number. */
export function checkFd(name: string, value: unknown): number {
  return checkInt(name, value, 0, INT_MAX);
}

/** Checks an options bag: `undefined` (→ `{}`) or a non-null object. */
export function checkOptions<T extends object>(
  name: string,
  value: T | undefined,
): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object, got ${show(value)}`);
  }
  return value;
}

/** Checks an optional boolean option and returns it, or `fallback` when absent. */
export function checkBoolean(
  name: string,
  value: unknown,
  fallback: boolean,
): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw new TypeError(`${name} must be a boolean, got ${show(value)}`);
  }
  return value;
}

/** Checks an optional `signal` option: absent or an `AbortSignal`. */
export function checkSignal(
  name: string,
  value: unknown,
): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) {
    throw new TypeError(`${name} must be an AbortSignal, got ${show(value)}`);
  }
  return value;
}
