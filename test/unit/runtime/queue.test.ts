import { test } from "uvu";
import * as assert from "uvu/assert";
import { WorkQueue } from "../../../runtime/queue.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("a key waiting in the queue is queued once, however often it is added", async () => {
  const queue = new WorkQueue();
  queue.add("a");
  queue.add("b");
  queue.add("a");
  queue.add("a");
  assert.is(queue.length, 2);
  assert.is(await queue.get(), "a");
  assert.is(await queue.get(), "b");
  assert.is(queue.length, 0);
});

test("a key being processed is not handed to a second worker", async () => {
  const queue = new WorkQueue();
  queue.add("a");
  const first = await queue.get();
  queue.add("a");
  assert.is(queue.length, 0, "the re-added key waits until the first worker is done");
  let second: string | undefined;
  const waiting = queue.get().then((key) => (second = key));
  await sleep(10);
  assert.is(second, undefined);
  queue.done(first!);
  await waiting;
  assert.is(second, "a", "it is processed again after done()");
});

test("a key that was not re-added is not processed again after done()", async () => {
  const queue = new WorkQueue();
  queue.add("a");
  queue.done((await queue.get())!);
  assert.is(queue.length, 0);
});

test("failures back off exponentially per key from 5 ms, and forget() resets", () => {
  const queue = new WorkQueue();
  const delays = [1, 2, 3, 4, 5].map(() => queue.addRateLimited("a"));
  assert.equal(delays, [5, 10, 20, 40, 80]);
  assert.is(queue.addRateLimited("b"), 5, "backoff is per key");
  assert.is(queue.numRequeues("a"), 5);
  queue.forget("a");
  assert.is(queue.numRequeues("a"), 0);
  assert.is(queue.addRateLimited("a"), 5);
  queue.shutDown();
});

test("backoff is capped at 1000 s", () => {
  const queue = new WorkQueue();
  let last = 0;
  for (let i = 0; i < 40; i++) last = queue.addRateLimited("a");
  assert.is(last, 1_000_000);
  queue.shutDown();
});

test("a rate-limited key comes back after its delay, not before", async () => {
  const queue = new WorkQueue({ baseDelayMs: 40 });
  queue.addRateLimited("a");
  assert.is(queue.length, 0);
  await sleep(15);
  assert.is(queue.length, 0);
  await sleep(60);
  assert.is(queue.length, 1);
  assert.is(await queue.get(), "a");
});

test("addAfter keeps the earliest deadline for a key", async () => {
  const queue = new WorkQueue();
  queue.addAfter("a", 500);
  queue.addAfter("a", 20);
  queue.addAfter("a", 300);
  const started = performance.now();
  assert.is(await queue.get(), "a");
  const waited = performance.now() - started;
  assert.ok(waited < 250, `waited ${waited} ms, expected the 20 ms deadline to win`);
  queue.done("a");
  await sleep(50);
  assert.is(queue.length, 0, "the later deadlines were dropped, not queued again");
  queue.shutDown();
});

/** Takes every waiting key, marking each done, in the order workers would get them. */
const drain = async (queue: WorkQueue) => {
  const keys: string[] = [];
  while (queue.length > 0) {
    const key = (await queue.get())!;
    keys.push(key);
    queue.done(key);
  }
  return keys;
};

test("low-lane keys wait until no normal key does, each lane in order", async () => {
  const queue = new WorkQueue();
  queue.add("child-a", "low");
  queue.add("child-b", "low");
  queue.add("new-1");
  queue.add("new-2", "normal");
  assert.is(queue.length, 4);
  assert.equal(await drain(queue), ["new-1", "new-2", "child-a", "child-b"]);
});

test("a low key added as normal moves up once, and is handed out once", async () => {
  const queue = new WorkQueue();
  queue.add("a", "low");
  queue.add("b", "low");
  queue.add("c");
  queue.add("a");
  queue.add("a", "low");
  assert.is(queue.length, 3, "a waits once");
  assert.equal(await drain(queue), ["c", "a", "b"]);
  queue.add("a", "low");
  assert.equal(await drain(queue), ["a"], "its old low entry does not hand it out twice");
});

test("a key that moved up and later waits low again takes its turn in the low lane", async () => {
  const queue = new WorkQueue();
  queue.add("a", "low");
  queue.add("a");
  queue.done((await queue.get())!);
  queue.add("b", "low");
  queue.add("a", "low");
  assert.equal(await drain(queue), ["b", "a"], "a's stale entry, ahead of b's, does not count");
});

test("stale low-lane entries are dropped while normal keys never run out", async () => {
  const queue = new WorkQueue();
  for (let n = 0; n < 3000; n++) {
    queue.add(`k${n}`, "low");
    queue.add(`k${n}`);
  }
  assert.ok(queue.lowLaneEntries <= 1025, `${queue.lowLaneEntries} entries kept in the low lane`);
  const keys = await drain(queue);
  assert.is(keys.length, 3000);
  assert.equal(keys.slice(0, 3), ["k0", "k1", "k2"]);
  assert.is(queue.lowLaneEntries, 0);
});

test("a key re-added while processed goes back in the higher lane it was added in", async () => {
  const queue = new WorkQueue();
  queue.add("x");
  const x = (await queue.get())!;
  queue.add("y", "low");
  queue.add("x", "low");
  queue.add("x");
  assert.is(queue.length, 1, "x waits for done(), y waits");
  queue.done(x);
  assert.equal(await drain(queue), ["x", "y"]);
});

test("a low key stale in its lane is not handed out while it is being processed", async () => {
  const queue = new WorkQueue();
  queue.add("a", "low");
  queue.add("a");
  const a = (await queue.get())!;
  queue.add("a", "low");
  queue.add("b", "low");
  assert.is(queue.length, 1);
  assert.is(await queue.get(), "b", "a's old entry is skipped: a is being processed");
  queue.done("b");
  queue.done(a);
  assert.equal(await drain(queue), ["a"]);
});

test("a delayed low add lands in the low lane; a normal add for the same key raises it", async () => {
  const queue = new WorkQueue();
  queue.addAfter("late", 10, "low");
  queue.addAfter("raised", 10, "low");
  queue.addAfter("raised", 200);
  await sleep(40);
  queue.add("now");
  assert.equal(await drain(queue), ["raised", "now", "late"]);
  queue.shutDown();
});

test("an earlier low deadline replacing a later normal one keeps the normal lane", async () => {
  const queue = new WorkQueue();
  queue.addAfter("retried", 200);
  queue.addAfter("retried", 10, "low");
  queue.add("child", "low");
  await sleep(40);
  assert.equal(await drain(queue), ["retried", "child"]);
  queue.shutDown();
});

test("a worker waiting on an empty queue gets a low key pushed past stale entries", async () => {
  const queue = new WorkQueue();
  queue.add("a", "low");
  queue.add("a");
  const a = (await queue.get())!;
  const waiting = queue.get();
  queue.add("b", "low");
  assert.is(await waiting, "b");
  queue.done("b");
  queue.done(a);
  assert.is(queue.length, 0);
});

test("get() resolves undefined after shutDown(), and adds are ignored", async () => {
  const queue = new WorkQueue();
  const pending = queue.get();
  queue.shutDown();
  assert.is(await pending, undefined);
  queue.add("a");
  assert.is(await queue.get(), undefined);
});

test("shutDownWithDrain waits for in-flight keys", async () => {
  const queue = new WorkQueue();
  queue.add("a");
  const key = (await queue.get())!;
  setTimeout(() => queue.done(key), 30);
  assert.is(await queue.shutDownWithDrain(1_000), true);
  assert.is(queue.processing, 0);
});

test("shutDownWithDrain gives up after its timeout", async () => {
  const queue = new WorkQueue();
  queue.add("a");
  await queue.get();
  assert.is(await queue.shutDownWithDrain(20), false);
});

test("the observer sees adds, waits, work and retries", async () => {
  const seen: string[] = [];
  const queue = new WorkQueue({
    observer: {
      added: (depth) => seen.push(`added ${depth}`),
      started: (depth) => seen.push(`started ${depth}`),
      finished: () => seen.push("finished"),
      retried: () => seen.push("retried"),
    },
  });
  queue.add("a");
  queue.add("a");
  queue.add("b");
  queue.done((await queue.get())!);
  queue.addRateLimited("a");
  queue.shutDown();
  assert.equal(seen, ["added 1", "added 2", "started 1", "finished", "retried"]);
});

test("many workers never hold the same key at once", async () => {
  const queue = new WorkQueue();
  const holding = new Set<string>();
  let overlaps = 0;
  let processed = 0;
  const worker = async () => {
    for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
      if (holding.has(key)) overlaps++;
      holding.add(key);
      await sleep(Math.random() * 3);
      holding.delete(key);
      processed++;
      queue.done(key);
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  for (let round = 0; round < 50; round++) {
    for (let k = 0; k < 5; k++) queue.add(`k${k}`);
    await sleep(1);
  }
  await sleep(50);
  queue.shutDown();
  await Promise.all(workers);
  assert.is(overlaps, 0);
  assert.ok(processed >= 5, `processed ${processed}`);
});

test.run();
