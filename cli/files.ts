/**
 * Input files for the CLI: walking a directory tree, with Deno's permission
 * errors told in our words.
 *
 * @module
 */

import { FileOpenError } from "../mod.ts";
import { ERRNO } from "../ffi/mod.ts";
import { statPath } from "../io/mod.ts";
import { CliError, permissionCause } from "./args.ts";

const { EACCES } = ERRNO;

/**
 * `statPath`, but a path Deno guards behind `--allow-all` (under /proc,
 * /dev, /sys) fails with a `CliError` that says so, instead of asking for
 * the `--allow-read` the process may well have.
 *
 * @example
 * ```ts
 * import { statReadable } from "./files.ts";
 * console.log(statReadable("/etc").isDirectory); // true
 * ```
 */
export function statReadable(path: string): Deno.FileInfo {
  try {
    return Deno.statSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) {
      throw new CliError(permissionCause(e.message));
    }
    return statPath(path); // missing, not permitted by the OS: its typed errors
  }
}

/**
 * The regular files under `path` (itself, if it is one), sorted, symlinks
 * not followed. Throws `FileOpenError` for a missing or unreadable path.
 *
 * @example
 * ```ts
 * import { listFiles } from "./files.ts";
 * console.log(listFiles("/etc/hostname")); // ["/etc/hostname"]
 * ```
 */
export function listFiles(path: string): string[] {
  const info = statReadable(path);
  if (info.isFile) return [path];
  if (!info.isDirectory) return [];
  const out: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(path)];
  } catch (e) {
    if (e instanceof Deno.errors.PermissionDenied) {
      throw new FileOpenError(path, EACCES);
    }
    throw e;
  }
  entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  for (const e of entries) {
    const p = `${path.replace(/\/+$/, "")}/${e.name}`;
    if (e.isFile) out.push(p);
    else if (e.isDirectory) out.push(...listFiles(p));
  }
  return out;
}
