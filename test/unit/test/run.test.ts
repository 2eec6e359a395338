import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseUvuSummary } from "../../run.ts";

test("reads passed, failed and skipped from uvu's summary", () => {
  const output = "\n  Total:     7\n  Passed:    5\n  Skipped:   1\n  Duration:  3.2ms\n";
  assert.equal(parseUvuSummary(output), { passed: 5, failed: 1, skipped: 1 });
});

test("ignores colour codes", () => {
  const output = "\x1b[2m  Total:     \x1b[0m2\n\x1b[32m  Passed:    \x1b[0m2\n  Skipped:   0\n";
  assert.equal(parseUvuSummary(output), { passed: 2, failed: 0, skipped: 0 });
});

test("has no counts when a file crashed before its summary", () => {
  assert.is(parseUvuSummary("TypeError: boom\n    at file.ts:1:1\n"), undefined);
});

test.run();
