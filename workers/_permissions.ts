/**
 * The read permission a pool needs, checked once, up front: a Worker loads
 * its module with the parent's permissions, so without `--allow-read` every
 * worker would fail on its own, each with an "Uncaught (in worker …)" line,
 * and the pool would blame the handler.
 *
 * @module
 */

import { MissingPermissionError } from "../errors.ts";

const WORKER_MODULE = new URL("./_worker.ts", import.meta.url);

/**
 * Throws `MissingPermissionError` naming the first of the pool's worker
 * module and `handler` (a resolved URL, or null) that this process may not
 * read. Modules that are not local files (https:, data:) need no
 * read permission.
 */
export function checkReadable(handler: string | null, worker = true): void {
  const urls = worker ? [WORKER_MODULE.href] : [];
  if (handler !== null) urls.push(handler);
  for (const href of urls) {
    if (!href.startsWith("file:")) continue;
    const path = decodeURIComponent(new URL(href).pathname);
    const { state } = Deno.permissions.querySync({ name: "read", path });
    if (state !== "granted") {
      throw new MissingPermissionError(
        "--allow-read",
        path,
        href === WORKER_MODULE.href
          ? "a WorkerPool's workers load efdpool's worker module"
          : "the pool's workers load the handler module",
      );
    }
  }
}
