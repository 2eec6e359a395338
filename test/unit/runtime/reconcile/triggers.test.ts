// Which parent a watch event concerns, as data: a child's controller owner, and related
// objects matched against the requests parents made.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { RelatedRequest } from "../../../../runtime/controller.ts";
import { builtinKinds, kind } from "../../../../runtime/kube/kinds.ts";
import type { KubeObject, OwnerReference } from "../../../../runtime/kube/objects.ts";
import { relatedMatches } from "../../../../runtime/reconcile/observe.ts";
import { labelsSelected } from "../../../../runtime/kube/labels.ts";
import { ownerKey } from "../../../../runtime/reconcile/triggers.ts";

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

test.run();
