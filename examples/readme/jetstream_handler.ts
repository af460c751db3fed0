// handler.ts — the pool's handler module
import { jetStreamHandler } from "@efdpool/efdpool/jetstream";

export const handle = jetStreamHandler((msg, _ctx) => {
  // msg: subject, headers (Map), seq (stream sequence), redelivered (0 on the
  // first delivery), deliveryCount, timestamp, data, string(), json()
  const job = msg.json() as { words: string[] };
  return job.words.length;
}, (input) => input); // optional: the pool's other run() tasks
