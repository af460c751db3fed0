import assert from "node:assert/strict";
import { FileOpenError } from "../io/errors.ts";
import { openForRead } from "../io/file.ts";

const dir = Deno.makeTempDirSync({ prefix: "efdpool-file-" });
Deno.writeFileSync(`${dir}/a.bin`, new Uint8Array(8192));

function openError(
  path: string,
  options?: Parameters<typeof openForRead>[1],
): FileOpenError {
  try {
    openForRead(path, options).close();
  } catch (e) {
    assert.ok(e instanceof FileOpenError, String(e));
    return e;
  }
  assert.fail(`${path} opened`);
}

Deno.test("openForRead: a missing file and a directory are FileOpenErrors naming the path", () => {
  const missing = openError(`${dir}/nope`);
  assert.equal(missing.code, "ENOENT");
  assert.match(missing.message, /nope: ENOENT \(no such file\)/);
  const isDir = openError(dir);
  assert.equal(isDir.code, "EISDIR");
  assert.match(isDir.message, /expected a file/);
  assert.equal(openError(`${dir}/a.bin/x`).code, "ENOTDIR");
});

Deno.test("openForRead: O_DIRECT where supported, a stated fallback where not", () => {
  using f = openForRead(`${dir}/a.bin`);
  assert.equal(f.direct, true);
  assert.equal(f.size, 8192);
  // procfs has no O_DIRECT: "auto" falls back and says why, `true` refuses.
  using proc = openForRead("/proc/self/status");
  assert.equal(proc.direct, false);
  assert.match(
    proc.directFallback!,
    /does not support O_DIRECT; using buffered reads/,
  );
  const refused = openError("/proc/self/status", { direct: true });
  assert.equal(refused.code, "EINVAL");
  assert.match(refused.message, /does not support O_DIRECT/);
  using buffered = openForRead(`${dir}/a.bin`, { direct: false });
  assert.equal(buffered.direct, false);
  assert.equal(buffered.directFallback, undefined);
});

Deno.test("openForRead: a file Deno may not read is EACCES with the flag to add", async () => {
  const script = `${dir}/probe.ts`;
  Deno.writeTextFileSync(
    script,
    `import { openForRead } from "${new URL("../io/file.ts", import.meta.url)}";
    try { openForRead("${dir}/a.bin"); } catch (e) { console.log(e.code, e.message); }`,
  );
  // May read the script, not the data file next to it.
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-config",
      "--allow-ffi",
      `--allow-read=${script}`,
      script,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.match(
    text,
    /^EACCES .*--allow-read/,
    new TextDecoder().decode(out.stderr),
  );
});

Deno.test("openForRead: a file: URL opens its path; a bad path or direct is a Type/RangeError naming it", () => {
  using f = openForRead(new URL(`file://${dir}/a.bin`), { direct: false });
  assert.equal(f.path, `${dir}/a.bin`);
  assert.equal(f.size, 8192);
  const bad: [() => unknown, ErrorConstructor, RegExp][] = [
    [() => openForRead(3 as never), TypeError, /^path .*got 3$/],
    [() => openForRead(["/tmp"] as never), TypeError, /^path /],
    [() => openForRead(""), RangeError, /^path /],
    [() => openForRead(`${dir}/a.bin\0x`), RangeError, /^path /],
    [() => openForRead(new URL("http://x/a")), TypeError, /^path .*file: URL/],
    [() => openForRead(`${dir}/a.bin`, 1 as never), TypeError, /^options /],
    [
      () => openForRead(`${dir}/a.bin`, { direct: 1 as never }),
      TypeError,
      /^options\.direct must be a boolean or "auto", got 1$/,
    ],
  ];
  for (const [fn, type, message] of bad) {
    assert.throws(
      fn,
      (e: Error) => e instanceof type && message.test(e.message),
    );
  }
});
