import type { Completion } from "@efdpool/efdpool";

/** Sums a block's bytes; `completion.data` is valid until this returns. */
export function handle(completion: Completion): number {
  if (completion.error) throw completion.error;
  return completion.data!.reduce((a, b) => a + b, 0);
}
