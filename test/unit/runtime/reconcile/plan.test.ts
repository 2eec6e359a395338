// The child plan as data: desired and observed children in, applies, deletes and taken names out.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { DesiredObject, ObjectsByKind } from "../../../../runtime/controller.ts";
import { builtinKinds, kindKey } from "../../../../runtime/kube/kinds.ts";
import type { KubeObject } from "../../../../runtime/kube/objects.ts";
import {
  childName,
  dryRunVerdict,
  isSubset,
  managedByLabel,
  planChildren,
  type PlanInput,
  sameObject,
  stampChild,
  summarize,
  updatedCondition,
} from "../../../../runtime/reconcile/plan.ts";

const parent: KubeObject = {
  apiVersion: "example.com/v1",
  kind: "Widget",
  metadata: { name: "w", namespace: "ns", uid: "parent-uid" },
};
const childKinds = new Map([builtinKinds.ConfigMap, builtinKinds.Service].map((kind) => [kindKey(kind), kind]));
const configMap = (name: string, data: Record<string, string> = {}): DesiredObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "ns" },
  data,
});
/** What the API server would hold after applying `desired` (plus fields the server adds). */
const stored = (desired: DesiredObject, extra: Record<string, unknown> = {}): KubeObject => ({
  ...stampChild(desired, parent, "widgets"),
  metadata: {
    ...stampChild(desired, parent, "widgets").metadata,
    uid: `uid-${desired.metadata.name}`,
    resourceVersion: "7",
  },
  ...extra,
});
const observedOf = (...objects: KubeObject[]): ObjectsByKind => {
  const observed: ObjectsByKind = { "ConfigMap.v1": {}, "Service.v1": {} };
  for (const object of objects) observed[kindKey(object)]![object.metadata.name] = object;
  return observed;
};
const plan = (overrides: Partial<PlanInput>) =>
  planChildren({
    parent,
    controllerName: "widgets",
    childKinds,
    desired: [],
    observed: observedOf(),
    lookup: () => undefined,
    ...overrides,
  });
const names = (writes: Array<{ object: KubeObject }>) =>
  writes.map((write) => `${write.object.kind}/${write.object.metadata.name}`);

test("a child is stamped with the controller owner reference and the managed-by label, keeping its own", () => {
  const child = stampChild({ ...configMap("a"), metadata: { name: "a", labels: { app: "x" } } }, parent, "widgets");
  assert.equal(child.metadata.labels, { app: "x", [managedByLabel]: "widgets" });
  assert.equal(child.metadata.ownerReferences, [
    {
      apiVersion: "example.com/v1",
      kind: "Widget",
      name: "w",
      uid: "parent-uid",
      controller: true,
      blockOwnerDeletion: true,
    },
  ]);
});

const subsetTable: Array<[string, unknown, unknown, boolean]> = [
  ["equal scalars", 1, 1, true],
  ["different scalars", 1, 2, false],
  ["a field the server added is ignored", { a: 1 }, { a: 1, b: 2 }, true],
  ["a missing field differs", { a: 1, b: 2 }, { a: 1 }, false],
  ["undefined fields are ignored", { a: 1, b: undefined }, { a: 1 }, true],
  ["lists compare whole", { l: [1, 2] }, { l: [1, 2, 3] }, false],
  ["list items compare as subsets", { l: [{ a: 1 }] }, { l: [{ a: 1, b: 2 }] }, true],
  ["an object is not a list", { l: {} }, { l: [] }, false],
  ["null is only null", null, {}, false],
];
for (const [name, desired, actual, expected] of subsetTable) {
  test(`isSubset: ${name}`, () => assert.is(isSubset(desired, actual), expected));
}

test("nothing observed: every desired child is created", () => {
  const result = plan({ desired: [configMap("a"), configMap("b")] });
  assert.equal(names(result.applies), ["ConfigMap/a", "ConfigMap/b"]);
  assert.equal(result.applies.map((apply) => apply.creates), [true, true]);
  assert.equal(result.deletes, []);
  assert.equal(result.taken, []);
});

test("a child that already has every field is not written; one that differs is applied as an update", () => {
  const same = configMap("same", { k: "v" });
  const changed = configMap("changed", { k: "new" });
  const result = plan({
    desired: [same, changed],
    observed: observedOf(stored(same), stored(configMap("changed", { k: "old" }))),
  });
  assert.equal(names(result.applies), ["ConfigMap/changed"]);
  assert.is(result.applies[0]!.creates, false);
});

test("a controlled child the function leaves out is deleted, in any declared kind", () => {
  const service: DesiredObject = { apiVersion: "v1", kind: "Service", metadata: { name: "gone", namespace: "ns" } };
  const result = plan({
    desired: [configMap("kept")],
    observed: observedOf(stored(configMap("kept")), stored(configMap("old")), stored(service)),
  });
  assert.equal(names(result.applies), []);
  assert.equal(names(result.deletes), ["ConfigMap/old", "Service/gone"]);
  assert.is(result.deletes[1]!.kind, builtinKinds.Service);
});

test("a name held by another controller's object is refused with a message saying what to fix", () => {
  const holder: KubeObject = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: "a",
      namespace: "ns",
      ownerReferences: [{ apiVersion: "apps/v1", kind: "StatefulSet", name: "db", uid: "other", controller: true }],
    },
  };
  const result = plan({
    desired: [configMap("a"), configMap("b")],
    lookup: (_kind, key) => (key === "ns/a" ? holder : undefined),
  });
  assert.equal(names(result.applies), ["ConfigMap/b"]);
  assert.equal(result.taken, [
    {
      childKey: "ConfigMap.v1/ns/a",
      message:
        "ConfigMap a already exists and is controlled by StatefulSet db; rename or delete one of them (Widget w will not take it over)",
    },
  ]);
});

test("an object with no controller, or controlled by this parent, is adopted by the apply", () => {
  const orphan: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "ns" } };
  const mine: KubeObject = {
    ...orphan,
    metadata: {
      name: "b",
      namespace: "ns",
      ownerReferences: [{
        apiVersion: "example.com/v1",
        kind: "Widget",
        name: "w",
        uid: "parent-uid",
        controller: true,
      }],
    },
  };
  const found: Record<string, KubeObject> = { "ns/a": orphan, "ns/b": mine };
  const result = plan({ desired: [configMap("a"), configMap("b")], lookup: (_kind, key) => found[key] });
  assert.equal(names(result.applies), ["ConfigMap/a", "ConfigMap/b"]);
  assert.equal(result.taken, []);
});

test("update strategies: InPlace applies, Recreate deletes to create anew, OnDelete leaves a differing child", () => {
  const old = stored(configMap("a", { k: "old" }));
  const desired = [configMap("a", { k: "new" }), configMap("b")];
  const byMethod = (method: "InPlace" | "Recreate" | "OnDelete") =>
    plan({ desired, observed: observedOf(old), updateStrategy: { "ConfigMap.v1": method } });
  assert.equal(names(byMethod("InPlace").applies), ["ConfigMap/a", "ConfigMap/b"]);
  assert.equal([names(byMethod("Recreate").applies), names(byMethod("Recreate").deletes)], [["ConfigMap/b"], [
    "ConfigMap/a",
  ]]);
  assert.equal([names(byMethod("OnDelete").applies), names(byMethod("OnDelete").deletes)], [["ConfigMap/b"], []]);
  const same = plan({
    desired: [configMap("a", { k: "old" })],
    observed: observedOf(old),
    updateStrategy: { "ConfigMap.v1": "Recreate" },
  });
  assert.equal([same.applies, same.deletes], [[], []], "an unchanged child is never recreated");
});

test("rolling updates: one differing child at a time, in answer order, once the changed ones pass their checks", () => {
  const ready = { status: { conditions: [{ type: "Ready", status: "True" }] } };
  const notReady = { status: { conditions: [{ type: "Ready", status: "False" }] } };
  const desired = [configMap("a", { k: "new" }), configMap("b", { k: "new" }), configMap("c", { k: "new" })];
  const checks = { conditions: [{ type: "Ready", status: "True" }] };
  const rolling = (method: "RollingInPlace" | "RollingRecreate", ...observed: KubeObject[]) =>
    plan({
      desired,
      observed: observedOf(...observed),
      updateStrategy: { "ConfigMap.v1": { method, statusChecks: checks } },
    });
  const old = (name: string, extra = ready) => stored(configMap(name, { k: "old" }), extra);
  const updated = (name: string, extra = ready) => stored(configMap(name, { k: "new" }), extra);

  // Nothing changed yet: the first differing child only.
  let step = rolling("RollingInPlace", old("a"), old("b"), old("c"));
  assert.equal([names(step.applies), names(step.deletes), step.waiting], [["ConfigMap/a"], [], []]);
  // a changed and Ready: b next.
  step = rolling("RollingInPlace", updated("a"), old("b"), old("c"));
  assert.equal(names(step.applies), ["ConfigMap/b"]);
  // a changed but not Ready: the rollout waits and says on what.
  step = rolling("RollingInPlace", updated("a", notReady), old("b"), old("c"));
  assert.equal([names(step.applies), step.waiting.map((w) => w.message)], [[], [
    "waiting for ConfigMap a to pass its status checks (Ready=True)",
  ]]);
  assert.equal(updatedCondition(step), {
    type: "Updated",
    status: "False",
    reason: "RolloutWaiting",
    message: "waiting for ConfigMap a to pass its status checks (Ready=True)",
  });
  // RollingRecreate deletes the one child.
  step = rolling("RollingRecreate", updated("a"), old("b"), old("c"));
  assert.equal([names(step.applies), names(step.deletes), step.rolling], [[], ["ConfigMap/b"], ["ConfigMap b"]]);
  assert.equal(
    [updatedCondition(step).reason, updatedCondition(step).message],
    ["RolloutProgressing", "updating ConfigMap b"],
  );
  step = rolling("RollingRecreate", updated("a"), updated("b"), updated("c"));
  assert.equal([step.deletes, step.rolling, updatedCondition(step).status], [[], [], "True"]);
  assert.is(updatedCondition(step).reason, "OnLatestRevision");
  // A missing child is created at once, and the others wait until it is there (and passes).
  step = rolling("RollingRecreate", old("a"), old("c"));
  assert.equal([names(step.applies), names(step.deletes), step.waiting.map((w) => w.message)], [
    ["ConfigMap/b"],
    [],
    ["waiting for ConfigMap b to be created"],
  ]);
  // Without checks, one per sync all the same.
  const unchecked = plan({
    desired,
    observed: observedOf(old("a"), old("b"), old("c")),
    updateStrategy: { "ConfigMap.v1": "RollingInPlace" },
  });
  assert.equal(names(unchecked.applies), ["ConfigMap/a"]);
});

test("summarize names five and counts the rest", () => {
  assert.is(summarize(["a", "b"]), "a, b");
  assert.is(summarize(["1", "2", "3", "4", "5", "6", "7"]), "1, 2, 3, 4, 5 and 2 more");
});

test("a cluster-scoped parent's namespaced children of one name in two namespaces are two children", () => {
  const fleet: KubeObject = { apiVersion: "example.com/v1", kind: "Fleet", metadata: { name: "f", uid: "fleet-uid" } };
  const copy = (namespace: string): DesiredObject => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "copy", namespace },
    data: { level: "3" },
  });
  const held = (namespace: string) => stampChild(copy(namespace), fleet, "fleets");
  assert.is(childName(fleet, held("a")), "a/copy");
  assert.is(childName(parent, stampChild(configMap("x"), parent, "widgets")), "x", "a namespaced parent's: by name");
  const result = planChildren({
    parent: fleet,
    controllerName: "fleets",
    childKinds,
    desired: [copy("b")],
    observed: { "ConfigMap.v1": { "a/copy": held("a"), "b/copy": held("b") }, "Service.v1": {} },
    lookup: () => undefined,
  });
  assert.equal(result.applies, [], "the one in b is as desired");
  assert.equal(result.deletes.map((d) => `${d.object.metadata.namespace}/${d.object.metadata.name}`), ["a/copy"]);
});

const readyCheck = { type: "Ready", status: "True" };
const ready = { status: { conditions: [readyCheck] } };
const notReady = { status: { conditions: [{ type: "Ready", status: "False" }] } };

test("children the server says an apply leaves as they are are not recreated, nor do they hold a rollout", () => {
  // What the server stores has a list item the function never gave (as a Pod's token volume).
  const withExtra = (name: string, data: Record<string, string>, extra = ready) => ({
    ...stored(configMap(name, data), extra),
    extraList: [{ name: "added-by-the-server" }],
  });
  const desired = ["a", "b"].map((name) => ({ ...configMap(name, { k: "v" }), extraList: [] }));
  const observed = observedOf(withExtra("a", { k: "v" }), withExtra("b", { k: "v" }));
  const recreate = (unchanged?: Set<string>) =>
    plan({ desired, observed, updateStrategy: { "ConfigMap.v1": "Recreate" }, unchanged });
  assert.equal(names(recreate().deletes), ["ConfigMap/a", "ConfigMap/b"], "by isSubset alone, both differ");
  assert.equal(recreate(new Set(["ConfigMap.v1/ns/a", "ConfigMap.v1/ns/b"])).deletes, []);
  // A rolling kind: a, already as wanted, is not yet Ready, so b waits.
  const rolling = plan({
    desired,
    observed: observedOf(withExtra("a", { k: "v" }, notReady), withExtra("b", { k: "old" })),
    updateStrategy: { "ConfigMap.v1": { method: "RollingRecreate", statusChecks: { conditions: [readyCheck] } } },
    unchanged: new Set(["ConfigMap.v1/ns/a"]),
  });
  assert.equal([names(rolling.deletes), rolling.waiting.length], [[], 1]);
});

test("sameObject ignores resourceVersion, generation, managedFields and status, and nothing else", () => {
  const a = stored(configMap("a", { k: "v" }), { status: { x: 1 } });
  const b = {
    ...a,
    metadata: { ...a.metadata, resourceVersion: "9", generation: 3, managedFields: [{ manager: "m" }] },
    status: { x: 2 },
  };
  assert.ok(sameObject(a, b));
  assert.not.ok(sameObject(a, { ...b, data: { k: "w" } } as KubeObject));
  assert.not.ok(sameObject(a, { ...b, metadata: { ...b.metadata, labels: { other: "1" } } }));
});

test("dryRunVerdict: a newer server copy is stale, not changed", () => {
  const cached = stored(configMap("a", { k: "v" }));
  cached.metadata.resourceVersion = "10";
  const at = (resourceVersion: string, data: Record<string, string>) =>
    ({ ...cached, data, metadata: { ...cached.metadata, resourceVersion } }) as KubeObject;
  assert.is(dryRunVerdict(at("10", { k: "v" }), cached), "unchanged");
  assert.is(dryRunVerdict(at("12", { k: "v" }), cached), "unchanged");
  assert.is(dryRunVerdict(at("10", { k: "w" }), cached), "changed");
  // The scheduler (or anyone) wrote after the cache's copy: what the apply would change is unknown.
  assert.is(dryRunVerdict(at("12", { k: "w" }), cached), "stale");
});

test.run();
