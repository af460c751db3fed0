/**
 * Deliberate bugs in `ffi/` for the mutation check (`deno task mutate`).
 * Each breaks one documented guarantee; the listed tests must notice.
 *
 * @module
 */

import type { Mutant } from "./mutant.ts";

const EVENTFD = "ffi/eventfd.ts";
const VALIDATION = "tests/ffi_validation_test.ts";
const BAD_INPUT = "tests/ffi_bad_input_test.ts";
const EVENTFD_TEST = "tests/ffi_eventfd_test.ts";
const ASYNC = "tests/ffi_async_test.ts";

/** The ffi mutants. */
export const mutants: Mutant[] = [
  {
    id: "ffi-read-nonblocking-waits",
    file: EVENTFD,
    find: "      if (e === EAGAIN) {\n        throw new ErrnoError(",
    replace:
      "      if (e === EAGAIN) continue;\n      if (false) {\n        throw new ErrnoError(",
    tests: [VALIDATION],
    why:
      "read() on an empty nonblocking fd waits (spins) instead of throwing EAGAIN",
  },
  {
    id: "ffi-tryread-empty-returns-zero",
    file: EVENTFD,
    find: "if (e === EAGAIN) return null;",
    replace: "if (e === EAGAIN) return 0n;",
    tests: [EVENTFD_TEST],
    why: "tryRead() of an empty counter returns 0n instead of null",
  },
  {
    id: "ffi-write-zero-allowed",
    file: EVENTFD,
    find: "if (v === 0n) {",
    replace: "if (v < 0n) {",
    tests: [BAD_INPUT],
    why: "write(0) reaches the kernel instead of being a RangeError",
  },
  {
    id: "ffi-write-u64-overflow",
    file: EVENTFD,
    find: "if (n < 0n || n > U64_MAX) {",
    replace: "if (n < 0n) {",
    tests: [BAD_INPUT],
    why:
      "a bigint count of 2^64 or more wraps to a small write instead of a RangeError",
  },
  {
    id: "ffi-semaphore-flag-dropped",
    file: EVENTFD,
    find: "const flags = (semaphore ? EFD_SEMAPHORE : 0) |",
    replace: "const flags = 0 |",
    tests: [EVENTFD_TEST],
    why:
      "EventFd.create({ semaphore: true }) makes a plain eventfd: one read takes every unit",
  },
  {
    id: "ffi-fromfd-accepts-any-fd",
    file: EVENTFD,
    find: 'if (target !== null && target !== "anon_inode:[eventfd]") {',
    replace: 'if (target === "not checked") {',
    tests: [BAD_INPUT],
    why:
      "fromFd adopts /dev/null, a pipe or an epoll fd as if it were an eventfd",
  },
  {
    id: "ffi-close-leaves-waiters",
    file: EVENTFD,
    find: "for (const w of this.#waiters) w.wake();",
    replace: "",
    tests: [ASYNC],
    why: "close() leaves pending readAsync() calls waiting forever",
  },
  {
    id: "ffi-readasync-ignores-abort",
    file: EVENTFD,
    find: '          this.#open("read");\n          signal?.throwIfAborted();',
    replace: '          this.#open("read");',
    tests: [ASYNC],
    why: "an abort during readAsync() re-arms the wait instead of rejecting",
  },
  {
    id: "ffi-poll-events-unchecked",
    file: "ffi/poll.ts",
    find: "events: checkInt(`fds[${i}].events`, events, 0, 0xffff),",
    replace: "events: events as number,",
    tests: [VALIDATION],
    why: "poll() passes a bad events mask (0x10000, missing) on to the kernel",
  },
  {
    id: "ffi-timeout-unbounded",
    file: "ffi/poll.ts",
    find: 'checkInt("timeoutMs", timeoutMs, -1, INT_MAX);',
    replace: 'checkInt("timeoutMs", timeoutMs, -1, Number.MAX_SAFE_INTEGER);',
    tests: [VALIDATION],
    why: "a timeout of 2^31 ms or more is not rejected (C's int would wrap it)",
  },
  {
    id: "ffi-epoll-fd-unchecked",
    file: "ffi/epoll.ts",
    find: '    checkFd("fd", fd);\n',
    replace: "",
    tests: [VALIDATION],
    why:
      "Epoll add/modify/delete hand any fd value (-1, 1.5, an object) to epoll_ctl",
  },
  {
    id: "ffi-options-not-checked",
    file: EVENTFD,
    find: 'const o = checkOptions("EventFd.create options", options);',
    replace: "const o = (options ?? {}) as EventFdOptions;",
    tests: [VALIDATION],
    why:
      "EventFd.create(null) or (5) fails with an engine message, not a TypeError naming options",
  },
];
