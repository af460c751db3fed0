/**
 * `crc32Combine`, the one CRC-32 step `node:zlib` lacks: it joins the CRCs
 * of adjacent pieces (the zlib/gzip/PNG CRC, reflected polynomial
 * 0xEDB88320), so blocks can be checksummed in any order, in parallel, and
 * still give the CRC of the whole. The CRCs themselves come from
 * `node:zlib`'s native `crc32()`.
 *
 * @module
 */

const POLY = 0xedb88320;

/** a·b modulo the CRC polynomial, in the reflected bit order. */
function multModP(a: number, b: number): number {
  let m = 1 << 31;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

// X2N[k] = x^(2^k) mod p.
const X2N = (() => {
  const t = new Uint32Array(32);
  let p = 1 << 30;
  t[0] = p;
  for (let k = 1; k < 32; k++) t[k] = p = multModP(p, p);
  return t;
})();

/** x^(n·2^k) modulo the polynomial. */
function x2nModP(n: number, k: number): number {
  let p = 1 << 31;
  while (n > 0) {
    if (n % 2) p = multModP(X2N[k & 31], p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

/**
 * The CRC-32 of A followed by B, from `crcA`, `crcB` and B's length, as
 * zlib's `crc32_combine`.
 *
 * @example
 * ```ts
 * import { crc32 } from "node:zlib";
 * import { crc32Combine } from "./crc32.ts";
 * const enc = new TextEncoder();
 * const whole = crc32(enc.encode("hello world"));
 * const joined = crc32Combine(crc32(enc.encode("hello ")), crc32(enc.encode("world")), 5);
 * console.log(whole === joined); // true
 * ```
 */
export function crc32Combine(
  crcA: number,
  crcB: number,
  lengthB: number,
): number {
  return (multModP(x2nModP(lengthB, 3), crcA) ^ crcB) >>> 0;
}
