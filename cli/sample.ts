/**
 * The demo's default input: a generated, log-like text file (timestamps,
 * levels, services, client addresses, request lines, status codes, sizes,
 * latencies, request ids, now and then a stack trace) that compresses about
 * as well as real service logs do. The same seed gives the same bytes on
 * every run, so the file is made once and reused.
 *
 * @module
 */

const LEVELS = [
  "INFO",
  "INFO",
  "INFO",
  "INFO",
  "INFO",
  "DEBUG",
  "DEBUG",
  "WARN",
  "ERROR",
];
const SERVICES = [
  "api-gw",
  "auth",
  "orders",
  "billing",
  "search",
  "cart",
  "inventory",
  "notify",
];
const METHODS = ["GET", "GET", "GET", "GET", "POST", "POST", "PUT", "DELETE"];
const PATHS = [
  "/api/v1/users/{id}",
  "/api/v1/users/{id}/orders",
  "/api/v1/orders/{id}?expand=items",
  "/api/v1/search?q={word}&page={n}",
  "/api/v2/cart/{id}/items",
  "/api/v1/inventory/sku-{id}",
  "/healthz",
  "/static/app.{hex}.js",
  "/api/v1/billing/invoices/{id}/pdf",
];
const STATUS = [
  200,
  200,
  200,
  200,
  200,
  200,
  201,
  204,
  301,
  304,
  400,
  401,
  404,
  404,
  500,
  503,
];
const AGENTS = [
  "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
  "curl/8.5.0",
  "okhttp/4.12.0",
  "Go-http-client/2.0",
  "python-requests/2.31.0",
];
const WORDS = [
  "shoes",
  "red",
  "laptop",
  "usb-c",
  "cable",
  "garden",
  "chair",
  "lamp",
  "kettle",
  "book",
  "phone",
  "case",
];
const MESSAGES = [
  "cache miss for key session:{hex}",
  "db: slow query on orders (rows={n}) took {n}ms",
  "retrying upstream {svc} after timeout (attempt {d}/3)",
  "token refreshed for user {id}",
  "queue depth {n}, consumers {d}",
  "circuit breaker for {svc} half-open",
];
const TRACE = [
  "    at OrderService.load (/srv/app/orders/service.js:{d}{d}:{d}{d})",
  "    at async Router.handle (/srv/app/node_modules/router/index.js:{d}{d}{d}:{d}{d})",
  "    at async Server.<anonymous> (/srv/app/server.js:{d}{d}:{d})",
];

/**
 * mulberry32, a tiny seeded PRNG: floats in [0, 1) determined by `seed`, so
 * the sample (and a failing random test sequence) can be made again.
 *
 * @example
 * ```ts
 * import { mulberry32 } from "./sample.ts";
 * console.log(mulberry32(1)() === mulberry32(1)()); // true
 * ```
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Writes `size` bytes of log-like text to `write`, in chunks of about 1 MiB;
 * `onProgress` sees the bytes done after each chunk.
 */
export function generateLog(
  size: number,
  write: (chunk: Uint8Array) => void,
  onProgress?: (done: number) => void,
): void {
  const r = mulberry32(0xefd9001);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)];
  const int = (n: number) => Math.floor(r() * n);
  const hex = () => int(0x100000000).toString(16).padStart(8, "0");
  const ips = Array.from(
    { length: 300 },
    () => `10.${int(8)}.${int(256)}.${1 + int(254)}`,
  );
  const fill = (t: string) =>
    t.replace(
      /\{(id|n|d|hex|word|svc)\}/g,
      (_, k: string) =>
        k === "id"
          ? String(1000 + int(90000))
          : k === "n"
          ? String(int(2000))
          : k === "d"
          ? String(1 + int(9))
          : k === "hex"
          ? hex()
          : k === "word"
          ? pick(WORDS)
          : pick(SERVICES),
    );
  const encoder = new TextEncoder();
  let clock = Date.UTC(2026, 10, 30, 6, 0, 0);
  let done = 0;
  while (done < size) {
    const lines: string[] = [];
    let len = 0;
    while (len < 1 << 20) {
      clock += int(40);
      const ts = new Date(clock).toISOString();
      const level = pick(LEVELS);
      const svc = pick(SERVICES);
      const pid = 1200 + SERVICES.indexOf(svc) * 7;
      let line: string;
      if (r() < 0.75) {
        const status = pick(STATUS);
        line = `${ts} ${level.padEnd(5)} ${svc}[${pid}]: ${pick(ips)} ${
          pick(METHODS)
        } ${fill(pick(PATHS))} ${status} ${int(40000)}B ${
          (r() * 300).toFixed(1)
        }ms "${pick(AGENTS)}" req=${hex()}`;
      } else {
        line = `${ts} ${level.padEnd(5)} ${svc}[${pid}]: ${
          fill(pick(MESSAGES))
        }`;
        if (level === "ERROR") {
          line += `\nError: ${fill(pick(MESSAGES))}\n` +
            TRACE.map(fill).join("\n");
        }
      }
      lines.push(line);
      len += line.length + 1;
    }
    let bytes = encoder.encode(lines.join("\n") + "\n");
    if (bytes.length > size - done) bytes = bytes.subarray(0, size - done);
    write(bytes);
    done += bytes.length;
    onProgress?.(done);
  }
}

/** Where the generated input of `size` bytes is kept. */
export function samplePath(size: number): string {
  return `/tmp/efdpool-demo-log-${size}.txt`;
}

/**
 * Whether the generated input of `size` bytes is there already.
 *
 * @example
 * ```ts ignore
 * import { sampleReady } from "./sample.ts";
 * console.log(sampleReady(1 << 20));
 * ```
 */
export function sampleReady(size: number): boolean {
  try {
    return Deno.statSync(samplePath(size)).size === size;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * Makes the generated input of `size` bytes, or reuses it when a file of
 * that size is already there; returns its path. Written to a temporary name
 * and renamed, so an interrupted run leaves no half file behind.
 *
 * @example
 * ```ts ignore
 * import { ensureSample } from "./sample.ts";
 * console.log(ensureSample(8 << 20)); // /tmp/efdpool-demo-log-8388608.txt
 * ```
 */
export function ensureSample(
  size: number,
  onProgress?: (done: number) => void,
): string {
  const path = samplePath(size);
  if (sampleReady(size)) return path;
  const tmp = `${path}.${Deno.pid}.tmp`;
  try {
    using f = Deno.openSync(tmp, { write: true, create: true, truncate: true });
    generateLog(size, (chunk) => {
      for (let at = 0; at < chunk.length;) {
        at += f.writeSync(chunk.subarray(at));
      }
    }, onProgress);
    Deno.renameSync(tmp, path);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* never created */ }
    throw e;
  }
  return path;
}
