/**
 * Makes piscina (pinned) available to bench/compare/piscina_run.mjs under
 * Node, installing it with npm into a git-ignored directory on first use.
 *
 * @module
 */

/** The piscina release benchmarked. */
export const PISCINA_VERSION = "5.3.2";

/** Where piscina is installed: git-ignored, shared by runs. */
export const PISCINA_PREFIX =
  new URL("../../target/bench-node", import.meta.url)
    .pathname;

async function installedVersion(): Promise<string | undefined> {
  try {
    const pkg = JSON.parse(
      await Deno.readTextFile(
        `${PISCINA_PREFIX}/node_modules/piscina/package.json`,
      ),
    );
    return pkg.version;
  } catch {
    return undefined;
  }
}

async function succeeds(cmd: string, args: string[], cwd?: string) {
  try {
    const r = await new Deno.Command(cmd, {
      args,
      cwd,
      stdout: "null",
      stderr: "piped",
    }).output();
    return r.success ? "" : new TextDecoder().decode(r.stderr).trim();
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * Returns the install prefix, or the reason piscina cannot run here (no
 * Node, or not installed and `install` is false, or npm failed).
 *
 * @example
 * ```ts
 * import { ensurePiscina } from "./piscina.ts";
 * const r = await ensurePiscina({ install: false });
 * console.log("prefix" in r ? r.prefix : r.skipped);
 * ```
 */
export async function ensurePiscina(
  options: { install: boolean },
): Promise<{ prefix: string } | { skipped: string }> {
  const noNode = await succeeds("node", ["--version"]);
  if (noNode) return { skipped: `node is not runnable: ${noNode}` };
  if (await installedVersion() === PISCINA_VERSION) {
    return { prefix: PISCINA_PREFIX };
  }
  if (!options.install) {
    return {
      skipped: `piscina@${PISCINA_VERSION} not installed (--no-install)`,
    };
  }
  await Deno.mkdir(PISCINA_PREFIX, { recursive: true });
  await Deno.writeTextFile(
    `${PISCINA_PREFIX}/package.json`,
    JSON.stringify({ private: true }),
  );
  const err = await succeeds("npm", [
    "install",
    "--no-audit",
    "--no-fund",
    "--save-exact",
    `piscina@${PISCINA_VERSION}`,
  ], PISCINA_PREFIX);
  if (err) return { skipped: `npm install piscina@${PISCINA_VERSION}: ${err}` };
  return { prefix: PISCINA_PREFIX };
}
