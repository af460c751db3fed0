/**
 * Linux flag values used across efdpool (x86_64 and aarch64 share them).
 *
 * @module
 */

/** `poll`/`epoll` event bits. */
export const POLLIN = 0x001;
/** Urgent data readable. */
export const POLLPRI = 0x002;
/** Writable without blocking. */
export const POLLOUT = 0x004;
/** Error condition (output only). */
export const POLLERR = 0x008;
/** Hang up (output only). */
export const POLLHUP = 0x010;
/** The fd is not open (output only). */
export const POLLNVAL = 0x020;

/** epoll: readable. Same value as `POLLIN`. */
export const EPOLLIN: number = POLLIN;
/** epoll: writable. */
export const EPOLLOUT: number = POLLOUT;
/** epoll: error (always reported). */
export const EPOLLERR: number = POLLERR;
/** epoll: hang up (always reported). */
export const EPOLLHUP: number = POLLHUP;
/** epoll: wake one of the waiters on a shared fd, not all (Linux 4.5+). */
export const EPOLLEXCLUSIVE = 1 << 28;
/** epoll: disable the entry after one event until re-armed. */
export const EPOLLONESHOT = 1 << 30;
/** epoll: edge-triggered. */
export const EPOLLET = 1 << 31;

/** `eventfd` flag: semaphore reads (each read takes 1). */
export const EFD_SEMAPHORE = 1;
/** `eventfd` flag: close on exec. */
export const EFD_CLOEXEC = 0o2000000;
/** `eventfd` flag: nonblocking reads and writes. */
export const EFD_NONBLOCK = 0o4000;

/** The largest value an eventfd counter can hold. */
export const EVENTFD_MAX = 0xfffffffffffffffen;
