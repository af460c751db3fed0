/**
 * The one table of Linux flag values efdpool uses. efdpool supports Linux
 * on x86_64 only: some values here (`O_DIRECT`, the size of
 * `struct epoll_event`) and the syscall numbers in `io/` are x86_64's, and
 * loading libc on another architecture is refused.
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

/** `epoll_create1` flag: close on exec. */
export const EPOLL_CLOEXEC = 0o2000000;
/** `epoll_ctl` op: add an fd. */
export const EPOLL_CTL_ADD = 1;
/** `epoll_ctl` op: remove an fd. */
export const EPOLL_CTL_DEL = 2;
/** `epoll_ctl` op: change an fd's events. */
export const EPOLL_CTL_MOD = 3;
/**
 * Size of `struct epoll_event`: packed on x86_64 (u32 events, u64 data at
 * offset 4). Other architectures pad it to 16 bytes, one reason efdpool is
 * x86_64-only.
 */
export const EPOLL_EVENT_SIZE = 12;

/** `open` flag: read only. */
export const O_RDONLY = 0;
/** `open` flag: read and write. */
export const O_RDWR = 2;
/** `open`/`fcntl` flag: nonblocking. */
export const O_NONBLOCK = 0o4000;
/** `open` flag: close on exec. */
export const O_CLOEXEC = 0o2000000;
/** `open` flag: bypass the page cache (x86_64's value). */
export const O_DIRECT = 0o40000;
/** `fcntl` command: read the file status flags. */
export const F_GETFL = 3;
/** `preadv2` flag: fail with EAGAIN instead of blocking. */
export const RWF_NOWAIT = 0x8;
