// Metacontroller's hook versions on the wire: how a request to a remote hook keys its children
// (a decorator's attachments) and related objects in v1, in v2 and in the runtime's own form,
// for namespaced and cluster-scoped parents, composite and decorator; a v1 customize hook kept
// to its parent's namespace; and answers, whose shape no version changes, read strictly (no
// unknown field, no repeated key) for v2 or when asked.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  controller,
  type ObjectsByKind,
  type RelatedRequest,
  type RemoteHook,
  type SyncRequest,
} from "../../../../runtime/controller.ts";
import { builtinKinds, kind } from "../../../../runtime/kube/kinds.ts";
import { type KubeObject, objectKey } from "../../../../runtime/kube/objects.ts";
import { callRelated, callSync } from "../../../../runtime/reconcile/call.ts";
import { relatedMatches, relatedObjects } from "../../../../runtime/reconcile/observe.ts";
import type { Informers } from "../../../../runtime/cache/informers.ts";
import { failureReasonOf } from "../../../../runtime/reconcile/failures.ts";
import { relatedRequestsOf } from "../../../../runtime/webhook/customize.ts";
import { remote } from "../../../../runtime/webhook/remote.ts";
import { keyedFor, requestOfBody, syncAnswer, syncBody } from "../../../../runtime/webhook/wire.ts";

const object = (apiVersion: string, kindName: string, name: string, namespace?: string): KubeObject => ({
  apiVersion,
  kind: kindName,
  metadata: { name, ...(namespace ? { namespace } : {}), uid: `${namespace ?? ""}-${name}` },
});
const configMap = (name: string, namespace: string) => object("v1", "ConfigMap", name, namespace);
const namespaceObject = (name: string) => object("v1", "Namespace", name);
const clusterRole = (name: string) => object("rbac.authorization.k8s.io/v1", "ClusterRole", name);

// A namespaced parent in "a": its children are in "a"; the related objects it asked for are in
// "a", in "b", and cluster-scoped. The in-process request keys them as the runtime does.
const inA = { cm: configMap("cm-1", "a"), local: configMap("local", "a"), shared: configMap("shared", "b") };
const namespacedParent = object("example.test/v1", "Widget", "w", "a");
const namespacedRequest: SyncRequest = {
  parent: namespacedParent,
  children: { "ConfigMap.v1": { "cm-1": inA.cm } },
  related: {
    "ConfigMap.v1": { "a/local": inA.local, "b/shared": inA.shared },
    "Namespace.v1": { a: namespaceObject("a") },
  },
  finalizing: false,
};
// A cluster-scoped parent: children in two namespaces and one cluster-scoped; related likewise.
const spread = { x: configMap("x", "a"), y: configMap("y", "b"), z: configMap("z", "c") };
const clusterParent = object("example.test/v1", "Fleet", "f");
const clusterRequest: SyncRequest = {
  parent: clusterParent,
  children: {
    // Namespaced children of a cluster-scoped parent may share a name: keyed "namespace/name".
    "ConfigMap.v1": { "a/x": spread.x, "b/y": spread.y },
    "ClusterRole.rbac.authorization.k8s.io/v1": { r: clusterRole("r") },
  },
  related: { "ConfigMap.v1": { "c/z": spread.z }, "Namespace.v1": { a: namespaceObject("a") } },
  finalizing: false,
};

type Keys = Record<string, string[]>;
const keysOf = (groups: unknown): Keys =>
  Object.fromEntries(Object.entries(groups as ObjectsByKind).map(([group, byKey]) => [group, Object.keys(byKey)]));

const versions: Array<[
  string,
  RemoteHook["version"],
  SyncRequest,
  { children: Keys; related: Keys },
]> = [
  ["namespaced parent, v1: names, and only its own namespace", "v1", namespacedRequest, {
    children: { "ConfigMap.v1": ["cm-1"] },
    related: { "ConfigMap.v1": ["local"], "Namespace.v1": [] },
  }],
  ["namespaced parent, v2: namespace/name, every namespace, cluster-scoped by name", "v2", namespacedRequest, {
    children: { "ConfigMap.v1": ["a/cm-1"] },
    related: { "ConfigMap.v1": ["a/local", "b/shared"], "Namespace.v1": ["a"] },
  }],
  ["namespaced parent, the runtime's own keys", undefined, namespacedRequest, {
    children: { "ConfigMap.v1": ["cm-1"] },
    related: { "ConfigMap.v1": ["a/local", "b/shared"], "Namespace.v1": ["a"] },
  }],
  ["cluster-scoped parent, v1: namespace/name for namespaced objects, name for cluster-scoped", "v1", clusterRequest, {
    children: { "ConfigMap.v1": ["a/x", "b/y"], "ClusterRole.rbac.authorization.k8s.io/v1": ["r"] },
    related: { "ConfigMap.v1": ["c/z"], "Namespace.v1": ["a"] },
  }],
  ["cluster-scoped parent, v2: the same keys as v1", "v2", clusterRequest, {
    children: { "ConfigMap.v1": ["a/x", "b/y"], "ClusterRole.rbac.authorization.k8s.io/v1": ["r"] },
    related: { "ConfigMap.v1": ["c/z"], "Namespace.v1": ["a"] },
  }],
  ["cluster-scoped parent, the runtime's own keys: namespaced children by namespace/name", undefined, clusterRequest, {
    children: { "ConfigMap.v1": ["a/x", "b/y"], "ClusterRole.rbac.authorization.k8s.io/v1": ["r"] },
    related: { "ConfigMap.v1": ["c/z"], "Namespace.v1": ["a"] },
  }],
];

const Widget = kind("example.test/v1", "Widget", "widgets");
const definition = controller({
  name: "widgets",
  parent: Widget,
  children: [builtinKinds.ConfigMap],
  sync: () => ({}),
});

for (const [name, version, request, expected] of versions) {
  test(`composite request, ${name}`, () => {
    const body = syncBody(definition, remote("http://hooks/sync", version ? { version } : {}), request);
    assert.equal(keysOf(body.children), expected.children);
    assert.equal(keysOf(body.related), expected.related);
    assert.is(body.parent, request.parent);
    assert.equal(body.controller, { metadata: { name: "widgets" } });
    // Each key names its own object.
    for (const group of Object.values(body.children as ObjectsByKind)) {
      for (const [key, child] of Object.entries(group)) assert.ok(key.endsWith(child.metadata.name));
    }
  });
  test(`decorator request, ${name}`, () => {
    const hook = { ...remote("http://hooks/sync", version ? { version } : {}), protocol: "decorator" as const };
    const body = syncBody(definition, hook, { ...request, finalizing: true });
    assert.equal(Object.keys(body).sort(), ["attachments", "controller", "finalizing", "object", "related"]);
    assert.is(body.object, request.parent);
    assert.is(body.finalizing, true);
    assert.equal(keysOf(body.attachments), expected.children);
    assert.equal(keysOf(body.related), expected.related);
  });
}

test("the hook server reads a body of any version back into the runtime's own keys", () => {
  for (const request of [namespacedRequest, clusterRequest]) {
    const parentKind = request === namespacedRequest ? Widget : kind("example.test/v1", "Fleet", "fleets", false);
    const served = controller({
      name: "served",
      parent: parentKind,
      children: [builtinKinds.ConfigMap],
      sync: () => ({}),
    });
    for (const version of ["v1", "v2", undefined] as const) {
      const body = syncBody(served, remote("http://hooks/sync", version ? { version } : {}), request);
      const read = requestOfBody(JSON.parse(JSON.stringify(body)), served, "sync");
      const expected = keyedFor(version, request.parent, request.related);
      assert.equal(keysOf(read.children), keysOf(request.children), `${version} children`);
      // What a v1 body left out stays out; the rest is keyed "namespace/name".
      assert.equal(
        keysOf(read.related),
        Object.fromEntries(
          Object.entries(expected).map(([group, byKey]) => [group, Object.values(byKey).map(objectKey)]),
        ),
        `${version} related`,
      );
    }
  }
});

test("the in-process request is left as it was", () => {
  const before = structuredClone(namespacedRequest);
  syncBody(definition, remote("http://hooks/sync", { version: "v2" }), namespacedRequest);
  assert.equal(namespacedRequest, before);
});

// Answers: the same fields in v1 and v2; what differs is whether unknown fields are refused.
const answers: Array<[string, Parameters<typeof remote>[1], "composite" | "decorator", object, RegExp | undefined]> = [
  ["v1 reads loosely: an unknown field is ignored", { version: "v1" }, "composite", { statu: {} }, undefined],
  ["v2 refuses an unknown field", { version: "v2" }, "composite", { statu: {} }, /unknown field "statu"/],
  ["v2 takes every field the runtime reads", { version: "v2" }, "composite", {
    children: [],
    status: {},
    resyncAfterSeconds: 1,
    finalized: true,
    labels: {},
    annotations: {},
    actions: [],
  }, undefined],
  ["v2 refuses a composite field from a decorator", { version: "v2" }, "decorator", { children: [] }, /"children"/],
  ["v2 takes a decorator's attachments", { version: "v2" }, "decorator", { attachments: [] }, undefined],
  ["strict: false loosens v2", { version: "v2", strict: false }, "composite", { extra: 1 }, undefined],
  ["strict: true tightens v1", { version: "v1", strict: true }, "composite", { extra: 1 }, /unknown field "extra"/],
];
for (const [name, options, protocol, answer, refusal] of answers) {
  test(`answer: ${name}`, () => {
    const hook = { ...remote("http://hooks/sync", options), protocol };
    if (!refusal) {
      assert.not.throws(() => syncAnswer(hook, answer as Record<string, unknown>));
      return;
    }
    const error = (() => {
      try {
        syncAnswer(hook, answer as Record<string, unknown>);
      } catch (e) {
        return e as Error;
      }
    })();
    assert.is(failureReasonOf(error), "InvalidResponse");
    assert.match(error!.message, refusal);
  });
}

test("a v1 customize hook of a namespaced parent may ask only for its namespace; v2 for any", async () => {
  const rule = [{ apiVersion: "v1", resource: "configmaps", namespace: "b", names: ["shared"] }];
  const v1 = await relatedRequestsOf(rule, [builtinKinds.ConfigMap], undefined, { v1Namespace: "a" }).catch((e) => e);
  assert.match(
    (v1 as Error).message,
    /asks for namespace b, but a version v1 customize hook of a parent in namespace a/,
  );
  assert.equal(await relatedRequestsOf(rule, [builtinKinds.ConfigMap]), [
    { apiVersion: "v1", kind: "ConfigMap", namespace: "b", names: ["shared"] },
  ]);
  const cluster = [{ apiVersion: "v1", resource: "namespaces", names: ["a"] }];
  assert.equal(await relatedRequestsOf(cluster, [builtinKinds.Namespace], undefined, { v1Namespace: "a" }), [
    { apiVersion: "v1", kind: "Namespace", names: ["a"] },
  ], "a cluster-scoped kind has no namespace to differ");
});

test("v2 reads a rule without a namespace as every namespace, and a namespaceSelector as the namespaces it picks", async () => {
  const byLabels = [{ apiVersion: "v1", resource: "configmaps", labelSelector: { matchLabels: { app: "x" } } }];
  assert.equal(await relatedRequestsOf(byLabels, [builtinKinds.ConfigMap]), [
    { apiVersion: "v1", kind: "ConfigMap", allNamespaces: true, matchLabels: { app: "x" } },
  ]);
  assert.equal(await relatedRequestsOf(byLabels, [builtinKinds.ConfigMap], undefined, { v1Namespace: "a" }), [
    { apiVersion: "v1", kind: "ConfigMap", matchLabels: { app: "x" } },
  ], "v1 of a namespaced parent: its own namespace");
  const byName = [{ apiVersion: "v1", resource: "configmaps", names: ["shared"] }];
  assert.equal(await relatedRequestsOf(byName, [builtinKinds.ConfigMap]), [
    { apiVersion: "v1", kind: "ConfigMap", allNamespaces: true, names: ["shared"] },
  ]);
  const selected = [{ ...byLabels[0]!, namespaceSelector: { matchLabels: { team: "blue" } } }];
  assert.equal(await relatedRequestsOf(selected, [builtinKinds.ConfigMap]), [
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      namespaceSelector: { matchLabels: { team: "blue" } },
      matchLabels: { app: "x" },
    },
  ]);
  const refused: Array<[unknown[], typeof builtinKinds.ConfigMap, string | undefined, RegExp]> = [
    [
      [{ ...byName[0]!, namespaceSelector: {} }],
      builtinKinds.ConfigMap,
      undefined,
      /both names and a namespaceSelector/,
    ],
    [
      [{ ...selected[0]!, namespace: "b" }],
      builtinKinds.ConfigMap,
      undefined,
      /both a namespace and a namespaceSelector/,
    ],
    [selected, builtinKinds.ConfigMap, "a", /version v1 customize hook of a namespaced parent may not use/],
    [
      [{ apiVersion: "v1", resource: "namespaces", namespaceSelector: {} }],
      builtinKinds.Namespace,
      undefined,
      /namespaces are not namespaced/,
    ],
  ];
  for (const [rules, kindOf, v1Namespace, message] of refused) {
    const error = await relatedRequestsOf(rules as never, [kindOf], undefined, v1Namespace ? { v1Namespace } : {})
      .catch((e: Error) => e);
    assert.instance(error, Error);
    assert.match((error as Error).message, message);
  }
});

test("a remote hook's body carries the definition's hookController as controller, else its name", () => {
  const definition = controller({
    name: "widgets",
    parent: kind("example.test/v1", "Widget", "widgets"),
    children: [],
    sync: () => ({}),
  });
  const hook = remote("http://hooks/sync");
  assert.equal(syncBody(definition, hook, namespacedRequest).controller, { metadata: { name: "widgets" } });
  const resource = {
    apiVersion: "metacontroller.k8s.io/v1alpha1",
    kind: "CompositeController",
    metadata: { name: "c" },
  };
  assert.equal(syncBody({ ...definition, hookController: resource }, hook, namespacedRequest).controller, resource);
});

test("related rules' selectors keep their matchExpressions; a malformed selector is refused naming what is wrong", async () => {
  const rule = {
    apiVersion: "v1",
    resource: "configmaps",
    labelSelector: { matchLabels: { app: "x" }, matchExpressions: [{ key: "tier", operator: "In", values: ["a"] }] },
    namespaceSelector: { matchExpressions: [{ key: "team", operator: "Exists" }] },
  };
  assert.equal(await relatedRequestsOf([rule] as never, [builtinKinds.ConfigMap]), [{
    apiVersion: "v1",
    kind: "ConfigMap",
    namespaceSelector: { matchExpressions: [{ key: "team", operator: "Exists" }] },
    matchLabels: { app: "x" },
    matchExpressions: [{ key: "tier", operator: "In", values: ["a"] }],
  }]);
  const bad: Array<[unknown, RegExp]> = [
    [
      { ...rule, labelSelector: { matchExpressions: [{ key: "tier", operator: "In" }] } },
      /labelSelector.*\(In\) without values/,
    ],
    [{ ...rule, namespaceSelector: { matchExpressions: [{ key: "t", operator: "Near" }] } }, /operator Near/],
    [{ ...rule, labelSelector: { matchLabels: { app: 1 } } }, /matchLabels.app that is not a string/],
  ];
  for (const [resource, message] of bad) {
    const error = await relatedRequestsOf([resource] as never, [builtinKinds.ConfigMap]).catch((e: Error) => e);
    assert.instance(error, Error);
    assert.match((error as Error).message, message);
  }
});

test("related objects: every namespace, or the namespaces whose labels the selector matches", () => {
  const labelled = (name: string, namespace: string, labels: Record<string, string>) => ({
    ...configMap(name, namespace),
    metadata: { ...configMap(name, namespace).metadata, labels },
  });
  const maps = [
    labelled("m1", "a", { app: "x" }),
    labelled("m2", "blue-1", { app: "x" }),
    labelled("m3", "red", { app: "x" }),
    labelled("m4", "blue-1", { app: "y" }),
  ];
  const namespaces = [
    { ...namespaceObject("a"), metadata: { name: "a", labels: {} } },
    { ...namespaceObject("blue-1"), metadata: { name: "blue-1", labels: { team: "blue" } } },
    { ...namespaceObject("red"), metadata: { name: "red", labels: { team: "red" } } },
  ];
  let namespacesSynced = true;
  const cache = (objects: KubeObject[], synced = () => true) => ({
    get hasSynced() {
      return synced();
    },
    get: (key: string) => objects.find((o) => objectKey(o) === key),
    list: (namespace?: string) => objects.filter((o) => namespace === undefined || o.metadata.namespace === namespace),
  });
  const informers = {
    for: (k: { kind: string }) =>
      k.kind === "Namespace" ? cache(namespaces as KubeObject[], () => namespacesSynced) : cache(maps),
  } as unknown as Informers;
  const kinds = new Map([["ConfigMap.v1", builtinKinds.ConfigMap]]);
  const parentInA = object("example.test/v1", "Widget", "w", "a");
  const names = (requests: RelatedRequest[]) =>
    Object.keys(relatedObjects(parentInA, requests, kinds, informers)["ConfigMap.v1"]!).sort();
  const x = { apiVersion: "v1", kind: "ConfigMap", matchLabels: { app: "x" } };
  assert.equal(names([x]), ["a/m1"], "the parent's namespace by default");
  assert.equal(names([{ ...x, allNamespaces: true }]), ["a/m1", "blue-1/m2", "red/m3"]);
  assert.equal(names([{ ...x, namespaceSelector: { matchLabels: { team: "blue" } } }]), ["blue-1/m2"]);
  assert.equal(names([{ apiVersion: "v1", kind: "ConfigMap", allNamespaces: true, names: ["m3"] }]), ["red/m3"]);
  // Triggers: a change anywhere reaches a parent asking for every namespace.
  assert.ok(relatedMatches({ ...x, allNamespaces: true }, builtinKinds.ConfigMap, maps[2]!, "a"));
  assert.not.ok(relatedMatches(x, builtinKinds.ConfigMap, maps[2]!, "a"));
  namespacesSynced = false;
  assert.throws(
    () => names([{ ...x, namespaceSelector: { matchLabels: { team: "blue" } } }]),
    /Namespace cache has not synced yet/,
  );
});

// Over HTTP: the version reaches the body through call.ts, and strict answers are read whole.
let answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end("{}");
let body: Record<string, unknown> = {};
const server = createServer((req, res) => {
  let text = "";
  req.on("data", (chunk) => (text += chunk));
  req.on("end", () => {
    body = JSON.parse(text);
    answer(req, res);
  });
});
let url = "";
test.before(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
test.after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const served = (version: "v1" | "v2", strict?: boolean) =>
  controller({
    name: "widgets",
    parent: Widget,
    children: [builtinKinds.ConfigMap],
    related: { kinds: [builtinKinds.ConfigMap], select: remote(`${url}/customize`, { version }) },
    sync: remote(`${url}/sync`, { version, ...(strict === undefined ? {} : { strict }) }),
  });

test("a v2 hook is sent v2 keys by callSync", async () => {
  answer = (_req, res) => res.end(JSON.stringify({ status: { seen: true } }));
  assert.equal(await callSync(served("v2"), false, namespacedRequest), { status: { seen: true } });
  assert.equal(keysOf(body.children), { "ConfigMap.v1": ["a/cm-1"] });
  assert.equal(keysOf(body.related), { "ConfigMap.v1": ["a/local", "b/shared"], "Namespace.v1": ["a"] });
});

test("a strict hook's answer with a key twice in one object is refused, naming where", async () => {
  answer = (_req, res) => res.end('{"status": {"phase": "a", "nested": {"phase": 1}, "phase": "b"}}');
  const error = await callSync(served("v2"), false, namespacedRequest).catch((e: Error) => e);
  assert.is(failureReasonOf(error), "InvalidResponse");
  assert.match((error as Error).message, /the key status.phase twice/);
  assert.equal(
    await callSync(served("v1"), false, namespacedRequest),
    { status: { phase: "b", nested: { phase: 1 } } },
    "a loose hook takes the last, as JSON.parse does",
  );
});

test("a v1 customize hook asking for another namespace fails; a v2 one's unknown field too", async () => {
  answer = (_req, res) =>
    res.end(JSON.stringify({ relatedResources: [{ apiVersion: "v1", resource: "configmaps", namespace: "b" }] }));
  const v1 = await callRelated(served("v1"), namespacedParent).catch((e: Error) => e);
  assert.is(failureReasonOf(v1), "InvalidResponse");
  assert.match((v1 as Error).message, /version v1 customize hook/);
  assert.equal(await callRelated(served("v2"), namespacedParent), [
    { apiVersion: "v1", kind: "ConfigMap", namespace: "b", matchLabels: {} },
  ]);
  answer = (_req, res) => res.end(JSON.stringify({ relatedResource: [] }));
  const typo = await callRelated(served("v2"), namespacedParent).catch((e: Error) => e);
  assert.match((typo as Error).message, /unknown field "relatedResource"/);
});

test.run();
