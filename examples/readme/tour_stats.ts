import { readStats, serveStats, WorkerPool } from "@efdpool/efdpool";

await using pool = new WorkerPool({ workers: 4 });
await using stats = serveStats(pool); // then, elsewhere: deno task cli watch <this pid>
console.log("tour: stats at", stats.path, (await readStats(Deno.pid)).pid);
