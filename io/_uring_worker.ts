/**
 * The worker side of an io_uring source: claim one CQE per unit.
 *
 * The kernel adds one unit per batch of CQEs, not one per CQE. A worker
 * that claims a CQE and sees more unclaimed ones adds a unit itself (a
 * relay), so another worker comes for the next. No CQE is stranded: every
 * batch is followed by a kernel unit, and every claim that leaves CQEs
 * behind by a relay. No CQE is handled twice: the claim is a CAS on the CQ
 * head. The price is a unit now and then that finds the CQ already empty.
 *
 * @module
 */

import { EventFd } from "../ffi/eventfd.ts";
import type { Slots } from "./_slots.ts";
import type { UringKernelData } from "./uring.ts";
import { CqClaimer } from "./_uring_ring.ts";

/** Claims CQEs of one ring in this thread. */
export class UringReaper {
  readonly #cq: CqClaimer;
  readonly #efd: EventFd;
  readonly #slots: Slots;

  /** Builds views over the ring in `k`; `eventfd` is the source's, for relays. */
  constructor(k: UringKernelData, eventfd: number, slots: Slots) {
    this.#cq = new CqClaimer(k);
    this.#efd = EventFd.fromFd(eventfd, { owned: false, semaphore: true });
    this.#slots = slots;
  }

  /** Claims the next operation's CQE, or returns null if the CQ is empty. */
  reap(): { slot: number; res: number } | null {
    for (;;) {
      const cqe = this.#cq.claim();
      if (cqe === null) {
        this.#slots.countEmpty();
        return null;
      }
      // user_data 0: a CQE that is no operation's own; look further.
      if (cqe.userData === 0n) continue;
      if (this.#cq.pending() > 0) {
        this.#efd.write(1);
        this.#slots.countRelay();
      }
      return { slot: Number(cqe.userData) - 1, res: cqe.res };
    }
  }
}
