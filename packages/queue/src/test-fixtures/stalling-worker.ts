// A trial worker that takes one job and then hangs holding it, so a test can SIGKILL it mid-job.
// Env: QUEUE_REDIS_URL or QUEUE_DATABASE_URL, QUEUE_NAMESPACE, QUEUE_NAME.
import { createQueueConnection } from "../connection.ts";
import { createTrialWorker } from "../trials.ts";

const conn = createQueueConnection({
  redisUrl: process.env["QUEUE_REDIS_URL"] ?? "",
  databaseUrl: process.env["QUEUE_DATABASE_URL"],
  namespace: process.env["QUEUE_NAMESPACE"],
});
createTrialWorker(
  conn,
  async (job) => {
    process.stdout.write(`started ${job.id}\n`);
    await new Promise(() => {}); // never finishes: the process is killed mid-job
  },
  { name: process.env["QUEUE_NAME"] ?? "trials", lockDurationMs: 1000, stalledIntervalMs: 300 },
);
process.stdout.write("ready\n");
