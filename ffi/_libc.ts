/**
 * The one libc symbol table behind every efdpool syscall.
 *
 * Loaded lazily, once per thread: a `Deno.dlopen` handle cannot cross
 * `postMessage`, so each Worker opens its own.
 *
 * @module
 */

import { EfdpoolError } from "../errors.ts";

/** Environment variable that overrides the path of the C library to open. */
export const LIBC_PATH_ENV = "EFDPOOL_LIBC";

const symbols = {
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  // preadv2(RWF_NOWAIT) takes a unit without blocking even from a blocking
  // fd, which a shared eventfd's O_NONBLOCK flag (file-wide) cannot do.
  preadv2: {
    parameters: ["i32", "buffer", "i32", "i64", "i32"],
    result: "isize",
  },
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32" },
  // Takes a pointer, not a buffer: the poll runs on Deno's blocking pool and
  // can outlive the isolate that started it (a terminated Worker), so its
  // pollfd array lives in C memory that no isolate frees (see ffi/_wait.ts).
  pollAsync: {
    name: "poll",
    parameters: ["pointer", "u64", "i32"],
    result: "i32",
    nonblocking: true,
  },
  malloc: { parameters: ["usize"], result: "pointer" },
  free: { parameters: ["pointer"], result: "void" },
  epoll_create1: { parameters: ["i32"], result: "i32" },
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  ioctlInt: { name: "ioctl", parameters: ["i32", "u64", "u64"], result: "i32" },
  fcntl: { parameters: ["i32", "i32", "i64"], result: "i32" },
  getpid: { parameters: [], result: "i32" },
  clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
  readlink: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
  __errno_location: { parameters: [], result: "pointer" },
  // glibc's syscall() is a register shuffle in assembly, so declaring it with
  // six fixed integer arguments is safe despite its variadic prototype.
  syscall: {
    parameters: ["i64", "i64", "i64", "i64", "i64", "i64", "i64"],
    result: "i64",
  },
  mmap: {
    parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"],
    result: "pointer",
  },
  munmap: { parameters: ["pointer", "usize"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The loaded libc symbols, as typed by Deno from the table above. */
export type Libc = Deno.DynamicLibrary<typeof symbols>["symbols"];

/**
 * Raised when efdpool cannot reach libc: missing `--allow-ffi`, a bad
 * library path, or an architecture other than x86_64.
 */
export class FfiUnavailableError extends EfdpoolError {
  /**
   * Builds the error.
   *
   * @param message What went wrong and how to fix it.
   * @param options The underlying error, as `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

let loaded: Libc | undefined;

/**
 * Returns this thread's libc symbols, opening the library on first use.
 */
export function libc(): Libc {
  if (loaded) return loaded;
  if (Deno.build.arch !== "x86_64") {
    // Struct layouts and syscall numbers are x86_64's (ffi/constants.ts).
    throw new FfiUnavailableError(
      `efdpool supports Linux on x86_64 only, not ${Deno.build.arch}`,
    );
  }
  let path = "libc.so.6";
  try {
    path = Deno.env.get(LIBC_PATH_ENV) ?? path;
  } catch {
    // Without --allow-env the default path is the only sensible choice.
  }
  try {
    loaded = Deno.dlopen(path, symbols).symbols;
  } catch (e) {
    if (
      e instanceof Deno.errors.NotCapable ||
      e instanceof Deno.errors.PermissionDenied
    ) {
      throw new FfiUnavailableError(
        "efdpool calls libc through FFI and needs the --allow-ffi flag " +
          "(e.g. `deno run --allow-ffi main.ts`)",
        { cause: e },
      );
    }
    throw new FfiUnavailableError(
      `cannot open the C library "${path}" (set ${LIBC_PATH_ENV} to its path): ${
        (e as Error).message
      }`,
      { cause: e },
    );
  }
  return loaded;
}
