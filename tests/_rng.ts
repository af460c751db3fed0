/**
 * Test helper: the seeded PRNG the sample generator uses, so a failing random
 * sequence can be replayed from its seed.
 *
 * @module
 */

export { mulberry32 } from "../cli/sample.ts";
