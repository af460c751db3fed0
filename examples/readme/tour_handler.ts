import type { HandlerContext } from "@efdpool/efdpool";

/** Tasks get their payload; units of an attached eventfd get a Notification. */
export function handle(input: { n: number }, ctx: HandlerContext): unknown {
  if (ctx.notification) return ctx.notification.seq;
  return { n: input.n + 1 };
}
