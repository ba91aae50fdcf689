// BullMQ side of bench/spooler.bench.mjs: one Worker (concurrency 1, like one spooler process)
// whose processor does nothing; prints "ready", then "done" once N jobs completed.
import { Worker } from "bullmq";

const [socketPath, queueName, total] = process.argv.slice(2);
let completed = 0;
const worker = new Worker(queueName, async () => undefined, { connection: { path: socketPath }, concurrency: 1 });
worker.on("completed", () => {
  if (++completed === Number(total)) process.stdout.write("done\n");
});
await worker.waitUntilReady();
process.stdout.write("ready\n");
process.on("SIGTERM", async () => {
  await worker.close();
  process.exit(0);
});
