/** Added at run time with `pool.addHandler("thumb", …)`. */
export function handle(img: { w: number; h: number }) {
  return { w: 64, h: Math.round((64 * img.h) / img.w) };
}
