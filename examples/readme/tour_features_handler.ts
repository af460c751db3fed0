let scale = 0;

/** Runs once per worker, before it serves (awaited within `loadTimeout`). */
export function setup(): void {
  scale = 2;
}

/** Runs on a graceful exit or a recycle (bounded by `timeoutGrace`). */
export function teardown(): void {
  scale = 0;
}

/** `run(x)`. */
export function handle(x: number): number {
  return x * scale;
}

/** `run(img, { name: "resize" })`: async, so `concurrency` lets a worker hold several. */
export async function resize(img: { w: number; h: number }) {
  await new Promise((r) => setTimeout(r, 1));
  return { w: img.w / 2, h: img.h / 2 };
}
