/**
 * The worker side of an AIO source: reap exactly one event per unit.
 *
 * @module
 */

import { ERRNO, ErrnoError } from "../ffi/errno.ts";
import type { AioKernelData } from "./aio.ts";
import { addressOf, sysRaw } from "./_sys.ts";

const { EINTR } = ERRNO;
/** A unit guarantees an event, so a wait this long means a broken invariant. */
const REAP_TIMEOUT_S = 10n;

/** Reaps events of one AIO context in this thread. */
export class AioReaper {
  readonly #ctx: bigint;
  readonly #event = new BigInt64Array(4);
  readonly #eventAddress: bigint;
  readonly #timeout = new BigInt64Array([REAP_TIMEOUT_S, 0n]);
  readonly #timeoutAddress: bigint;

  /** Builds a reaper for the context in `k`. */
  constructor(k: AioKernelData) {
    this.#ctx = k.ctx;
    this.#eventAddress = addressOf(this.#event);
    this.#timeoutAddress = addressOf(this.#timeout);
  }

  /**
   * Takes one event. Call it only for a unit taken from the source's
   * eventfd: the event is in the ring before its unit is signalled, so
   * this returns at once.
   */
  reap(): { slot: number; res: number } {
    for (;;) {
      const r = sysRaw("io_getevents", [
        this.#ctx,
        1,
        1,
        this.#eventAddress,
        this.#timeoutAddress,
      ]);
      if (r === 1n) {
        return { slot: Number(this.#event[0]), res: Number(this.#event[2]) };
      }
      if (r === -BigInt(EINTR)) continue;
      if (r === 0n) {
        throw new Error(
          `AIO unit without an event after ${REAP_TIMEOUT_S} s: the context was destroyed while the source was attached`,
        );
      }
      throw new ErrnoError("io_getevents", Number(-r));
    }
  }
}
