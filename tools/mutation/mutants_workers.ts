/**
 * Mutants of the pool (workers/) and of the I/O sources' lifecycle (io/):
 * small deliberate bugs, each of which some test must catch. Loaded by the
 * mutation runner in this folder; `deno task mutate` runs them (tools/mutation/run.ts).
 *
 * The first seven are the ones a mutation study of the old pool found the
 * suite blind to (issue 15).
 *
 * @module
 */

import type { Mutant } from "./mutant.ts";

const LIFECYCLE = "tests/pool_lifecycle_test.ts";

/** The mutants. */
export const mutants: Mutant[] = [
  {
    id: "workers-recruit-dropped",
    file: "workers/_worker_drain.ts",
    find: "        if (i < 2 && i + got >= 2) c.write(fd, zero, 8n);\n",
    replace: "",
    tests: [LIFECYCLE],
    why: "without the zero write a burst is handled by one worker: shares",
  },
  {
    id: "workers-ledger-not-cleared",
    file: "workers/_worker_run.ts",
    find:
      "    if (!shared.release(this.#slot, cell, jobs.kind(job))) return undefined;",
    replace:
      "    if (shared.held(this.#slot).some((h) => h.kind === Held.Revoked)) return undefined;",
    tests: [LIFECYCLE],
    why: "a handled unit is redelivered after self.close()",
  },
  {
    id: "workers-stop-write-back-dropped",
    file: "workers/_worker_drain.ts",
    find:
      "            c.write(fd, one, 8n); // Stopping: left in the counter, as detach promises.\n",
    replace: "",
    tests: [LIFECYCLE],
    why: "a unit taken while the pool stops is lost",
  },
  {
    id: "workers-cancelled-claims-counted",
    file: "workers/_worker_run.ts",
    find:
      '    if (claim === null || claim === "cancelled") return undefined;\n    this.#shared.countClaim();',
    replace:
      '    this.#shared.countClaim();\n    if (claim === null || claim === "cancelled") return undefined;',
    tests: [LIFECYCLE],
    why: "queued goes wrong once queued tasks are cancelled",
  },
  {
    id: "workers-timeout-zero-ignored",
    file: "workers/_tasks.ts",
    find: "    if (timeout !== undefined) {",
    replace: "    if (timeout) {",
    tests: [LIFECYCLE],
    why: "timeout: 0 means no timeout",
  },
  {
    id: "workers-close-skips-wait-when-fresh",
    file: "workers/_lifecycle.ts",
    find: "      await this.#tasks.idle();",
    replace:
      '      if (this.#sup.slots().every((s) => s.state === "serving")) {\n        await this.#tasks.idle();\n      }',
    tests: [LIFECYCLE],
    why: "close() on a pool still starting does not wait for its tasks",
  },
  {
    id: "io-aio-redelivery-reaps-again",
    file: "io/_handler.ts",
    find:
      "  const got = (n.redelivered ? slots.takeOrphan(ctx.worker) : null) ?? reap();",
    replace: "  const got = reap();",
    tests: ["tests/io_lifecycle_test.ts"],
    why:
      "a unit given back takes another unit's event; the dead worker's slot stays taken and close() hangs",
  },
  {
    id: "workers-give-back-dropped",
    file: "workers/_sources.ts",
    find: "    e.redelivered++;\n    libc().write(e.fd, ONE, 8n);",
    replace: "    e.redelivered++;",
    tests: [LIFECYCLE],
    why: "a unit held by a dying worker is lost",
  },
  {
    id: "workers-deno-exit-unnoticed",
    file: "workers/_worker.ts",
    find: '    post({ type: "exit", reason: "exit", code });\n',
    replace: "",
    tests: [LIFECYCLE],
    why: "Deno.exit() in a handler ends the thread with no event: unit lost",
  },
  {
    id: "workers-detach-unwatch-dropped",
    file: "workers/_worker.ts",
    find: "        s.detached = true;\n        this.#unwatch(s.fd);\n",
    replace: "        s.detached = true;\n",
    tests: ["tests/pool_resources_test.ts"],
    why: "a detached source's fd stays in the worker's epoll interest list",
  },
  {
    id: "workers-stop-waits-for-no-exit",
    file: "workers/_supervisor.ts",
    find: "      waits.push(new Promise<void>((r) => slot.exited.push(r)));",
    replace: "",
    tests: [LIFECYCLE],
    why: "close() resolves while workers are still running",
  },
  {
    id: "workers-utilization-unmeasured",
    file: "workers/_stats.ts",
    find:
      "      utilization: elapsed > 0 ? Math.min(1, c.busyMs / elapsed) : 0,",
    replace: "      utilization: 0,",
    tests: ["tests/pool_run_test.ts"],
    why: "stats() reports every worker idle however busy it was",
  },
  {
    id: "workers-run-signal-unchecked",
    file: "workers/_checks.ts",
    find: '  checkSignal("options.signal", opts.signal);\n',
    replace: "",
    tests: ["tests/pool_bad_input_test.ts"],
    why: "run(x, { signal: {} }) queues a task and throws later",
  },
  {
    id: "workers-timer-limit-dropped",
    file: "workers/_validate.ts",
    find: "  if (!(v >= 0 && v <= MAX_TIMER_MS)) {",
    replace: "  if (!(v >= 0)) {",
    tests: ["tests/pool_bad_input_test.ts"],
    why: "timeout: Infinity or ≥ 2^31 fires at once",
  },
  {
    id: "ffi-fromfd-semaphore-unread",
    file: "ffi/eventfd.ts",
    find: "    const semaphore = eventFdInfo(fd)?.semaphore;",
    replace: "    const semaphore = undefined as boolean | undefined;",
    tests: ["tests/pool_bad_input_test.ts"],
    why: "an adopted plain eventfd does not say it is one",
  },
  {
    id: "workers-batch-give-back-dropped",
    file: "workers/_worker_drain.ts",
    find: "        this.#giveBack(fd, source, this.#runner.dropReady());",
    replace:
      "        this.#runner.dropReady();\n        if (source) this.#runner.onSourceDone(source.index);",
    tests: ["tests/pool_batch_test.ts"],
    why: "units taken in a batch and not started are lost on detach or stop",
  },
  {
    id: "workers-batch-taken-marked-redelivered",
    file: "workers/_assemble.ts",
    find: "      else if (kind === Held.Taken) sources.putBack(id);",
    replace: "      else if (kind === Held.Taken) sources.giveBack(id, slot);",
    tests: [LIFECYCLE],
    why: "units of a batch no handler saw come back marked redelivered",
  },
  {
    id: "workers-batch-task-unit-not-put-back",
    file: "workers/_assemble.ts",
    find: "      else if (kind === Held.TakenTask) tasks.putBack();",
    replace: "",
    tests: ["tests/pool_batch_test.ts"],
    why:
      "a dead worker's unstarted task units are lost, and their tasks never run",
  },
  {
    id: "workers-stop-keeps-load-timer",
    file: "workers/_supervisor.ts",
    find: '        if (slot.state === "starting") keeper.serving();\n',
    replace: "",
    tests: [LIFECYCLE],
    why:
      "a pool stopped before it read a serving worker's ready keeps the process up for loadTimeout",
  },
  {
    id: "workers-clone-payload-before-load",
    file: "workers/_worker_run.ts",
    find: "    if (claim.kind === Kind.Clone && !cloneReady()) {",
    replace: "    if (claim.kind === Kind.Clone && !cloneReady() && false) {",
    tests: ["tests/pool_run_test.ts"],
    why:
      "a worker decodes a cloned payload before it loaded node:v8: the task fails",
  },
];
