/**
 * Worker side: a handler's outcome as the record the pool receives — the
 * value, or an error saying why it cannot be sent.
 *
 * @module
 */

import { CLONE_NOT_LOADED, encode, type Encoded } from "./_codec.ts";
import { Status } from "./_protocol.ts";

/**
 * The record for a handler's outcome (`status` and its value), at most
 * `maxPayload` bytes. Throws CLONE_NOT_LOADED if the value needs structured
 * clone and this worker has not loaded it yet (see _codec.ts).
 */
export function encodeResult(
  status: number,
  value: unknown,
  maxPayload: number,
): { status: number; e: Encoded } {
  let e: Encoded;
  try {
    e = status === Status.Error ? encodeError(value) : encode(value);
  } catch (err) {
    if (err === CLONE_NOT_LOADED) throw err;
    return {
      status: Status.Error,
      e: encodeError(
        new TypeError(
          `handler result cannot be sent to the pool: ${
            (err as Error).message
          }`,
        ),
      ),
    };
  }
  const size = e.bytes?.length ?? 0;
  if (size <= maxPayload) return { status, e };
  return {
    status: Status.Error,
    e: encodeError(
      new RangeError(`handler result of ${size} bytes exceeds the result ring`),
    ),
  };
}

/** An error's encoding; keeps what identifies it if the rest cannot be cloned. */
function encodeError(e: unknown): Encoded {
  if (e instanceof Error) {
    try {
      return encode(e);
    } catch (err) {
      if (err === CLONE_NOT_LOADED) throw err;
      // Unclonable extras on the error: keep what identifies it.
    }
    return encode({ name: e.name, message: e.message, stack: e.stack });
  }
  try {
    return encode(e);
  } catch (err) {
    if (err === CLONE_NOT_LOADED) throw err;
    return encode(String(e));
  }
}
