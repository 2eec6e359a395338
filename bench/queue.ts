// Work-queue throughput in-process: keys added, taken and marked done, with 1 and N workers.
//   node bench/queue.ts
import { WorkQueue } from "../runtime/queue.ts";
import { writeReport } from "./report.ts";

const keys = 200_000;
const rounds = 3;

async function run(workers: number): Promise<number> {
  const queue = new WorkQueue();
  let processed = 0;
  const worker = async () => {
    for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
      processed++;
      queue.done(key);
      if (processed === keys) queue.shutDown();
    }
  };
  const started = performance.now();
  const running = Array.from({ length: workers }, worker);
  for (let i = 0; i < keys; i++) queue.add(`namespace/object-${i}`);
  await Promise.all(running);
  return keys / ((performance.now() - started) / 1000);
}

const rows = [];
for (const workers of [1, 4, 16]) {
  const results: number[] = [];
  for (let round = 0; round < rounds; round++) results.push(await run(workers));
  results.sort((a, b) => a - b);
  rows.push({
    workers,
    keys,
    "median keys/s": Math.round(results[Math.floor(rounds / 2)]!),
    "min keys/s": Math.round(results[0]!),
    "max keys/s": Math.round(results[rounds - 1]!),
  });
}
writeReport({
  name: "queue",
  command: "node bench/queue.ts",
  rows,
  notes: [`each key is added once, taken by a worker and marked done; ${rounds} rounds per row`],
});
