// man 2 eventfd semantics, checked against the kernel's own view of the
// counter (/proc/self/fdinfo) as well as through reads.
import assert from "node:assert/strict";
import { ErrnoError, EventFd, EVENTFD_MAX } from "../mod.ts";
import { mulberry32 } from "./_rng.ts";

const U64_MAX = 0xffffffffffffffffn;

/** The kernel's counter for `fd`, without taking anything from it. */
function kernelCount(fd: number): bigint {
  const info = Deno.readTextFileSync(`/proc/self/fdinfo/${fd}`);
  const m = info.match(/^eventfd-count:\s*([0-9a-f]+)$/m);
  assert.ok(m, `no eventfd-count in fdinfo of fd ${fd}:\n${info}`);
  return BigInt(`0x${m[1]}`);
}

Deno.test("eventfd: semaphore reads return 1 and decrement by 1", () => {
  using efd = EventFd.create({ semaphore: true, initval: 3 });
  assert.equal(efd.semaphore, true);
  assert.equal(efd.read(), 1n);
  assert.equal(kernelCount(efd.fd), 2n);
  efd.write(5n);
  // Bounded: a tryRead that never says "empty" must fail here, not spin.
  const taken = [];
  for (let v = efd.tryRead(); v !== null && taken.length < 8;) {
    taken.push(v);
    v = efd.tryRead();
  }
  assert.deepEqual(taken, Array(7).fill(1n));
  assert.equal(kernelCount(efd.fd), 0n);
});

Deno.test("eventfd: plain reads return the whole counter and reset it", () => {
  using efd = EventFd.create({ initval: 4 });
  assert.equal(efd.semaphore, false);
  efd.write(6);
  efd.write(0x1_0000_0000_0001n);
  assert.equal(efd.read(), 0x1_0000_0000_000bn);
  assert.equal(kernelCount(efd.fd), 0n);
  assert.equal(efd.tryRead(), null);
});

Deno.test("eventfd: initval sets the counter, up to 2^32-1", () => {
  for (const initval of [0, 1, 42, 0xffffffff]) {
    using efd = EventFd.create({ initval, nonblocking: true });
    assert.equal(kernelCount(efd.fd), BigInt(initval));
    assert.equal(efd.tryRead(), initval === 0 ? null : BigInt(initval));
  }
});

Deno.test("eventfd: the counter holds up to 0xfffffffffffffffe, bit-exact", () => {
  using efd = EventFd.create({ nonblocking: true });
  efd.write(EVENTFD_MAX - 1n);
  efd.write(1);
  assert.equal(kernelCount(efd.fd), EVENTFD_MAX);
  assert.equal(efd.read(), EVENTFD_MAX);

  using sem = EventFd.create({ semaphore: true, nonblocking: true });
  sem.write(EVENTFD_MAX);
  assert.equal(sem.read(), 1n);
  assert.equal(kernelCount(sem.fd), EVENTFD_MAX - 1n);
});

Deno.test("eventfd: tryRead never blocks, even on a blocking fd", () => {
  using efd = EventFd.create({ nonblocking: false });
  assert.equal(efd.tryRead(), null);
  efd.write(9);
  assert.equal(efd.tryRead(), 9n);
  assert.equal(efd.tryRead(), null);
});

Deno.test("eventfd: fromFd shares the counter and only closes what it owns", () => {
  using owner = EventFd.create({ semaphore: true, nonblocking: true });
  const alias = EventFd.fromFd(owner.fd, { owned: false, semaphore: true });
  assert.equal(alias.fd, owner.fd);
  assert.equal(alias.semaphore, true);
  alias.write(2);
  assert.equal(owner.tryRead(), 1n);
  alias.close();
  assert.equal(alias.closed, true);
  // The fd itself is still open: the owner keeps working.
  assert.equal(owner.tryRead(), 1n);
  owner.write(1);
  assert.equal(kernelCount(owner.fd), 1n);
});

Deno.test("eventfd: fromFd takes ownership by default", () => {
  // Only the fd number survives, as when it is inherited or passed in.
  const fd = EventFd.create({ initval: 3 }).fd;
  const adopted = EventFd.fromFd(fd);
  assert.equal(adopted.semaphore, false, "the kernel says so in fdinfo");
  assert.equal(adopted.read(), 3n);
  adopted.close();
  assert.equal(adopted.closed, true);
  assert.equal(adopted.fd, -1);
  assert.throws(
    () => EventFd.fromFd(fd),
    (e) => e instanceof ErrnoError && e.code === "EBADF",
  );
});

function u64(rand: () => number): bigint {
  return (BigInt(Math.floor(rand() * 2 ** 32)) << 32n) |
    BigInt(Math.floor(rand() * 2 ** 32));
}

/** A write amount that lands on the interesting edges as often as not. */
function writeAmount(rand: () => number, model: bigint): bigint {
  const r = rand();
  if (r < 0.4) return BigInt(1 + Math.floor(rand() * 5));
  if (r < 0.55) return model < EVENTFD_MAX ? EVENTFD_MAX - model : 1n; // fill exactly
  if (r < 0.7) return EVENTFD_MAX - model + 1n; // one past the max
  if (r < 0.75) return U64_MAX; // rejected by the kernel
  return 1n + u64(rand) % EVENTFD_MAX;
}

function expectedRead(model: bigint, semaphore: boolean): bigint | null {
  if (model === 0n) return null;
  return semaphore ? 1n : model;
}

function runSequence(rand: () => number, semaphore: boolean, where: string) {
  const initval = rand() < 0.5 ? 0 : Math.floor(rand() * 2 ** 32);
  using efd = EventFd.create({ initval, semaphore, nonblocking: true });
  let model = BigInt(initval);
  const ops = 1 + Math.floor(rand() * 30);
  for (let i = 0; i < ops; i++) {
    const at = `${where}, op ${i}, model ${model}`;
    const r = rand();
    if (r < 0.45) {
      const n = writeAmount(rand, model);
      if (n === U64_MAX) {
        assert.throws(
          () => efd.write(n),
          (e) => e instanceof ErrnoError && e.code === "EINVAL",
          at,
        );
      } else if (model + n > EVENTFD_MAX) {
        assert.throws(
          () => efd.write(n),
          (e) => e instanceof ErrnoError && e.code === "EAGAIN",
          at,
        );
      } else {
        efd.write(n);
        model += n;
      }
    } else {
      const want = expectedRead(model, semaphore);
      // read() would wait forever on an empty counter; tryRead is the probe then.
      const got = r < 0.7 && want !== null ? efd.read() : efd.tryRead();
      assert.equal(got, want, at);
      if (want !== null) model -= want;
    }
  }
  assert.equal(kernelCount(efd.fd), model, `${where}: final counter`);
}

for (const semaphore of [true, false]) {
  Deno.test(`eventfd: random write/read/tryRead sequences match the model (${semaphore ? "semaphore" : "plain"})`, () => {
    const seed = semaphore ? 0x5eed_0001 : 0x5eed_0002;
    const rand = mulberry32(seed);
    for (let s = 0; s < 2500; s++) {
      runSequence(rand, semaphore, `seed ${seed.toString(16)}, sequence ${s}`);
    }
  });
}
