/**
 * Deliberate bugs in the efd_notify client (`kernel/client.ts`) for the
 * mutation check; only host-runnable tests are listed (no qemu).
 *
 * @module
 */

import type { Mutant } from "./mutant.ts";

const CLIENT = "kernel/client.ts";
const TESTS = ["tests/kernel_client_test.ts"];

/** The kernel client mutants. */
export const mutants: Mutant[] = [
  {
    id: "kernel-fire-count-unchecked",
    file: CLIENT,
    find: 'checkInt("count", count, 1, EFD_NOTIFY_LIMITS.maxCount);',
    replace: "",
    tests: TESTS,
    why: "fire(0), fire(NaN) or fire(2^40) reach the module's ioctl",
  },
  {
    id: "kernel-attach-closed-eventfd",
    file: CLIENT,
    find: 'throw new ClosedError("eventfd", "attach");',
    replace: "",
    tests: TESTS,
    why:
      "attach() of a closed EventFd hands fd -1 to the module instead of ClosedError",
  },
  {
    id: "kernel-pertick-unchecked",
    file: CLIENT,
    find: 'checkInt("perTick", perTick, 1, maxPerTick);',
    replace: "",
    tests: TESTS,
    why: "startPeriodic({ perTick: 0 }) reaches the ioctl",
  },
  {
    id: "kernel-path-nul-allowed",
    file: CLIENT,
    find: 'if (path === "" || path.includes("\\0")) {',
    replace: 'if (path === "") {',
    tests: TESTS,
    why: 'open({ path: "/dev/null\\0…" }) opens the prefix C sees',
  },
];
