/**
 * The mutation check: applies each deliberate bug listed in
 * `tools/mutation/mutants_*.ts` to a temporary copy of the repository, runs
 * that mutant's tests there, and reports whether some test failed (caught)
 * or all passed (missed). Not part of CI: it runs the listed tests once per
 * mutant, which takes minutes.
 *
 * Usage (`deno task mutate [options]`):
 *   --list            print the mutants and whether each still applies
 *   --only ID[,ID]    run only these mutants (repeatable)
 *   --timeout SEC     kill a mutant's test run after SEC s (default 300);
 *                     a timeout counts as caught, and is flagged as such
 *   --no-baseline     skip running each test file once unmutated first
 *   --keep            keep the temporary copy, and print its path
 *
 * The copy holds the files git tracks plus untracked, unignored ones, as they
 * are in the working tree. Tests run with `--no-check`, so only behaviour
 * (not the type checker) can catch a mutant. Exit status: 0 when every
 * mutant run was caught, 1 otherwise.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Mutant } from "./mutant.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const HERE = new URL("./", import.meta.url);

interface Loaded extends Mutant {
  /** The mutants file it came from. */
  from: string;
}

type Verdict =
  | { kind: "caught"; ms: number; failed: string[]; timedOut: boolean }
  | { kind: "missed"; ms: number }
  | { kind: "stale"; reason: string }
  | { kind: "untestable"; reason: string };

const { values } = parseArgs({
  args: Deno.args,
  options: {
    list: { type: "boolean", default: false },
    only: { type: "string", multiple: true, default: [] },
    timeout: { type: "string", default: "300" },
    "no-baseline": { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
  },
});
const timeoutMs = Number(values.timeout) * 1000;
if (!(timeoutMs > 0)) {
  throw new RangeError(`--timeout must be > 0 s, got ${values.timeout}`);
}

/** Imports every mutants_*.ts next to this script and checks each entry's shape. */
async function loadMutants(): Promise<Loaded[]> {
  const files = [...Deno.readDirSync(HERE)]
    .filter((e) => e.isFile && /^mutants_.+\.ts$/.test(e.name))
    .map((e) => e.name)
    .sort();
  const all: Loaded[] = [];
  for (const name of files) {
    const mod = await import(new URL(name, HERE).href);
    if (!Array.isArray(mod.mutants)) {
      throw new TypeError(`${name} must export \`mutants: Mutant[]\``);
    }
    for (const m of mod.mutants as Mutant[]) {
      for (const key of ["id", "file", "find", "replace", "why"] as const) {
        if (typeof m?.[key] !== "string") {
          throw new TypeError(
            `${name}: mutant ${m?.id ?? "?"} has no string \`${key}\``,
          );
        }
      }
      if (!Array.isArray(m.tests) || m.tests.length === 0) {
        throw new TypeError(`${name}: mutant ${m.id} lists no tests`);
      }
      if (all.some((o) => o.id === m.id)) {
        throw new TypeError(`${name}: mutant id ${m.id} is used twice`);
      }
      all.push({ ...m, from: name });
    }
  }
  return all;
}

function occurrences(text: string, find: string): number {
  let n = 0;
  for (let i = text.indexOf(find); i >= 0; i = text.indexOf(find, i + 1)) n++;
  return n;
}

/** Why `m` cannot be applied to the tree at `root`, or null. */
function staleness(root: string, m: Mutant): string | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(root + m.file);
  } catch {
    return `${m.file} does not exist`;
  }
  const n = occurrences(text, m.find);
  if (n !== 1) {
    return `the text to replace occurs ${n} times in ${m.file}, not once`;
  }
  const missing = m.tests.filter((t) => !existsSync(root + t));
  return missing.length ? `test file(s) missing: ${missing.join(", ")}` : null;
}

/** Copies the tracked and untracked-unignored files of the repository. */
async function copyRepo(): Promise<string> {
  const out = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  if (!out.success) {
    throw new Error("git ls-files failed: is this a git checkout?");
  }
  const dir = await Deno.makeTempDir({ prefix: "efdpool-mutation-" });
  const files = new TextDecoder().decode(out.stdout).split("\0").filter(
    Boolean,
  );
  for (const f of files) {
    if (!existsSync(ROOT + f)) continue; // deleted in the working tree
    await Deno.mkdir(`${dir}/${f.slice(0, f.lastIndexOf("/") + 1)}`, {
      recursive: true,
    });
    await Deno.copyFile(ROOT + f, `${dir}/${f}`);
  }
  return dir + "/";
}

/** Runs `tests` in `root`; which test names failed, or "timeout". */
async function runTests(root: string, tests: string[]): Promise<
  { ok: boolean; failed: string[]; timedOut: boolean; ms: number }
> {
  const started = Date.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", "--no-check", "--parallel=false", ...tests],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  const [status, stdout] = await Promise.all([
    child.status,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  clearTimeout(timer);
  const failed = [...stdout.matchAll(/^(.+?) \.\.\. FAILED/gm)].map((m) =>
    m[1]
  );
  return {
    ok: status.success && !timedOut,
    failed,
    timedOut,
    ms: Date.now() - started,
  };
}

async function judge(
  root: string,
  m: Mutant,
  red: Set<string>,
): Promise<Verdict> {
  const stale = staleness(root, m);
  if (stale) return { kind: "stale", reason: stale };
  const redTests = m.tests.filter((t) => red.has(t));
  if (redTests.length) {
    return {
      kind: "untestable",
      reason: `fails unmutated: ${redTests.join(", ")}`,
    };
  }
  const path = root + m.file;
  const original = Deno.readTextFileSync(path);
  Deno.writeTextFileSync(path, original.replace(m.find, () => m.replace));
  try {
    const r = await runTests(root, m.tests);
    return r.ok
      ? { kind: "missed", ms: r.ms }
      : { kind: "caught", ms: r.ms, failed: r.failed, timedOut: r.timedOut };
  } finally {
    Deno.writeTextFileSync(path, original);
  }
}

function line(m: Loaded, v: Verdict): string {
  const head = `${v.kind.toUpperCase().padEnd(10)} ${m.id}`;
  switch (v.kind) {
    case "caught":
      return `${head}  ${(v.ms / 1000).toFixed(1)} s${
        v.timedOut ? "  (only by timeout: a hang)" : ""
      }` +
        (v.failed.length
          ? `\n           failed: ${v.failed.slice(0, 3).join("; ")}`
          : "");
    case "missed":
      return `${head}  ${
        (v.ms / 1000).toFixed(1)
      } s\n           ${m.file}: ${m.why}`;
    default:
      return `${head}  ${v.reason}`;
  }
}

const mutants = await loadMutants();
const only = values.only.flatMap((o) => o.split(",")).filter(Boolean);
const unknown = only.filter((id) => !mutants.some((m) => m.id === id));
if (unknown.length) {
  throw new RangeError(`--only: no mutant named ${unknown.join(", ")}`);
}
const chosen = only.length
  ? mutants.filter((m) => only.includes(m.id))
  : mutants;

if (values.list) {
  for (const m of chosen) {
    const stale = staleness(ROOT, m);
    console.log(
      `${m.id}  [${m.from}]  ${m.file}${stale ? `  STALE: ${stale}` : ""}`,
    );
    console.log(`    ${m.why}\n    tests: ${m.tests.join(", ")}`);
  }
  Deno.exit(0);
}

const began = Date.now();
const root = await copyRepo();
// Ctrl-C must not leave the copy behind (the test run gets the signal too).
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(sig, () => {
    if (!values.keep) Deno.removeSync(root, { recursive: true });
    Deno.exit(130);
  });
}
console.log(
  `copy: ${root}  (${chosen.length} mutants, timeout ${timeoutMs / 1000} s)`,
);
const red = new Set<string>();
if (!values["no-baseline"]) {
  for (const t of [...new Set(chosen.flatMap((m) => m.tests))]) {
    if (!existsSync(root + t)) continue;
    const r = await runTests(root, [t]);
    console.log(
      `baseline   ${t}: ${r.ok ? "green" : "RED"} ${
        (r.ms / 1000).toFixed(1)
      } s`,
    );
    if (!r.ok) red.add(t);
  }
}
const verdicts: Verdict[] = [];
for (const m of chosen) {
  const v = await judge(root, m, red);
  verdicts.push(v);
  console.log(line(m, v));
}
const count = (k: Verdict["kind"]) =>
  verdicts.filter((v) => v.kind === k).length;
const caught = count("caught");
const scored = caught + count("missed");
const byTimeout =
  verdicts.filter((v) => v.kind === "caught" && v.timedOut).length;
console.log(
  `\nscore: ${caught}/${scored} caught (${
    scored ? Math.round(100 * caught / scored) : 0
  }%)` +
    `${byTimeout ? `, ${byTimeout} only by timeout` : ""}; ` +
    `${count("stale")} stale, ${count("untestable")} untestable; ` +
    `${Math.round((Date.now() - began) / 1000)} s in all`,
);
if (values.keep) console.log(`kept ${root}`);
else await Deno.remove(root, { recursive: true });
Deno.exit(caught === chosen.length ? 0 : 1);
