// piscina's task function: the same tiny work as bench/compare/handler.ts.
export default function handle(n) {
  return n + 1;
}
