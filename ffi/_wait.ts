/**
 * Readiness waits that never block the event loop and never consume data.
 *
 * A `nonblocking: true` FFI `read` left pending keeps running on Deno's
 * thread pool and steals the next unit, even after its caller gave up. So
 * async waits here only `poll` for readiness off-thread, together with a
 * private wake-up eventfd that cancels the poll; whoever waited then takes
 * data with a synchronous, non-blocking call on its own thread.
 *
 * @module
 */

import { EFD_CLOEXEC, EFD_NONBLOCK, POLLIN } from "./constants.ts";
import { ERRNO, lastErrno, throwErrno } from "./errno.ts";
import { libc } from "./_libc.ts";

const { EINTR } = ERRNO;

/** A wake-up eventfd that cuts short one pending off-thread poll. */
export class Waker {
  readonly fd: number;
  #woken = false;

  constructor(fd: number) {
    this.fd = fd;
  }

  /** Makes the pending poll return; idempotent until `reset`. */
  wake(): void {
    if (this.#woken) return;
    this.#woken = true;
    scratch[0] = 1n;
    libc().write(this.fd, scratch, 8n);
  }

  get woken(): boolean {
    return this.#woken;
  }

  reset(): void {
    if (!this.#woken) return;
    libc().read(this.fd, scratch, 8n);
    this.#woken = false;
  }
}

const scratch = new BigUint64Array(1);

/**
 * Runs `wait` with a fresh waker that `signal` fires, and closes the waker
 * afterwards. Rejects at once if `signal` is already aborted.
 */
export async function withWaker<T>(
  signal: AbortSignal | undefined,
  wait: (waker: Waker) => Promise<T>,
): Promise<T> {
  signal?.throwIfAborted();
  const fd = libc().eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) throwErrno("eventfd", "wake-up fd");
  const waker = new Waker(fd);
  const onAbort = () => waker.wake();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    return await wait(waker);
  } finally {
    signal?.removeEventListener("abort", onAbort);
    // Not kept for reuse: a Worker has no exit hook to close spares, so they
    // would leak one fd per concurrent wait with every Worker that ends.
    libc().close(fd);
  }
}

/**
 * Polls `fds` (plus the waker) on Deno's blocking thread pool until one is
 * ready, the waker fires or `timeoutMs` passes (-1: forever). Resolves with
 * the revents of each fd in `fds` order (all 0 on timeout or wake).
 */
export async function pollOffThread(
  fds: readonly { fd: number; events: number }[],
  timeoutMs: number,
  waker: Waker,
): Promise<number[]> {
  const n = fds.length + 1;
  // The pollfd array is malloc'd, not a typed array: if this isolate ends (a
  // Worker terminated) while the poll is pending, the poll still returns
  // later and writes its revents. Into isolate memory that would be a write
  // after free (it crashed a CI run with SIGSEGV); C memory is only leaked.
  const ptr = libc().malloc(BigInt(n * 8));
  if (ptr === null) throw new RangeError(`cannot allocate ${n} pollfds`);
  try {
    const view = new DataView(
      Deno.UnsafePointerView.getArrayBuffer(ptr, n * 8),
    );
    fds.forEach(({ fd, events }, i) => {
      view.setInt32(i * 8, fd, true);
      view.setInt16(i * 8 + 4, events, true);
      view.setInt16(i * 8 + 6, 0, true);
    });
    view.setInt32(fds.length * 8, waker.fd, true);
    view.setInt16(fds.length * 8 + 4, POLLIN, true);
    view.setInt16(fds.length * 8 + 6, 0, true);
    const deadline = timeoutMs < 0 ? Infinity : performance.now() + timeoutMs;
    for (;;) {
      const left = deadline === Infinity
        ? -1
        : Math.max(0, Math.ceil(deadline - performance.now()));
      const r = await libc().pollAsync(ptr, BigInt(n), left);
      // errno is thread-local and the poll ran on another thread, so an
      // EINTR there cannot be read here; a negative result is retried, and
      // the only other failures (EFAULT, EINVAL, ENOMEM) cannot arise from
      // this well-formed, bounded call.
      if (r >= 0 || performance.now() >= deadline) break;
    }
    return fds.map((_, i) => view.getInt16(i * 8 + 6, true));
  } finally {
    libc().free(ptr);
  }
}

/** Synchronous `poll` with EINTR retried against the original deadline. */
export function pollSync(
  buf: Int32Array,
  n: number,
  timeoutMs: number,
): number {
  const deadline = timeoutMs < 0 ? Infinity : performance.now() + timeoutMs;
  for (;;) {
    const left = deadline === Infinity
      ? -1
      : Math.max(0, Math.ceil(deadline - performance.now()));
    const r = libc().poll(buf, BigInt(n), left);
    if (r >= 0) return r;
    if (lastErrno() !== EINTR) throwErrno("poll", `${n} fds`);
  }
}
