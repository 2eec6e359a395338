// Code shown in a README is code that runs: every block marked <!-- file: path --> is that
// file, byte for byte, and the file is tested where it lives (examples/website is installed and
// tested from the packed package by test/integration/package/consumer.test.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";

const root = join(import.meta.dirname, "..", "..", "..");
const readmes = ["runtime/README.md", "examples/website/README.md", "examples/configmap-propagation/README.md"];

/** The blocks a README marks as copies of files: [path, text]. */
export function markedBlocks(markdown: string): Array<[string, string]> {
  return [...markdown.matchAll(/<!-- file: ([^ ]+) -->\n```[a-z]*\n([\s\S]*?)```/g)].map((
    match,
  ) => [match[1]!, match[2]!]);
}

test("the marker parser finds a marked block and ignores unmarked ones", () => {
  const text = "x\n<!-- file: a.ts -->\n```ts\nconst a = 1;\n```\n\n```ts\nunmarked\n```\n";
  assert.equal(markedBlocks(text), [["a.ts", "const a = 1;\n"]]);
});

for (const readme of readmes) {
  test(`${readme}: each marked block is its file, verbatim`, () => {
    const blocks = markedBlocks(readFileSync(join(root, readme), "utf8"));
    assert.ok(blocks.length > 0, `${readme} shows at least one file`);
    for (const [path, text] of blocks) assert.fixture(text, readFileSync(join(root, path), "utf8"), path);
  });
}

test("the runtime README's hello world is the Website example", () => {
  const paths = markedBlocks(readFileSync(join(root, "runtime/README.md"), "utf8")).map(([path]) => path);
  assert.ok(paths.includes("examples/website/website.ts"));
});

test.run();
