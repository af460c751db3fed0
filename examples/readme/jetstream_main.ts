// main.ts — the same program on every host
import { WorkerPool } from "@efdpool/efdpool";
import { JetStreamSource } from "@efdpool/efdpool/jetstream";

await using pool = new WorkerPool({
  workers: 8,
  handler: new URL("./jetstream_handler.ts", import.meta.url),
});
await using source = await JetStreamSource.connect({
  servers: ["nats://n1:4222", "nats://n2:4222", "nats://n3:4222"],
  stream: "JOBS", // a work-queue stream
  consumer: "workers", // one durable pull consumer, shared by every host
});
await pool.attach(source, {
  maxInFlight: 256, // default max(128, 32 × workers), at most the consumer's max_ack_pending
  nakDelay: 5000, // a throwing handler's message comes back after 5 s (default 1 s)
  onResult: (result, m) => console.log(m.seq, result),
  onError: (error, m) => console.error(m?.seq, error.message),
});
Deno.addSignalListener("SIGTERM", () => source.close({ timeout: 10_000 }));
await source.stopped; // undefined after close(), the error if a fault ended the source
