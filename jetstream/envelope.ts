/**
 * The bytes one JetStream message travels in, from the main thread through
 * the pool's task queue to a worker. One `Uint8Array` takes the pool's bytes
 * fast path; an object holding bytes would go through structured clone,
 * which costs ≈10 µs a message.
 *
 * Layout (little endian): magic u32, stream seq f64, delivery count u32,
 * timestamp ms f64, subject length u32, headers length u32, then the
 * subject (UTF-8), the headers (JSON of `[name, values][]`) and the data.
 * Delivery count 0 marks the probe `attach()` sends to check the handler.
 *
 * @module
 */

const MAGIC = 0x3153_4a45; // "EJS1"
const FIXED = 32;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
// Subjects repeat: encode each once (a bounded cache, cleared when full).
const subjects = new Map<string, Uint8Array>();

/** A JetStream message, as a handler wrapped with `jetStreamHandler` sees it. */
export interface JetStreamMessage {
  /** The subject it was published on. */
  subject: string;
  /** Its stream sequence: unique within the stream, the key for idempotence. */
  seq: number;
  /** How many times it was delivered before this one (0 on the first delivery). */
  redelivered: number;
  /** The delivery count, from 1 (`redelivered + 1`). */
  deliveryCount: number;
  /** When the stream stored it, in epoch milliseconds. */
  timestamp: number;
  /** Its headers, name → values (empty when it has none). */
  headers: Map<string, string[]>;
  /** Its payload. */
  data: Uint8Array;
  /** The payload decoded as UTF-8. */
  string(): string;
  /** The payload parsed as JSON. */
  json<T = unknown>(): T;
}

/** The fields the main thread packs. */
export interface EnvelopeFields {
  subject: string;
  seq: number;
  deliveryCount: number;
  timestamp: number;
  headers?: Iterable<[string, string[]]>;
  data: Uint8Array;
}

/** Packs one message into the bytes a worker unpacks with {@linkcode unpack}. */
export function pack(m: EnvelopeFields): Uint8Array {
  let subject = subjects.get(m.subject);
  if (!subject) {
    if (subjects.size >= 1024) subjects.clear();
    subjects.set(m.subject, subject = encoder.encode(m.subject));
  }
  const headers = m.headers
    ? encoder.encode(JSON.stringify([...m.headers]))
    : null;
  const hlen = headers?.length ?? 0;
  const out = new Uint8Array(FIXED + subject.length + hlen + m.data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setFloat64(4, m.seq, true);
  dv.setUint32(12, m.deliveryCount, true);
  dv.setFloat64(16, m.timestamp, true);
  dv.setUint32(24, subject.length, true);
  dv.setUint32(28, hlen, true);
  out.set(subject, FIXED);
  if (headers) out.set(headers, FIXED + subject.length);
  out.set(m.data, FIXED + subject.length + hlen);
  return out;
}

/** The bytes of the probe `attach()` runs to check that the handler unpacks envelopes. */
export function probe(): Uint8Array {
  return pack({
    subject: "",
    seq: 0,
    deliveryCount: 0,
    timestamp: 0,
    data: new Uint8Array(0),
  });
}

/** What a wrapped handler answers to the probe. */
export const PROBE_ANSWER = "efdpool-jetstream-handler-1";

/** Whether `input` is an envelope made by {@linkcode pack}. */
export function isEnvelope(input: unknown): input is Uint8Array {
  return input instanceof Uint8Array && input.length >= FIXED &&
    new DataView(input.buffer, input.byteOffset, 4).getUint32(0, true) ===
      MAGIC;
}

/** Unpacks an envelope; null for the probe. */
export function unpack(b: Uint8Array): JetStreamMessage | null {
  const dv = new DataView(b.buffer, b.byteOffset, FIXED);
  const deliveryCount = dv.getUint32(12, true);
  if (deliveryCount === 0) return null;
  const slen = dv.getUint32(24, true);
  const hlen = dv.getUint32(28, true);
  const subject = decoder.decode(b.subarray(FIXED, FIXED + slen));
  const headers = new Map<string, string[]>(
    hlen
      ? JSON.parse(
        decoder.decode(b.subarray(FIXED + slen, FIXED + slen + hlen)),
      )
      : [],
  );
  const data = b.subarray(FIXED + slen + hlen);
  return {
    subject,
    seq: dv.getFloat64(4, true),
    redelivered: deliveryCount - 1,
    deliveryCount,
    timestamp: dv.getFloat64(16, true),
    headers,
    data,
    string: () => decoder.decode(data),
    json: <T>() => JSON.parse(decoder.decode(data)) as T,
  };
}
