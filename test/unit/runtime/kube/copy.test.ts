// copyJson: what each function receives in place of the cached object, as data.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { copyJson } from "../../../../runtime/kube/objects.ts";

const cached = () =>
  JSON.parse(
    '{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"s","labels":{"a":"b"},' +
      '"ownerReferences":[{"kind":"Partition","name":"p","controller":true}]},' +
      '"spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"c","args":["--x",null,1.5,true]}]}}},' +
      '"status":{"__proto__":{"polluted":true},"readyReplicas":2}}',
  );

test("a copy equals the original and shares no object or array with it", () => {
  const original = cached();
  const copy = copyJson(original);
  assert.equal(copy, original);
  const walk = (a: unknown, b: unknown, path: string) => {
    if (typeof a !== "object" || a === null) return;
    assert.ok(a !== b, `${path} is shared`);
    for (const key of Object.keys(a)) walk((a as any)[key], (b as any)[key], `${path}.${key}`);
  };
  walk(copy, original, "object");
  copy.metadata.labels.a = "changed";
  copy.spec.template.spec.containers[0].args.push("more");
  assert.is(original.metadata.labels.a, "b");
  assert.is(original.spec.template.spec.containers[0].args.length, 4);
});

test("a __proto__ key stays data in the copy, as JSON.parse left it, and sets no prototype", () => {
  const copy = copyJson(cached());
  assert.is(Object.getPrototypeOf(copy.status), Object.prototype);
  assert.is(copy.status.polluted, undefined);
  assert.equal(Object.keys(copy.status), ["__proto__", "readyReplicas"]);
  assert.equal(Object.getOwnPropertyDescriptor(copy.status, "__proto__")?.value, { polluted: true });
  assert.is(({} as { polluted?: boolean }).polluted, undefined);
});

test("primitives and an empty request copy as themselves", () => {
  for (const value of [null, undefined, 0, "", "text", false]) assert.is(copyJson(value), value);
  assert.equal(copyJson({ parent: {}, children: {}, related: {} }), { parent: {}, children: {}, related: {} });
});

test.run();
