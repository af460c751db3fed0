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
function jsonExact(value: unknown): string | null {
  let exact = true;
  const text = JSON.stringify(
    value,
    function (this: Record<string, unknown>, key: string, v: unknown) {
      const raw = this[key];
      switch (typeof raw) {
        case "number":
          if (!Number.isFinite(raw) || Object.is(raw, -0)) exact = false;
          break;
        case "object":
          if (raw !== null && !Array.isArray(raw)) {
            const proto = Object.getPrototypeOf(raw);
            if (proto !== Object.prototype && proto !== null) exact = false;
          } else if (
            Array.isArray(raw) && raw.length !== Object.keys(raw).length
          ) {
            exact = false; // holes
          }
          break;
        case "string":
        case "boolean":
          break;
        default:
          exact = false;
      }
      return v;
    },
  );
  return exact ? text : null;
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
      return decoder.decode(bytes.slice());
    case Kind.Bytes:
      return bytes.slice();
    case Kind.Buffer:
      return bytes.slice().buffer;
    case Kind.Json:
      return JSON.parse(decoder.decode(bytes.slice()));
    case Kind.Clone:
      if (!clone) throw CLONE_NOT_LOADED;
      return clone.deserialize(bytes.slice());
  }
  throw new TypeError(`corrupt ring record: unknown payload kind ${kind}`);
}
