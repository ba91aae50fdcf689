// BullMQ side of bench/spooler.bench.mjs: one Worker (concurrency 1, like one spooler process)
// whose processor does nothing; prints "ready", then "BENCH_DONE R <epoch ms>" when it has
// completed the n-th job of round R (n and the round travel in the job's data).
import { Worker } from "bullmq";

const [socketPath, queueName] = process.argv.slice(2);
const done = new Map();
const worker = new Worker(queueName, async () => undefined, { connection: { path: socketPath }, concurrency: 1 });
worker.on("completed", (job) => {
  const { round, n } = job.data;
  const count = (done.get(round) ?? 0) + 1;
  done.set(round, count);
  if (count === Number(n)) process.stdout.write(`BENCH_DONE ${round} ${Date.now()}\n`);
});
await worker.waitUntilReady();
process.stdout.write("ready\n");
process.on("SIGTERM", async () => {
  await worker.close();
  process.exit(0);
});
