// Which parent a watch event concerns, as data: a child's controller owner, and related
// objects matched against the requests parents made.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { RelatedRequest } from "../../../../runtime/controller.ts";
import { builtinKinds, kind } from "../../../../runtime/kube/kinds.ts";
import { type KubeObject, objectKey, type OwnerReference } from "../../../../runtime/kube/objects.ts";
import { relatedMatches } from "../../../../runtime/reconcile/observe.ts";
import { labelsSelected } from "../../../../runtime/kube/labels.ts";
import { ownerKey, RelatedIndex } from "../../../../runtime/reconcile/triggers.ts";

const Widget = kind("example.com/v1", "Widget", "widgets");
const ClusterWidget = kind("example.com/v1", "ClusterWidget", "clusterwidgets", false);
const child = (owners: OwnerReference[], namespace = "ns"): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "c", namespace, ownerReferences: owners },
});
const owner = (apiVersion: string, kindName: string, controller = true): OwnerReference => ({
  apiVersion,
  kind: kindName,
  name: "w",
  uid: "u",
  controller,
});

const ownerTable: Array<[string, Kind, KubeObject, string | undefined]> = [
  ["the controller owner of the parent kind", Widget, child([owner("example.com/v1", "Widget")]), "ns/w"],
  ["another version of the same group still counts", Widget, child([owner("example.com/v2", "Widget")]), "ns/w"],
  [
    "an owner that is not the controller does not",
    Widget,
    child([owner("example.com/v1", "Widget", false)]),
    undefined,
  ],
  ["a same-named kind of another group does not", Widget, child([owner("other.io/v1", "Widget")]), undefined],
  ["no owner", Widget, child([]), undefined],
  [
    "a cluster-scoped parent is keyed by name alone",
    ClusterWidget,
    child([owner("example.com/v1", "ClusterWidget")]),
    "w",
  ],
];
type Kind = typeof Widget;
for (const [name, parent, object, expected] of ownerTable) {
  test(`ownerKey: ${name}`, () => assert.is(ownerKey(parent, object), expected));
}

const secret = (name: string, namespace: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace, labels },
});
const byName: RelatedRequest = { apiVersion: "v1", kind: "Secret", names: ["tls"] };
const byLabels: RelatedRequest = { apiVersion: "v1", kind: "Secret", matchLabels: { app: "db" } };
const elsewhere: RelatedRequest = { apiVersion: "v1", kind: "Secret", namespace: "shared", names: ["tls"] };
const relatedTable: Array<[string, RelatedRequest, KubeObject, boolean]> = [
  ["a named object in the parent's namespace", byName, secret("tls", "ns"), true],
  ["the same name in another namespace", byName, secret("tls", "other"), false],
  ["another name", byName, secret("other", "ns"), false],
  ["labels that match", byLabels, secret("x", "ns", { app: "db", tier: "1" }), true],
  ["labels that do not", byLabels, secret("x", "ns", { app: "web" }), false],
  ["a request naming its own namespace", elsewhere, secret("tls", "shared"), true],
  ["a kind the request does not name", { ...byName, kind: "ConfigMap" }, secret("tls", "ns"), false],
];
for (const [name, request, object, expected] of relatedTable) {
  test(`relatedMatches: ${name}`, () =>
    assert.is(relatedMatches(request, builtinKinds.Secret, object, "ns"), expected));
}

test("an empty selector matches every object", () => assert.ok(labelsSelected({}, secret("x", "ns").metadata.labels)));

test("label selectors: matchLabels and every matchExpressions operator, all of which must hold", () => {
  const labels = { app: "web", tier: "front" };
  const table: Array<[Parameters<typeof labelsSelected>[0], boolean]> = [
    [{ matchLabels: { app: "web" } }, true],
    [{ matchLabels: { app: "db" } }, false],
    [{ matchExpressions: [{ key: "tier", operator: "In", values: ["front", "back"] }] }, true],
    [{ matchExpressions: [{ key: "tier", operator: "In", values: ["back"] }] }, false],
    [{ matchExpressions: [{ key: "zone", operator: "NotIn", values: ["a"] }] }, true],
    [{ matchExpressions: [{ key: "app", operator: "NotIn", values: ["web"] }] }, false],
    [{ matchExpressions: [{ key: "app", operator: "Exists" }] }, true],
    [{ matchExpressions: [{ key: "zone", operator: "Exists" }] }, false],
    [{ matchExpressions: [{ key: "zone", operator: "DoesNotExist" }] }, true],
    [{ matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "DoesNotExist" }] }, false],
  ];
  for (const [selector, expected] of table) {
    assert.is(labelsSelected(selector, labels), expected, JSON.stringify(selector));
  }
  assert.ok(relatedMatches(
    {
      apiVersion: "v1",
      kind: "Secret",
      matchExpressions: [{ key: "app", operator: "Exists" }],
    },
    { apiVersion: "v1", kind: "Secret", plural: "secrets", namespaced: true },
    { ...secret("x", "ns"), metadata: { ...secret("x", "ns").metadata, labels: { app: "any" } } },
    "ns",
  ));
});

test("the related index finds exactly the parents a check of every parent's requests finds", () => {
  const StorageClass = builtinKinds.StorageClass;
  const requests: Record<string, RelatedRequest[]> = {
    "ns/by-name": [byName],
    "ns/by-labels": [byLabels],
    "other/by-labels": [byLabels],
    "ns/elsewhere": [elsewhere],
    "ns/everywhere": [{ ...byLabels, allNamespaces: true }],
    "ns/by-namespace-selector": [{ ...byName, namespaceSelector: { matchLabels: { team: "a" } } }],
    "ns/two": [{ ...byName, names: ["a", "b"] }, { apiVersion: "v1", kind: "ConfigMap", names: ["tls"] }],
    "ns/class": [{ apiVersion: StorageClass.apiVersion, kind: StorageClass.kind, names: ["fast"] }],
    "cluster-parent": [byName, { apiVersion: StorageClass.apiVersion, kind: StorageClass.kind, names: ["fast"] }],
    "ns/nothing": [],
  };
  const index = new RelatedIndex();
  for (const [key, asked] of Object.entries(requests)) index.set(key, asked);
  const objects: Array<[typeof builtinKinds.Secret, KubeObject]> = [
    [builtinKinds.Secret, secret("tls", "ns")],
    [builtinKinds.Secret, secret("tls", "other")],
    [builtinKinds.Secret, secret("tls", "shared")],
    [builtinKinds.Secret, secret("a", "ns")],
    [builtinKinds.Secret, secret("b", "other")],
    [builtinKinds.Secret, secret("x", "ns", { app: "db" })],
    [builtinKinds.Secret, secret("x", "other", { app: "db" })],
    [builtinKinds.Secret, secret("x", "third", { app: "db" })],
    [builtinKinds.ConfigMap, { ...secret("tls", "ns"), kind: "ConfigMap" }],
    [StorageClass, { apiVersion: StorageClass.apiVersion, kind: StorageClass.kind, metadata: { name: "fast" } }],
    [StorageClass, { apiVersion: StorageClass.apiVersion, kind: StorageClass.kind, metadata: { name: "slow" } }],
  ];
  const everyParent = (kind: typeof builtinKinds.Secret, versions: KubeObject[]) =>
    Object.entries(requests).filter(([key, asked]) => {
      const namespace = key.includes("/") ? key.split("/")[0] : undefined;
      return versions.some((object) => asked.some((request) => relatedMatches(request, kind, object, namespace)));
    }).map(([key]) => key).sort();
  let found = 0;
  for (const [kind, object] of objects) {
    const expected = everyParent(kind, [object]);
    found += expected.length;
    assert.equal(index.matching(kind, [object]).sort(), expected, `${object.kind} ${objectKey(object)}`);
  }
  assert.ok(found >= 12, `the table has matches to find (${found})`);
  // As it was and as it is: labels that no longer match still concern the parents they matched.
  const relabelled = [secret("x", "ns", { app: "web" }), secret("x", "ns", { app: "db" })];
  assert.equal(index.matching(builtinKinds.Secret, relabelled).sort(), everyParent(builtinKinds.Secret, relabelled));
  // A parent's new requests replace its old ones, and a forgotten parent matches nothing.
  index.set("ns/by-name", [{ ...byName, names: ["renamed"] }]);
  index.delete("ns/by-labels");
  assert.equal(index.matching(builtinKinds.Secret, [secret("tls", "ns")]).sort(), ["ns/by-namespace-selector"]);
  assert.equal(index.matching(builtinKinds.Secret, [secret("renamed", "ns")]), ["ns/by-name"]);
  assert.equal(index.matching(builtinKinds.Secret, [secret("x", "ns", { app: "db" })]).sort(), ["ns/everywhere"]);
});

test.run();
