/**
 * What a source's handler receives for each kernel completion, and how a
 * slot plus a raw result become one.
 *
 * @module
 */

import { ERRNO } from "../ffi/errno.ts";
import type { HandlerContext } from "../workers/types.ts";
import { CompletionError } from "./errors.ts";
import type { OpName, SlotOp, Slots } from "./_slots.ts";

const { ETIME, ECANCELED } = ERRNO;

/** One kernel completion, as a source's handler sees it. */
export interface Completion {
  /** The id the submit call returned. */
  id: number;
  /** The tag given at submit (default 0), e.g. a block number. */
  tag: number;
  /** The operation. */
  op: OpName;
  /** The fd it was on (-1 for timeouts and nops). */
  fd: number;
  /** File offset of a read. */
  offset: number;
  /**
   * The kernel's result: bytes read, the ready poll events, or 0; a negated
   * errno when the operation failed (then `error` is set).
   */
  res: number;
  /**
   * For a successful read: the bytes read, a view into the source's shared
   * buffer that stays valid only until the handler returns (or its promise
   * settles). Copy what must outlive it.
   */
  data?: Uint8Array;
  /** Set when the operation failed or was cancelled (`code` ECANCELED). */
  error?: CompletionError;
}

/** A source handler module's `handle` export. */
export type CompletionHandler = (
  completion: Completion,
  ctx: HandlerContext,
) => unknown;

/**
 * Builds the completion of the operation in `slot` from the kernel's raw
 * result. A fired timeout (-ETIME) is its success; an AIO poll that was
 * cancelled reports 0 events, which becomes ECANCELED as on io_uring.
 */
export function toCompletion(
  slots: Slots,
  slot: number,
  rawRes: number,
): Completion {
  const op: SlotOp = slots.op(slot);
  let res = rawRes;
  if (op.op === "timeout" && res === -ETIME) res = 0;
  if (op.op === "poll" && res === 0 && slots.cancelled(slot)) res = -ECANCELED;
  const c: Completion = {
    id: op.id,
    tag: op.tag,
    op: op.op,
    fd: op.fd,
    offset: op.offset,
    res,
  };
  if (res < 0) {
    const what = op.op === "read"
      ? `fd ${op.fd}, ${op.length} bytes at ${op.offset}`
      : op.op === "poll"
      ? `fd ${op.fd}, events ${op.length}`
      : op.op === "timeout"
      ? `${op.length} ms`
      : "";
    c.error = new CompletionError(op.op, op.id, -res, what);
  } else if (op.op === "read") {
    c.data = slots.bytes(slot, res);
  }
  return c;
}
