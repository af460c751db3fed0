/**
 * Raw syscalls for the I/O sources: the AIO and io_uring entry points that
 * glibc does not wrap, plus `mmap`, all through the libc table's `syscall`.
 *
 * @module
 */

import { ERRNO, ErrnoError, lastErrno } from "../ffi/errno.ts";
import { libc } from "../ffi/_libc.ts";

// x86_64 numbers: efdpool is x86_64-only (see ffi/constants.ts).
const NUMBERS = {
  io_setup: 206,
  io_destroy: 207,
  io_getevents: 208,
  io_submit: 209,
  io_cancel: 210,
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
} as const;

/** A syscall this module knows the number of. */
export type SyscallName = keyof typeof NUMBERS;

const { EINTR } = ERRNO;

/** An integer argument: a number, a bigint or a pointer value. */
export type SysArg = number | bigint;

/**
 * Calls `name`; returns its result, or the negated errno when it failed
 * (glibc's `syscall` returns -1 and sets errno; this folds the two together
 * before any other call on this thread can overwrite errno).
 */
export function sysRaw(name: SyscallName, args: readonly SysArg[]): bigint {
  const nr = NUMBERS[name];
  const a = [0n, 0n, 0n, 0n, 0n, 0n];
  args.forEach((v, i) => a[i] = BigInt(v));
  const r = BigInt(
    libc().syscall(BigInt(nr), a[0], a[1], a[2], a[3], a[4], a[5]),
  );
  return r >= 0n ? r : -BigInt(lastErrno());
}

/**
 * Calls `name` and returns its non-negative result, or throws `ErrnoError`.
 * EINTR is retried only where the caller says the call is safe to repeat.
 */
export function sys(
  name: SyscallName,
  args: readonly SysArg[],
  detail?: string,
  retryEintr = false,
): bigint {
  for (;;) {
    const r = sysRaw(name, args);
    if (r >= 0n) return r;
    if (r === -BigInt(EINTR) && retryEintr) continue;
    throw new ErrnoError(name, Number(-r), detail);
  }
}

/** The address of a buffer's first byte, as a bigint for syscall arguments. */
export function addressOf(buf: ArrayBufferView | ArrayBufferLike): bigint {
  const view = ArrayBuffer.isView(buf)
    ? buf
    : new Uint8Array(buf as ArrayBuffer);
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(view)));
}

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
const MAP_POPULATE = 0x8000;

/** Maps `length` bytes of `fd` at `offset` shared and read-write; returns the address. */
export function mmapShared(
  fd: number,
  length: number,
  offset: bigint,
  what: string,
): bigint {
  const p = libc().mmap(
    null,
    BigInt(length),
    PROT_READ | PROT_WRITE,
    MAP_SHARED | MAP_POPULATE,
    fd,
    offset,
  );
  const v = BigInt(Deno.UnsafePointer.value(p));
  if (v === 0xffffffffffffffffn || v === 0n) {
    throw new ErrnoError("mmap", lastErrno(), what);
  }
  return v;
}

/** Unmaps a region from {@linkcode mmapShared}. */
export function munmap(address: bigint, length: number): void {
  libc().munmap(Deno.UnsafePointer.create(address), BigInt(length));
}

/**
 * An ArrayBuffer over `length` bytes of native memory at `address`. Each
 * thread builds its own: such buffers cannot be posted, only their address.
 */
export function viewMemory(address: bigint, length: number): ArrayBuffer {
  const p = Deno.UnsafePointer.create(address);
  if (p === null) throw new RangeError("cannot view memory at address 0");
  return Deno.UnsafePointerView.getArrayBuffer(p, length);
}
