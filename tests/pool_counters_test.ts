// Counters: the histogram bucket found without Math.log2 is the one the
// definition gives, floor(4 · log2(µs)), at every edge and over the range.
import assert from "node:assert/strict";
import { bucketLimit, bucketOf, BUCKETS } from "../workers/_counters.ts";
import { mulberry32 } from "./_rng.ts";

function byDefinition(ms: number): number {
  const us = ms * 1000;
  if (!(us > 1)) return 0;
  return Math.min(BUCKETS - 1, Math.floor(Math.log2(us) * 4));
}

Deno.test("bucketOf: floor(4·log2(µs)) at the edges and over 10^-9..10^8 ms", () => {
  const edges = [0, -1, NaN, Infinity, 1e-3, 2e-3, 1, 1e9];
  for (let b = 0; b < BUCKETS; b++) {
    const limit = bucketLimit(b);
    // Exactly on an edge, Math.log2's rounding decides; a hair either side
    // is what a measured duration can be.
    edges.push(limit * (1 - 1e-12), limit * (1 + 1e-12));
  }
  for (const ms of edges) {
    assert.equal(bucketOf(ms), byDefinition(ms), `ms = ${ms}`);
  }
  const rnd = mulberry32(14);
  for (let i = 0; i < 200_000; i++) {
    const ms = 10 ** (rnd() * 17 - 9);
    assert.equal(bucketOf(ms), byDefinition(ms), `ms = ${ms}`);
  }
});
