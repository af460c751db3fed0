/**
 * Builds the C pthreads + eventfd reference (c_ref.c) with the system `cc`.
 *
 * @module
 */

/** The C reference could not be built. */
export class CBuildError extends Error {
  /**
   * Builds the error.
   *
   * @example
   * ```ts
   * import { CBuildError } from "./c_ref.ts";
   * console.log(new CBuildError("cc not found").name);
   * ```
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CBuildError";
  }
}

/**
 * Compiles c_ref.c with `cc -O2 -pthread` into `dir` and returns the
 * binary's path.
 *
 * @example
 * ```ts
 * import { buildCRef } from "./c_ref.ts";
 * const dir = await Deno.makeTempDir();
 * console.log(await buildCRef(dir));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function buildCRef(dir: string): Promise<string> {
  const src = new URL("./c_ref.c", import.meta.url).pathname;
  const out = `${dir}/c_ref`;
  let res: Deno.CommandOutput;
  try {
    res = await new Deno.Command("cc", {
      args: ["-O2", "-pthread", "-o", out, src],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    throw new CBuildError(`cannot run cc: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (!res.success) {
    throw new CBuildError(
      `cc -O2 -pthread ${src} failed:\n${new TextDecoder().decode(res.stderr)}`,
    );
  }
  return out;
}
