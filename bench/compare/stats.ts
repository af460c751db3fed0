/**
 * Small statistics for the comparison: medians and ranges over rounds.
 *
 * @module
 */

/**
 * The median of `xs` (the mean of the middle two for an even count).
 *
 * @example
 * ```ts
 * import { median } from "./stats.ts";
 * console.log(median([3, 1, 2])); // 2
 * ```
 */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError("median of no values");
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** A median with the smallest and largest value it was taken over. */
export interface Spread {
  /** Median. */
  med: number;
  /** Smallest value. */
  min: number;
  /** Largest value. */
  max: number;
  /** How many values. */
  n: number;
}

/**
 * Median, min and max of `xs`, or `undefined` for none.
 *
 * @example
 * ```ts
 * import { spread } from "./stats.ts";
 * console.log(spread([4, 1, 2])); // { med: 2, min: 1, max: 4, n: 3 }
 * ```
 */
export function spread(xs: readonly number[]): Spread | undefined {
  if (xs.length === 0) return undefined;
  return {
    med: median(xs),
    min: Math.min(...xs),
    max: Math.max(...xs),
    n: xs.length,
  };
}
