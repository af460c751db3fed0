import assert from "node:assert/strict";
import {
  Epoll,
  EPOLLEXCLUSIVE,
  EPOLLIN,
  EventFd,
  poll,
  POLLIN,
} from "@efdpool/efdpool";

using efd = EventFd.create({ semaphore: true }); // also: initval, nonblocking, cloexec
efd.write(3); // number or bigint; 0, negatives and non-integers are RangeErrors
assert.equal(efd.read(), 1n); // blocking (for Workers); EAGAIN on an empty nonblocking fd
assert.equal(efd.tryRead(), 1n); // or null when the counter is 0, on any fd
const signal = AbortSignal.timeout(1000);
assert.equal(await efd.readAsync({ signal }), 1n); // never blocks the event loop
assert.equal(efd.tryRead(), null);

efd.write(1);
assert.deepEqual(poll([{ fd: efd.fd, events: POLLIN }], 0), [
  { fd: efd.fd, revents: POLLIN },
]); // and pollAsync(fds, timeout, { signal })
using ep = Epoll.create();
ep.add(efd.fd, EPOLLIN | EPOLLEXCLUSIVE); // modify, delete, wait(timeout), waitAsync
assert.deepEqual(ep.wait(0), [{ events: EPOLLIN, data: efd.fd }]);

// An fd this process got some other way (inherited, passed over a socket):
// adopted after checking in /proc that it is an eventfd.
using adopted = EventFd.fromFd(efd.fd, { owned: false });
assert.equal(adopted.semaphore, true);
assert.equal(adopted.read(), 1n);
console.log("tour: eventfd, poll, epoll ok");
