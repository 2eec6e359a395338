// Memory compaction in this very process: a last-resort collection gives back the pages a
// burst of garbage grew the heap into (an ordinary one does not), and the idle compactor runs
// it once, when idle, with a heap holding much more than it uses; turned off, never.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { getHeapStatistics } from "node:v8";
import { lastResortCollector, startIdleCompaction } from "../../../runtime/memory.ts";
import { createLogger } from "../../../runtime/log.ts";

/** Grows the heap by about 40 MiB of small objects that are garbage once it returns. */
function burst(): number {
  let kept = 0;
  for (let round = 0; round < 10; round++) {
    const batch = Array.from({ length: 40_000 }, (_, i) => ({ name: `object-${round}-${i}`, list: [i, i + 1] }));
    kept += batch.filter((_, i) => i % 1000 === 0).length;
  }
  return kept;
}

const committedBeyondUsed = () => {
  const heap = getHeapStatistics();
  return heap.total_heap_size - heap.used_heap_size;
};

test("a last-resort collection gives the heap's empty pages back", () => {
  const collect = lastResortCollector();
  assert.type(collect, "function", "Node has one");
  burst();
  const before = getHeapStatistics().total_heap_size;
  collect!();
  const after = getHeapStatistics().total_heap_size;
  assert.ok(after < before, `heap committed ${before} -> ${after} bytes`);
  assert.ok(committedBeyondUsed() < 16 * 2 ** 20, "little is left committed beyond what is used");
});

test("the idle compactor compacts once after a burst, and never when turned off", async () => {
  const log = createLogger("error", {});
  const off = startIdleCompaction({ idleSeconds: 0, log, sampleMs: 20 });
  const seen: Array<[number, number]> = [];
  const on = startIdleCompaction({
    idleSeconds: 0.1,
    log,
    sampleMs: 50,
    slackBytes: 4 * 2 ** 20,
    compacted: (before, after) => seen.push([before, after]),
  });
  try {
    burst();
    const deadline = Date.now() + 10_000;
    while (on.count === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.is(on.count, 1, "compacted once the process was idle");
    assert.ok(seen[0]![1] <= seen[0]![0], `RSS ${seen[0]![0]} -> ${seen[0]![1]}`);
    // Idle again, but the heap holds little it does not use: nothing more to do.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.is(on.count, 1, "not again without a new burst");
    assert.is(off.count, 0);
  } finally {
    on.stop();
    off.stop();
  }
});

test.run();
