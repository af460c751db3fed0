/**
 * How the task runners submit tasks, shared by the Deno runner and the Node
 * (piscina) runner, hence plain JavaScript.
 *
 * All at once (`window` 0) is the old measurement: it leaves every task
 * unsettled together, so with 200k of them it mostly times V8's heap growth.
 * A bounded window is how a real caller feeds a pool: `window` lanes, each
 * awaiting one task before it starts the next, so at most `window` tasks are
 * in flight and every task still runs exactly once.
 *
 * @module
 */

/**
 * Runs tasks `from` … `from + count - 1` through `runOne` (which runs task
 * `i` and tallies its result), all at once when `window` is 0, else with at
 * most `window` in flight.
 *
 * @example
 * ```ts
 * import { submitTasks } from "./submit.mjs";
 * let sum = 0;
 * await submitTasks(1, 10, 3, (i) => Promise.resolve(i).then((v) => { sum += v; }));
 * console.log(sum); // 55
 * ```
 *
 * @param {number} from
 * @param {number} count
 * @param {number} window
 * @param {(i: number) => Promise<unknown>} runOne
 * @returns {Promise<unknown>}
 */
export function submitTasks(from, count, window, runOne) {
  if (window === 0) {
    return Promise.all(
      Array.from({ length: count }, (_, k) => runOne(from + k)),
    );
  }
  const end = from + count;
  let next = from;
  const lane = async () => {
    while (next < end) await runOne(next++);
  };
  return Promise.all(Array.from({ length: Math.min(window, count) }, lane));
}
