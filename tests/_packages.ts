/**
 * Test helper: installs Debian packages a test file needs (through
 * tools/ensure_packages.sh, as CI does on a fresh machine).
 *
 * @module
 */

const ENSURE = new URL("../tools/ensure_packages.sh", import.meta.url).pathname;

/** Installs `pkgs` if missing; true when they are there. */
export async function ensurePackages(...pkgs: string[]): Promise<boolean> {
  const { success } = await new Deno.Command(ENSURE, {
    args: pkgs,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return success;
}
