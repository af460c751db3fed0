/**
 * Input files for the demo: walking a directory tree, and the generated
 * default file.
 *
 * @module
 */

import { FileOpenError } from "../io/errors.ts";
import { statPath } from "../io/file.ts";

const EACCES = 13;

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
  const info = statPath(path);
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

/**
 * Makes (or reuses, if it has the right size) a file of `size` bytes of
 * deterministic pseudo-random content.
 *
 * @example
 * ```ts ignore
 * import { ensureSampleFile } from "./files.ts";
 * ensureSampleFile("/tmp/sample.bin", 1 << 20);
 * ```
 */
export function ensureSampleFile(path: string, size: number): void {
  try {
    if (Deno.statSync(path).size === size) return;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const chunk = new Uint32Array(1 << 20);
  let x = 0x9e3779b9;
  using f = Deno.openSync(path, { write: true, create: true, truncate: true });
  for (let done = 0; done < size;) {
    for (let i = 0; i < chunk.length; i++) {
      // xorshift32: fast, and the same bytes on every run.
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      chunk[i] = x;
    }
    const bytes = new Uint8Array(
      chunk.buffer,
      0,
      Math.min(chunk.byteLength, size - done),
    );
    for (let off = 0; off < bytes.length;) {
      off += f.writeSync(bytes.subarray(off));
    }
    done += bytes.length;
  }
}
