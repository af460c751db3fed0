/**
 * Argument checks for the pool's public functions: each throws a
 * `TypeError` or `RangeError` naming the argument and showing the value,
 * before anything is queued or changed.
 *
 * @module
 */

/** Longest timer delay `setTimeout` honours (a larger one fires at once). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A value as it can safely appear in a message, whatever its type. */
export function show(v: unknown): string {
  switch (typeof v) {
    case "string":
      return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
    case "symbol":
      return v.toString();
    case "bigint":
      return `${v}n`;
    case "function":
      return "a function";
    case "object":
      if (v === null) return "null";
      if (Array.isArray(v)) return "an array";
      return `an object (${Object.prototype.toString.call(v)})`;
    default:
      return String(v);
  }
}

/** `options` must be undefined or an object (not an array: its fields would be ignored). */
export function checkOptions<T extends object>(
  what: string,
  options: T | undefined,
): T {
  if (options === undefined) return {} as T;
  if (
    typeof options !== "object" || options === null || Array.isArray(options)
  ) {
    throw new TypeError(`${what} must be an object, got ${show(options)}`);
  }
  return options;
}

/** `v`, or `fallback` when it was left out: unlike `??`, null is a value (to refuse). */
export function or<T, F>(v: T | undefined, fallback: F): T | F {
  return v === undefined ? fallback : v;
}

/** An integer within `min..max`. */
export function checkInt(
  what: string,
  v: unknown,
  min: number,
  max: number,
): number {
  if (typeof v !== "number") {
    throw new TypeError(`${what} must be a number, got ${show(v)}`);
  }
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(
      `${what} must be an integer within ${min}..${max}, got ${show(v)}`,
    );
  }
  return v;
}

/** A timer delay in ms: finite, ≥ 0, below 2^31 (setTimeout's limit). */
export function checkMs(what: string, v: unknown): number {
  if (typeof v !== "number") {
    throw new TypeError(`${what} must be a number of ms, got ${show(v)}`);
  }
  if (!(v >= 0 && v <= MAX_TIMER_MS)) {
    throw new RangeError(
      `${what} must be a number of ms within 0..${MAX_TIMER_MS}, got ${
        show(v)
      }`,
    );
  }
  return v;
}

/** A string. */
export function checkString(what: string, v: unknown): string {
  if (typeof v !== "string") {
    throw new TypeError(`${what} must be a string, got ${show(v)}`);
  }
  return v;
}

/** A function, if given. */
export function checkFunction(what: string, v: unknown): void {
  if (v !== undefined && typeof v !== "function") {
    throw new TypeError(`${what} must be a function, got ${show(v)}`);
  }
}

/** An AbortSignal, if given. */
export function checkSignal(
  what: string,
  v: unknown,
): AbortSignal | undefined {
  if (v !== undefined && !(v instanceof AbortSignal)) {
    throw new TypeError(`${what} must be an AbortSignal, got ${show(v)}`);
  }
  return v;
}

/** An array of distinct, movable ArrayBuffers, if given. */
export function checkTransfer(v: unknown): ArrayBuffer[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) {
    throw new TypeError(
      `options.transfer must be an array of ArrayBuffers, got ${show(v)}`,
    );
  }
  // A Set keeps the duplicate check linear in the list's length.
  const seen = new Set<ArrayBuffer>();
  for (const [i, b] of v.entries()) {
    if (!(b instanceof ArrayBuffer)) {
      throw new TypeError(
        `options.transfer[${i}] must be an ArrayBuffer, got ${show(b)}`,
      );
    }
    if (b.detached) {
      throw new TypeError(`options.transfer[${i}] is detached already`);
    }
    if (seen.has(b)) {
      throw new TypeError(`options.transfer[${i}] is listed twice`);
    }
    seen.add(b);
  }
  return v;
}

/** A handler module reference as a URL string: a URL, an absolute URL, or a path. */
export function checkHandler(what: string, h: unknown): string {
  if (h instanceof URL) return h.href;
  if (typeof h !== "string" || h === "") {
    throw new TypeError(
      `${what} must be a URL or a non-empty string, got ${show(h)}`,
    );
  }
  try {
    return new URL(h).href;
  } catch {
    return new URL(h, `file://${Deno.cwd()}/`).href;
  }
}
