// The sources are formatted with the committed formatter (deno fmt, configured in deno.json):
// `npm run fmt` rewrites them; this fails on any file it would change.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";

const root = join(import.meta.dirname, "..", "..");

test("deno fmt --check finds nothing to change (run: npm run fmt)", () => {
  const result = spawnSync(join(root, "node_modules", ".bin", "deno"), ["fmt", "--check"], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const unformatted = [...`${result.stdout}${result.stderr}`.matchAll(/^from (\S+):/gm)].map((match) => match[1]);
  assert.equal(unformatted, [], "files deno fmt would change");
  assert.is(result.status, 0, `${result.stdout}${result.stderr}`.slice(0, 2000));
});

test.run();
