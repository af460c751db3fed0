// Resources: a pool gives back every fd it opened, and a program that closes
// its pool exits by itself.
import assert from "node:assert/strict";
import { runFixture } from "./fixtures/ffi_spawn.ts";

Deno.test("fds: none leak across a pool's life (close, destroy, failed start)", async () => {
  const run = await runFixture("pool_fds.ts", ["--allow-all"]);
  assert.equal(run.killed, false, `the process hung:\n${run.stderr}`);
  assert.equal(run.code, 0, run.stderr);
  const n = JSON.parse(run.stdout);
  assert.ok(n.running > n.before, "a running pool holds fds");
  assert.deepEqual(
    {
      afterClose: n.afterClose,
      afterDestroy: n.afterDestroy,
      afterFailedStart: n.afterFailedStart,
    },
    {
      afterClose: n.before,
      afterDestroy: n.before,
      afterFailedStart: n.before,
    },
  );
});

Deno.test("exit: a program that closes its pool exits by itself", async () => {
  const run = await runFixture("pool_exit.ts", ["--allow-ffi", "--allow-read"]);
  assert.equal(run.killed, false, `the process hung:\n${run.stderr}`);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), "done 1000 1000");
});
