/**
 * The system's zlib (`libz.so.1`), through FFI: raw deflate with a real
 * preset dictionary and per-call flush control, and CRC-32 with its combine
 * step — what the demo's parallel gzip needs and Deno's `node:zlib` lacks
 * (its `dictionary` option is ignored, and its bundled zlib finds fewer
 * matches at a given level than the zlib `gzip` and `pigz` use).
 *
 * Loaded lazily, once per thread: a `Deno.dlopen` handle cannot cross
 * `postMessage`, so each Worker opens its own.
 *
 * @module
 */

/** Environment variable that overrides the path of the zlib to open. */
export const LIBZ_PATH_ENV = "EFDPOOL_LIBZ";

const symbols = {
  zlibVersion: { parameters: [], result: "pointer" },
  // (z_streamp, int level, int method, int windowBits, int memLevel,
  //  int strategy, const char *version, int stream_size)
  deflateInit2_: {
    parameters: ["buffer", "i32", "i32", "i32", "i32", "i32", "buffer", "i32"],
    result: "i32",
  },
  deflateReset: { parameters: ["buffer"], result: "i32" },
  // (z_streamp, int level, int strategy)
  deflateParams: { parameters: ["buffer", "i32", "i32"], result: "i32" },
  // (z_streamp, const Bytef *dictionary, uInt dictLength)
  deflateSetDictionary: {
    parameters: ["buffer", "buffer", "u32"],
    result: "i32",
  },
  // (z_streamp, int flush)
  deflate: { parameters: ["buffer", "i32"], result: "i32" },
  deflateEnd: { parameters: ["buffer"], result: "i32" },
  // uLong crc32(uLong crc, const Bytef *buf, uInt len): the result fits in
  // 32 bits, and zlib clears the rest of the register.
  crc32: { parameters: ["u64", "buffer", "u32"], result: "u32" },
  // uLong crc32_combine(uLong crc1, uLong crc2, z_off_t len2)
  crc32_combine: { parameters: ["u64", "u64", "i64"], result: "u32" },
} as const satisfies Deno.ForeignLibraryInterface;

type Libz = Deno.DynamicLibrary<typeof symbols>["symbols"];

/** Raised when the system zlib cannot be opened: no `--allow-ffi`, or no `libz.so.1`. */
export class LibzUnavailableError extends Error {
  /**
   * Builds the error.
   *
   * @param message What went wrong and how to fix it.
   * @param options The underlying error, as `cause`.
   *
   * @example
   * ```ts
   * import { LibzUnavailableError } from "./libz.ts";
   * console.log(new LibzUnavailableError("no libz").name); // LibzUnavailableError
   * ```
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LibzUnavailableError";
  }
}

/** A zlib call returned an error code. */
export class LibzError extends Error {
  /**
   * Builds the error.
   *
   * @param call The zlib function that failed.
   * @param code Its return code (Z_STREAM_ERROR = -2, Z_BUF_ERROR = -5, …).
   *
   * @example
   * ```ts
   * import { LibzError } from "./libz.ts";
   * console.log(new LibzError("deflate", -2).message); // zlib deflate failed: -2 (Z_STREAM_ERROR)
   * ```
   */
  constructor(readonly call: string, readonly code: number) {
    super(`zlib ${call} failed: ${code} (${CODES[code] ?? "unknown"})`);
    this.name = "LibzError";
  }
}

const CODES: Record<number, string> = {
  [-2]: "Z_STREAM_ERROR",
  [-3]: "Z_DATA_ERROR",
  [-4]: "Z_MEM_ERROR",
  [-5]: "Z_BUF_ERROR",
  [-6]: "Z_VERSION_ERROR",
};

let loaded: { z: Libz; version: Uint8Array } | undefined;

function libz(): { z: Libz; version: Uint8Array } {
  if (loaded) return loaded;
  let path = "libz.so.1";
  try {
    path = Deno.env.get(LIBZ_PATH_ENV) ?? path;
  } catch {
    // Without --allow-env the default path is the only sensible choice.
  }
  let z: Libz;
  try {
    z = Deno.dlopen(path, symbols).symbols;
  } catch (e) {
    if (
      e instanceof Deno.errors.NotCapable ||
      e instanceof Deno.errors.PermissionDenied
    ) {
      throw new LibzUnavailableError(
        "efdpool's gzip calls the system zlib through FFI and needs the --allow-ffi flag",
        { cause: e },
      );
    }
    throw new LibzUnavailableError(
      `cannot open the system zlib "${path}" (Debian's zlib1g; set ${LIBZ_PATH_ENV} to its path): ${
        (e as Error).message
      }`,
      { cause: e },
    );
  }
  // deflateInit2_ checks that the caller was built against a compatible
  // zlib by its version string's first character: hand it the library's own.
  const v = new Deno.UnsafePointerView(z.zlibVersion()!).getCString();
  return loaded = { z, version: new TextEncoder().encode(`${v}\0`) };
}

/**
 * The zlib version opened (e.g. "1.2.13"); throws
 * {@linkcode LibzUnavailableError} if it cannot be opened.
 *
 * @example
 * ```ts
 * import { libzVersion } from "./libz.ts";
 * console.log(libzVersion()); // e.g. 1.2.13
 * ```
 */
export function libzVersion(): string {
  const { version } = libz();
  return new TextDecoder().decode(version.subarray(0, -1));
}

/**
 * CRC-32 of `data`, continuing from `crc` (0 to start).
 *
 * @example
 * ```ts
 * import { crc32 } from "./libz.ts";
 * console.log(crc32(new TextEncoder().encode("hello")).toString(16)); // 3610a686
 * ```
 */
export function crc32(data: Uint8Array, crc = 0): number {
  return libz().z.crc32(BigInt(crc >>> 0), data, data.length);
}

/**
 * The CRC-32 of A followed by B, from `crcA`, `crcB` and B's length.
 *
 * @example
 * ```ts
 * import { crc32, crc32Combine } from "./libz.ts";
 * const enc = new TextEncoder();
 * const joined = crc32Combine(crc32(enc.encode("hello ")), crc32(enc.encode("world")), 5);
 * console.log(joined === crc32(enc.encode("hello world"))); // true
 * ```
 */
export function crc32Combine(
  crcA: number,
  crcB: number,
  lengthB: number,
): number {
  return libz().z.crc32_combine(
    BigInt(crcA >>> 0),
    BigInt(crcB >>> 0),
    BigInt(lengthB),
  );
}

/** `deflate()`'s flush argument, as zlib.h numbers them. */
export const Z_SYNC_FLUSH = 2;
/** Ends the stream: the last block gets the final bit. */
export const Z_FINISH = 4;

const Z_OK = 0;
const Z_STREAM_END = 1;
const Z_BUF_ERROR = -5;
const Z_DEFLATED = 8;
const Z_DEFAULT_STRATEGY = 0;
// z_stream on x86_64 (zlib.h): next_in 0, avail_in 8, total_in 16,
// next_out 24, avail_out 32, total_out 40, msg 48, state 56, zalloc 64,
// zfree 72, opaque 80, data_type 88, adler 96, reserved 104.
const Z_STREAM_SIZE = 112;
const NEXT_IN = 0;
const AVAIL_IN = 8;
const NEXT_OUT = 24;
const AVAIL_OUT = 32;

function address(view: Uint8Array): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(view)));
}

/**
 * A raw deflate stream (no zlib or gzip wrapper, 32 KiB window, memLevel 8,
 * as pigz sets it up) over the system zlib. Reused by `reset()`; its C
 * state is freed by `end()` (or `using`).
 *
 * @example
 * ```ts
 * import { inflateRawSync } from "node:zlib";
 * import { RawDeflate, Z_FINISH } from "./libz.ts";
 * using d = new RawDeflate(6);
 * const out = new Uint8Array(64);
 * const r = d.deflate(new TextEncoder().encode("hello hello"), out, Z_FINISH);
 * console.log(inflateRawSync(out.subarray(0, r.written)).length); // 11
 * ```
 */
export class RawDeflate implements Disposable {
  // An ArrayBuffer's bytes never move, and zlib keeps a pointer back to
  // the z_stream in its state (and checks it on every call).
  #strm = new Uint8Array(new ArrayBuffer(Z_STREAM_SIZE));
  #view = new DataView(this.#strm.buffer);
  #level: number;
  #open = false;

  /**
   * Allocates the stream's state at `level` (1..9).
   *
   * @param level zlib compression level, 1..9.
   */
  constructor(level: number) {
    if (!Number.isInteger(level) || level < 1 || level > 9) {
      throw new RangeError(`level must be an integer 1..9, got ${level}`);
    }
    const { z, version } = libz();
    this.#check(
      "deflateInit2_",
      z.deflateInit2_(
        this.#strm,
        level,
        Z_DEFLATED,
        -15,
        8,
        Z_DEFAULT_STRATEGY,
        version,
        Z_STREAM_SIZE,
      ),
    );
    this.#level = level;
    this.#open = true;
  }

  #check(call: string, code: number): void {
    if (code !== Z_OK) throw new LibzError(call, code);
  }

  #live(): Libz {
    if (!this.#open) throw new Error("RawDeflate used after end()");
    return libz().z;
  }

  /** Starts a new stream, at `level` if given (deflateReset, deflateParams). */
  reset(level: number = this.#level): void {
    const z = this.#live();
    this.#check("deflateReset", z.deflateReset(this.#strm));
    if (level !== this.#level) {
      this.#check(
        "deflateParams",
        z.deflateParams(this.#strm, level, Z_DEFAULT_STRATEGY),
      );
      this.#level = level;
    }
  }

  /** Primes the window with `dict` (its last 32 KiB count), before any input. */
  setDictionary(dict: Uint8Array): void {
    if (dict.length === 0) return;
    const z = this.#live();
    this.#check(
      "deflateSetDictionary",
      z.deflateSetDictionary(this.#strm, dict, dict.length),
    );
  }

  /**
   * Compresses `input` into `output` with `flush` (Z_SYNC_FLUSH,
   * Z_FINISH). `done` is true when the flush completed: all input taken
   * and, for Z_FINISH, the stream ended. Otherwise `output` ran out.
   */
  deflate(
    input: Uint8Array,
    output: Uint8Array,
    flush: number,
  ): { read: number; written: number; done: boolean } {
    const z = this.#live();
    const v = this.#view;
    v.setBigUint64(NEXT_IN, input.length ? address(input) : 0n, true);
    v.setUint32(AVAIL_IN, input.length, true);
    v.setBigUint64(NEXT_OUT, address(output), true);
    v.setUint32(AVAIL_OUT, output.length, true);
    const code = z.deflate(this.#strm, flush);
    // Z_BUF_ERROR only says no progress was possible (no room): not done.
    if (code !== Z_OK && code !== Z_STREAM_END && code !== Z_BUF_ERROR) {
      throw new LibzError("deflate", code);
    }
    const inLeft = v.getUint32(AVAIL_IN, true);
    const outLeft = v.getUint32(AVAIL_OUT, true);
    return {
      read: input.length - inLeft,
      written: output.length - outLeft,
      // Room left over after a flush means it is complete.
      done: flush === Z_FINISH
        ? code === Z_STREAM_END
        : inLeft === 0 && outLeft > 0,
    };
  }

  /** Frees the stream's C state; further calls throw. */
  end(): void {
    if (!this.#open) return;
    this.#open = false;
    libz().z.deflateEnd(this.#strm);
  }

  /** Same as {@linkcode RawDeflate.end}. */
  [Symbol.dispose](): void {
    this.end();
  }
}
