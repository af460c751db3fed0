/**
 * The kernel module, proven on real kernels: kernel/vm/run.sh builds
 * efd_notify against Debian's 6.1 and 6.12 headers and boots both kernels in
 * QEMU with the in-guest suite (kernel/vm/init.sh, kernel/vm/guest.ts); then
 * Debian's PREEMPT_RT 6.1, then a 6.12 built with KASAN, lockdep, kmemleak
 * and debug objects (kernel/vm/debug-kernel.sh, cached in
 * /var/cache/efdpool-vm; .ci/run starts its build in the background and the
 * lane waits for it). checkpatch.pl --strict comes from linux-source-6.12.
 *
 * It needs root and apt-get; without them it says so loudly and is skipped,
 * except under CI=true where it must run. EFD_SKIP_VM=1 skips it on purpose
 * (ignored under CI).
 */

import {
  EFD_NOTIFY_IOCTL,
  EFD_NOTIFY_LIMITS,
  EFD_NOTIFY_SIZES,
  EFD_NOTIFY_STATE,
} from "../kernel/constants.ts";

const CI = Deno.env.get("CI") === "true";
const KERNEL = new URL("../kernel/", import.meta.url).pathname;

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function whyNot(): string | undefined {
  if (Deno.env.get("EFD_SKIP_VM") === "1") return "EFD_SKIP_VM=1";
  if (Deno.uid() !== 0) return "not root";
  if (!exists("/usr/bin/apt-get")) return "no apt-get";
  return undefined;
}

const skipVm = CI ? undefined : whyNot();
if (skipVm) {
  console.warn(
    `\n!!! SKIPPING the kernel-module VM test (${skipVm}): it needs root and ` +
      "apt-get to install QEMU and Debian kernels. Run kernel/vm/run.sh by " +
      "hand on a Debian machine as root. !!!\n",
  );
}

Deno.test({
  name: "kernel: the TypeScript ABI matches kernel/efd_notify.h",
  ignore: !CI && !exists("/usr/bin/gcc"),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const src = `${dir}/abi.c`;
      await Deno.writeTextFile(
        src,
        `#include <stddef.h>
#include <stdio.h>
#include "efd_notify.h"
#define P(k, v) printf("\\"%s\\": %llu,\\n", k, (unsigned long long)(v))
int main(void)
{
	printf("{\\n");
	P("ATTACH", EFD_NOTIFY_IOC_ATTACH); P("DETACH", EFD_NOTIFY_IOC_DETACH);
	P("FIRE", EFD_NOTIFY_IOC_FIRE); P("PERIODIC", EFD_NOTIFY_IOC_PERIODIC);
	P("STOP", EFD_NOTIFY_IOC_STOP); P("STATS", EFD_NOTIFY_IOC_STATS);
	P("attach", sizeof(struct efd_notify_attach));
	P("fire", sizeof(struct efd_notify_fire));
	P("periodic", sizeof(struct efd_notify_periodic));
	P("stats", sizeof(struct efd_notify_stats));
	P("periodic.count", offsetof(struct efd_notify_periodic, count));
	P("periodic.per_tick", offsetof(struct efd_notify_periodic, per_tick));
	P("stats.fired", offsetof(struct efd_notify_stats, fired));
	P("stats.pending", offsetof(struct efd_notify_stats, pending));
	P("maxCount", EFD_NOTIFY_MAX_COUNT);
	P("minPeriodNs", EFD_NOTIFY_MIN_PERIOD_NS);
	P("maxPeriodNs", EFD_NOTIFY_MAX_PERIOD_NS);
	P("maxPerTick", EFD_NOTIFY_MAX_PER_TICK);
	P("ATTACHED", EFD_NOTIFY_STATE_ATTACHED); P("BURST", EFD_NOTIFY_STATE_BURST);
	P("PERIODIC_STATE", EFD_NOTIFY_STATE_PERIODIC); P("HUP", EFD_NOTIFY_STATE_HUP);
	printf("\\"end\\": 0}\\n");
	return 0;
}
`,
      );
      const cc = await new Deno.Command("gcc", {
        args: ["-Wall", "-Werror", "-I", KERNEL, "-o", `${dir}/abi`, src],
      }).output();
      if (!cc.success) throw new Error(new TextDecoder().decode(cc.stderr));
      const out = await new Deno.Command(`${dir}/abi`).output();
      const c = JSON.parse(new TextDecoder().decode(out.stdout));
      const ts = {
        ...EFD_NOTIFY_IOCTL,
        ...EFD_NOTIFY_SIZES,
        // client.ts writes these offsets.
        "periodic.count": 8,
        "periodic.per_tick": 16,
        "stats.fired": 8,
        "stats.pending": 16,
        ...EFD_NOTIFY_LIMITS,
        ATTACHED: EFD_NOTIFY_STATE.ATTACHED,
        BURST: EFD_NOTIFY_STATE.BURST,
        PERIODIC_STATE: EFD_NOTIFY_STATE.PERIODIC,
        HUP: EFD_NOTIFY_STATE.HUP,
        end: 0,
      };
      const diff = Object.entries(c).filter(([k, v]) =>
        (ts as Record<string, number>)[k] !== v
      );
      if (diff.length) {
        throw new Error(
          `kernel/constants.ts disagrees with efd_notify.h: ${
            JSON.stringify(diff)
          }`,
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

async function run(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<number> {
  const { code } = await new Deno.Command(cmd, {
    args,
    env,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return code;
}

// One boot lane of kernel/vm/run.sh; exit 77 (cannot run here) skips
// loudly, except under CI.
function lane(name: string, args: string[]): void {
  Deno.test({
    name,
    ignore: skipVm !== undefined,
    sanitizeResources: false,
    async fn() {
      const code = await run(`${KERNEL}vm/run.sh`, args, {
        DENO: Deno.execPath(),
      });
      if (code === 77 && !CI) {
        console.warn(
          "!!! kernel/vm/run.sh cannot run on this machine: skipped !!!",
        );
        return;
      }
      if (code !== 0) {
        throw new Error(
          `kernel/vm/run.sh ${args.join(" ")} exited with ${code}`,
        );
      }
    },
  });
}

Deno.test({
  name:
    "kernel: checkpatch --strict clean (checkpatch.pl of linux-source-6.12)",
  ignore: skipVm !== undefined,
  async fn() {
    const src = await new Deno.Command(`${KERNEL}vm/debug-kernel.sh`, {
      args: ["--source"],
      stderr: "inherit",
    }).output();
    if (src.code === 77 && !CI) return;
    if (!src.success) throw new Error("cannot extract linux-source-6.12");
    const tree = new TextDecoder().decode(src.stdout).trim();
    const out = await new Deno.Command("make", {
      args: [
        "-C",
        KERNEL,
        "checkpatch",
        `CHECKPATCH=${tree}/scripts/checkpatch.pl`,
      ],
    }).output();
    const text = new TextDecoder().decode(out.stdout) +
      new TextDecoder().decode(out.stderr);
    const totals = text.match(/^total: .*$/gm) ?? [];
    const dirty = totals.filter((t) =>
      !/^total: 0 errors, 0 warnings, (0 checks, )?\d+ lines checked$/.test(t)
    );
    if (!out.success || totals.length === 0 || dirty.length) {
      throw new Error(`checkpatch is not clean:\n${text}`);
    }
  },
});

lane("kernel: efd_notify on Linux 6.1 and 6.12 in QEMU (kernel/vm/run.sh)", []);
lane(
  "kernel: efd_notify on Debian's PREEMPT_RT 6.1 in QEMU (kernel/vm/run.sh rt)",
  ["rt"],
);
lane(
  "kernel: efd_notify under KASAN, lockdep, kmemleak, debug objects (kernel/vm/run.sh debug)",
  ["debug"],
);
