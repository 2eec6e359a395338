// Request bodies as the API server compares them: a JSON patch's test op compares encoded
// bytes, and Go's encoder writes <, > and & as \u003c, \u003e and \u0026, so a JSON patch
// encodes them the same way (a failure message such as "must be >= 1" was otherwise never
// taken back). Other bodies are plain JSON.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { encodeBody } from "../../../../runtime/kube/client.ts";

test("a JSON patch encodes <, > and & as Go does, and still parses to the same value", () => {
  const patch = [{ op: "test", path: "/status/conditions/0/message", value: "size must be >= 1 & <= 3" }];
  const body = encodeBody(patch, "application/json-patch+json");
  assert.is(body.includes(">"), false);
  assert.ok(body.includes("\\u003e= 1 \\u0026 \\u003c= 3"));
  assert.equal(JSON.parse(body), patch);
});

test("other bodies are plain JSON", () => {
  const value = { spec: { note: "a > b" } };
  assert.is(encodeBody(value, "application/merge-patch+json"), JSON.stringify(value));
  assert.is(encodeBody(value, undefined), JSON.stringify(value));
});

test.run();
