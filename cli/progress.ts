/**
 * A one-line progress bar on stderr, drawn only when stderr is a terminal
 * (so pipes and `--json` output stay clean).
 *
 * @module
 */

const encoder = new TextEncoder();

/** A progress bar for work of a known total. */
export class ProgressBar {
  readonly #total: number;
  readonly #label: string;
  readonly #enabled: boolean;
  #last = 0;

  /**
   * Builds a bar; `enabled` defaults to "stderr is a terminal".
   *
   * @example
   * ```ts
   * import { ProgressBar } from "./progress.ts";
   * const bar = new ProgressBar(100, "reading", false);
   * bar.update(50);
   * bar.finish();
   * ```
   */
  constructor(
    total: number,
    label: string,
    enabled = Deno.stderr.isTerminal(),
  ) {
    this.#total = Math.max(1, total);
    this.#label = label;
    this.#enabled = enabled;
  }

  /**
   * Redraws the bar at `done` of the total (at most every 100 ms).
   *
   * @example
   * ```ts
   * import { ProgressBar } from "./progress.ts";
   * new ProgressBar(10, "x", false).update(3);
   * ```
   */
  update(done: number, extra = ""): void {
    if (!this.#enabled) return;
    const now = performance.now();
    if (now - this.#last < 100 && done < this.#total) return;
    this.#last = now;
    Deno.stderr.writeSync(
      encoder.encode(
        `\r\x1b[2K${renderBar(done / this.#total)} ${this.#label} ${extra}`,
      ),
    );
  }

  /**
   * Clears the bar's line.
   *
   * @example
   * ```ts
   * import { ProgressBar } from "./progress.ts";
   * new ProgressBar(10, "x", false).finish();
   * ```
   */
  finish(): void {
    if (this.#enabled) Deno.stderr.writeSync(encoder.encode("\r\x1b[2K"));
  }
}

/**
 * A 30-cell bar with a percentage, e.g. `[#########.....]  64%`.
 *
 * @example
 * ```ts
 * import { renderBar } from "./progress.ts";
 * console.log(renderBar(0.5, 10)); // [#####.....]  50%
 * ```
 */
export function renderBar(fraction: number, width = 30): string {
  const f = Math.min(1, Math.max(0, fraction));
  const full = Math.round(f * width);
  return `[${"#".repeat(full)}${".".repeat(width - full)}] ${
    String(Math.floor(f * 100)).padStart(3)
  }%`;
}
