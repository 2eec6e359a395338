// Which parent a watch event concerns, as data: a child's controller owner, and related
// objects matched against the requests parents made.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { RelatedRequest } from "../../../../runtime/controller.ts";
import { builtinKinds, kind } from "../../../../runtime/kube/kinds.ts";
import type { KubeObject, OwnerReference } from "../../../../runtime/kube/objects.ts";
import { labelsMatch, relatedMatches } from "../../../../runtime/reconcile/observe.ts";
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

test("an empty selector matches every object", () => assert.ok(labelsMatch({}, secret("x", "ns"))));

test.run();
