/**
 * The pool's `error` event for errors that have nowhere else to go (a
 * throwing callback, a failed teardown or source). With no listener the
 * error is printed instead, once per message: never silent, and a loop
 * of the same failure does not flood the output.
 *
 * @module
 */

/** Reports `error` with `message`: as an event if someone listens, else printed once. */
export type Report = (error: unknown, message: string) => void;

/** Makes a pool's reporter; `name` prefixes what it prints. */
export function reporter(
  name: string,
  listening: () => boolean,
  dispatch: (ev: ErrorEvent) => void,
): Report {
  const unheard = new Set<string>();
  return (error, message) => {
    if (listening()) {
      dispatch(new ErrorEvent("error", { error, message }));
    } else if (!unheard.has(message)) {
      unheard.add(message);
      console.error(
        `${name}: ${message} (no "error" listener; shown once):`,
        error,
      );
    }
  };
}
