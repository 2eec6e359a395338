// Strict answers' repeated keys: the first key that appears twice in one JSON object, and where
// that object is; keys repeated across objects, escaped keys and strings that look like JSON are
// not repeats.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { repeatedKey, unknownFields } from "../../../../runtime/webhook/strict.ts";

const cases: Array<[string, string, string | undefined]> = [
  ["no repeat", '{"a": 1, "b": {"a": 2}}', undefined],
  ["a top-level key", '{"a": 1, "b": 2, "a": 3}', "a"],
  ["inside an object", '{"status": {"ready": true, "ready": false}}', "status.ready"],
  ["after a nested object closes", '{"s": {"x": {"y": 1}, "z": 2, "x": 3}}', "s.x"],
  ["inside an array's third object", '{"children": [{}, {"a": 1}, {"m": {"n": 1, "n": 2}}]}', "children[2].m.n"],
  ["arrays of arrays", '{"a": [[1, 2], [{"k": 1, "k": 2}]]}', "a[1][0].k"],
  ["the same key in sibling objects", '[{"a": 1}, {"a": 2}]', undefined],
  ["an escaped key equal to another", '{"a\\u0062": 1, "ab": 2}', "ab"],
  ["keys differing only by case", '{"Status": 1, "status": 2}', undefined],
  ["a string value that looks like JSON", '{"a": "{\\"a\\": 1, \\"a\\": 2}", "b": ["\\"", "a"]}', undefined],
  ["a value with escaped quotes before a repeat", '{"a": "x\\"y", "a": 1}', "a"],
];
for (const [name, text, expected] of cases) {
  test(`repeatedKey: ${name}`, () => {
    JSON.parse(text); // every case is valid JSON
    assert.is(repeatedKey(text), expected);
  });
}

test("unknownFields lists the fields not known, in order", () => {
  assert.equal(unknownFields({ status: 1, extra: 2, children: 3, more: 4 }, ["status", "children"]), ["extra", "more"]);
  assert.equal(unknownFields({}, ["status"]), []);
});

test.run();
