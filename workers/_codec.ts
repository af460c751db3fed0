/**
 * Payload and result encoding for the shared rings.
 *
 * Structured clone (`node:v8` serialize) costs ≈10 µs here, which would cap
 * the pool far below its targets, so the common shapes take fast paths:
 * primitives inline, bytes as bytes, plain JSON-exact data as JSON text.
 * Only values JSON would alter fall back to structured clone.
 *
 * `node:v8` brings Deno's Node compatibility layer, about 2 MiB of heap per
 * isolate, so a worker loads it only when a value needs it (see
 * {@linkcode loadClone}); the pool's thread registers it at start-up.
 *
 * @module
 */

/** The structured-clone functions of `node:v8`. */
export interface CloneCodec {
  serialize(value: unknown): Uint8Array;
  deserialize(bytes: Uint8Array): unknown;
}

let clone: CloneCodec | undefined;

/** Thrown by encode/decode when a value needs structured clone before {@linkcode loadClone}. */
export const CLONE_NOT_LOADED: unique symbol = Symbol("clone codec not loaded");

/** Registers the structured-clone functions (the pool's thread, at start-up). */
export function useClone(codec: CloneCodec): void {
  clone = codec;
}

/** Whether values needing structured clone can be encoded and decoded. */
export function cloneReady(): boolean {
  return clone !== undefined;
}

/** Loads `node:v8` for structured clone (a worker, on the first value that needs it). */
export async function loadClone(): Promise<void> {
  clone ??= await import("node:v8");
}

/** Payload kinds, stored in a record header. */
export const Kind = {
  Undefined: 0,
  Null: 1,
  True: 2,
  False: 3,
  Number: 4,
  String: 5,
  Bytes: 6,
  Buffer: 7,
  Json: 8,
  Clone: 9,
} as const;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** An encoded value: its kind, and its bytes unless the kind says it all. */
export interface Encoded {
  kind: number;
  /** For `Number`, the value; else unused. */
  num: number;
  bytes: Uint8Array | null;
}

// JSON round-trips a value exactly only if every number is finite and not
// -0, nothing is undefined/bigint/function/symbol, and every object is a
// plain object or array (a Date would come back a string, a Map as {}).
// A walk checks that, then JSON.stringify runs without a replacer: a
// replacer function makes V8 leave its fast path and call back into
// JavaScript for every key (17 us of a 40 us run() at a low rate here).
// Past MAX_DEPTH (or on a cycle) the value goes to structured clone.
const MAX_DEPTH = 64;

function exact(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case "number":
      return Number.isFinite(v) && !Object.is(v, -0);
    case "string":
    case "boolean":
      return true;
    case "object": {
      if (v === null) return true;
      if (depth >= MAX_DEPTH) return false;
      if (Array.isArray(v)) {
        // Holes, or keys besides the indexes, JSON would drop.
        if (Object.keys(v).length !== v.length) return false;
        for (let i = 0; i < v.length; i++) {
          if (!exact(v[i], depth + 1)) return false;
        }
        return true;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return false;
      const o = v as Record<string, unknown>;
      for (const k in o) {
        if (Object.hasOwn(o, k) && !exact(o[k], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

function jsonExact(value: unknown): string | null {
  return exact(value, 0) ? JSON.stringify(value) : null;
}

/**
 * Encodes a value for a ring record.
 *
 * @example
 * ```ts
 * import { decode, encode } from "./_codec.ts";
 * const e = encode({ a: 1 });
 * console.log(decode(e.kind, e.num, e.bytes!)); // { a: 1 }
 * ```
 */
export function encode(value: unknown): Encoded {
  switch (typeof value) {
    case "undefined":
      return { kind: Kind.Undefined, num: 0, bytes: null };
    case "boolean":
      return { kind: value ? Kind.True : Kind.False, num: 0, bytes: null };
    case "number":
      return { kind: Kind.Number, num: value, bytes: null };
    case "string":
      return { kind: Kind.String, num: 0, bytes: encoder.encode(value) };
  }
  if (value === null) return { kind: Kind.Null, num: 0, bytes: null };
  if (value instanceof Uint8Array && value.constructor === Uint8Array) {
    return { kind: Kind.Bytes, num: 0, bytes: value };
  }
  if (value instanceof ArrayBuffer) {
    return { kind: Kind.Buffer, num: 0, bytes: new Uint8Array(value) };
  }
  const json = typeof value === "object" ? jsonExact(value) : null;
  if (json !== null) {
    return { kind: Kind.Json, num: 0, bytes: encoder.encode(json) };
  }
  if (!clone) throw CLONE_NOT_LOADED;
  return {
    kind: Kind.Clone,
    num: 0,
    bytes: new Uint8Array(clone.serialize(value)),
  };
}

/** Longest text decoded without TextDecoder (one argument per byte below). */
const SHORT_TEXT = 4096;

/**
 * UTF-8 `bytes` as a string. Short ASCII (most JSON) is read in place with
 * String.fromCharCode: TextDecoder costs a call into Deno and, for shared
 * memory, which it refuses, a copy first (about 1.1 us against 0.15 here).
 */
function text(bytes: Uint8Array): string {
  if (bytes.length <= SHORT_TEXT) {
    let ascii = true;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      return String.fromCharCode.apply(null, bytes as unknown as number[]);
    }
  }
  return decoder.decode(
    bytes.buffer instanceof SharedArrayBuffer ? bytes.slice() : bytes,
  );
}

/**
 * Decodes a value; `bytes` may view shared memory (it is copied as needed).
 *
 * @example
 * ```ts
 * import { decode, Kind } from "./_codec.ts";
 * console.log(decode(Kind.Number, 42, new Uint8Array(0))); // 42
 * ```
 */
export function decode(kind: number, num: number, bytes: Uint8Array): unknown {
  switch (kind) {
    case Kind.Undefined:
      return undefined;
    case Kind.Null:
      return null;
    case Kind.True:
      return true;
    case Kind.False:
      return false;
    case Kind.Number:
      return num;
    case Kind.String:
      return text(bytes);
    case Kind.Bytes:
      return bytes.slice();
    case Kind.Buffer:
      return bytes.slice().buffer;
    case Kind.Json:
      return JSON.parse(text(bytes));
    case Kind.Clone:
      if (!clone) throw CLONE_NOT_LOADED;
      return clone.deserialize(bytes.slice());
  }
  throw new TypeError(`corrupt ring record: unknown payload kind ${kind}`);
}
