/**
 * The worker's system calls: taking a unit from an eventfd without
 * blocking, adding and removing fds in its own epoll.
 *
 * @module
 */

import {
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_EVENT_SIZE,
  EPOLLEXCLUSIVE,
  EPOLLIN,
  F_GETFL,
  O_NONBLOCK,
  RWF_NOWAIT,
} from "../ffi/constants.ts";
import { ERRNO, lastErrno } from "../ffi/errno.ts";
import { libc } from "../ffi/_libc.ts";

const { EAGAIN, EINTR } = ERRNO;

const c = libc();
const cell = new BigUint64Array(1);
const iov = new BigUint64Array([
  BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(cell))),
  8n,
]);
const event = new Uint8Array(EPOLL_EVENT_SIZE);
const eventView = new DataView(event.buffer);

/** Takes one unit without blocking: 1 taken, 0 none left, or a negative errno. */
export function takeUnit(fd: number, nonblocking: boolean): number {
  for (;;) {
    // A plain read is cheaper; RWF_NOWAIT keeps a blocking fd from blocking.
    const n = nonblocking
      ? c.read(fd, cell, 8n)
      : c.preadv2(fd, iov, 1, -1n, RWF_NOWAIT);
    if (n === 8n) return 1;
    const e = lastErrno();
    if (e === EINTR) continue;
    return e === EAGAIN ? 0 : -e;
  }
}

/** Whether `fd` has O_NONBLOCK set. */
export function isNonblocking(fd: number): boolean {
  return (c.fcntl(fd, F_GETFL, 0n) & O_NONBLOCK) !== 0;
}

/** Adds `fd` to epoll `epfd`, exclusive wake-ups, reported with `tag`. */
export function watch(epfd: number, fd: number, tag: number): void {
  eventView.setUint32(0, EPOLLIN | EPOLLEXCLUSIVE, true);
  eventView.setBigUint64(4, BigInt(tag), true);
  if (c.epoll_ctl(epfd, EPOLL_CTL_ADD, fd, event) < 0) {
    throw new Error(`worker cannot watch fd ${fd}: errno ${lastErrno()}`);
  }
}

/** Removes `fd` from epoll `epfd` (nothing if it is not there). */
export function unwatch(epfd: number, fd: number): void {
  c.epoll_ctl(epfd, EPOLL_CTL_DEL, fd, event);
}
