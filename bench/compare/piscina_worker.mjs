// piscina's task function: the same tiny work as bench/compare/handler.ts.
export default function handle(n) {
  return n instanceof Uint8Array ? n.length + n[0] : n + 1;
}
