// The test kit as data: runSync fails as the runtime would, stored() looks like what the API
// server holds, and converge() reaches a fixed point or says what kept changing.
import type { V1Deployment, V1Service } from "@kubernetes/client-node";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  builtinKinds,
  controller,
  customKind,
  type KubeObject,
  type ObjectOf,
  objectOf,
} from "../../../../runtime/mod.ts";
import { Type } from "../../../../runtime/schema.ts";
import {
  byKind,
  converge,
  FunctionError,
  InvalidParentError,
  InvalidResponseError,
  runSync,
  stored,
} from "../../../../runtime/testing.ts";

const Counter = customKind({
  group: "kit.example.com",
  version: "v1",
  kind: "Counter",
  spec: Type.Object({ target: Type.Integer({ minimum: 0 }), mode: Type.Optional(Type.String()) }),
  status: Type.Object({ seen: Type.Optional(Type.Integer()) }),
});

/** Adds one ConfigMap per sync until there are `target`: a multi-step controller. */
const counters = controller({
  name: "counters",
  parent: Counter,
  children: [builtinKinds.ConfigMap],
  sync({ parent, children }) {
    if (parent.spec.mode === "throw") throw new Error("asked to throw");
    if (parent.spec.mode === "async") return Promise.resolve({}) as never;
    if (parent.spec.mode === "invalid") {
      return { children: [{ apiVersion: "v1", kind: "Secret", metadata: { name: "x" } }] };
    }
    if (parent.spec.mode === "flap") return { status: { seen: Math.random() } };
    const existing = Object.keys(children["ConfigMap.v1"] ?? {}).length;
    const count = Math.min(existing + 1, parent.spec.target);
    return {
      children: Array.from({ length: count }, (_, index) => ({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `${parent.metadata.name}-${index}` },
      })),
      status: { seen: existing },
    };
  },
});

const counter = (spec: { target: number; mode?: string }) =>
  stored<ObjectOf<typeof Counter>>({ apiVersion: Counter.apiVersion, kind: "Counter", metadata: { name: "c" }, spec }, {
    namespace: "ns",
  });

test("stored() fills in what the API server would and keeps what the object sets", () => {
  const object: KubeObject = stored({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "a", labels: { x: "y" } },
  });
  assert.is(object.metadata.namespace, "default");
  assert.match(object.metadata.uid!, /^[0-9a-f-]{36}$/);
  assert.is(object.metadata.generation, 1);
  assert.equal(object.metadata.labels, { x: "y" });
  assert.is.not(stored(object).metadata.uid, undefined);
  const clusterScoped: KubeObject = stored({ ...object, metadata: { name: "n" } }, { clusterScoped: true });
  assert.is(clusterScoped.metadata.namespace, undefined);
  assert.equal(Object.keys(byKind([object])), ["ConfigMap.v1"]);
  assert.equal(Object.keys(byKind([object], true)["ConfigMap.v1"]!), ["default/a"]);
});

test("runSync fails as the runtime would: bad spec, a throw, a Promise, an invalid answer", () => {
  assert.throws(
    () => runSync(counters, { parent: counter({ target: -1 }) }),
    (error: unknown) =>
      error instanceof InvalidParentError && /spec\.target: must be >= 0/.test((error as Error).message),
  );
  assert.throws(
    () => runSync(counters, { parent: counter({ target: 1, mode: "throw" }) }),
    (error: unknown) => error instanceof FunctionError && /sync threw: asked to throw/.test((error as Error).message),
  );
  assert.throws(
    () => runSync(counters, { parent: counter({ target: 1, mode: "async" }) }),
    (error: unknown) =>
      error instanceof InvalidResponseError && /must be synchronous and pure/.test((error as Error).message),
  );
  assert.throws(
    () => runSync(counters, { parent: counter({ target: 1, mode: "invalid" }) }),
    (error: unknown) => error instanceof InvalidResponseError && /Secret/.test((error as Error).message),
  );
  const answer = runSync(counters, { parent: counter({ target: 2 }) });
  assert.is(answer.children[0]!.metadata.namespace, "ns", "children are namespaced like the parent");
});

test("converge feeds answers back until nothing changes", () => {
  const result = converge(counters, { parent: counter({ target: 3 }) });
  assert.is(result.children.length, 3);
  assert.is(result.rounds, 5, "three syncs add a ConfigMap each, the fourth counts them, the fifth changes nothing");
  assert.equal((result.parent.status as { seen: number }).seen, 3);
  assert.is((result.parent.status as { observedGeneration: number }).observedGeneration, 1);
  const owner = result.children[0]!.metadata.ownerReferences![0]!;
  assert.equal([owner.kind, owner.name, owner.controller], ["Counter", "c", true]);
  assert.is(result.children[0]!.metadata.labels!["app.kubernetes.io/managed-by"], "counters");
});

test("converge keeps what others write on children and passes it to the next sync", () => {
  const seen: KubeObject[] = [];
  const result = converge(counters, {
    parent: counter({ target: 1 }),
    observe: (child) => {
      seen.push(child);
      return { ...child, data: { touched: "yes" } };
    },
  });
  assert.equal(result.children[0]!.data, { touched: "yes" }, "a field the function does not set survives its syncs");
  assert.is(seen.length, result.rounds, "observe sees the child after every sync");
});

test("observed children read as client-node's model types", () => {
  const deployment = stored({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web" },
    status: { availableReplicas: 2 },
  });
  const read = objectOf<V1Deployment>(byKind([deployment]), builtinKinds.Deployment, "web");
  assert.is(read?.status?.availableReplicas, 2);
});

// Model classes type every field optional, so this compiles only because answers accept them.
const modelled = controller<ObjectOf<typeof Counter>>({
  name: "modelled",
  parent: Counter,
  children: [builtinKinds.Deployment, builtinKinds.Service],
  sync({ parent }) {
    const labels = { app: parent.metadata.name };
    const deployment: V1Deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: parent.metadata.name, labels },
      spec: {
        replicas: parent.spec.target,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: "main", image: "nginx" }] } },
      },
    };
    const service: V1Service = {
      ...(parent.spec.mode === "no-kind" ? {} : { kind: "Service" }),
      apiVersion: "v1",
      metadata: { name: parent.metadata.name },
      spec: { selector: labels, ports: [{ port: 80 }] },
    };
    return { children: [deployment, service] };
  },
});

test("desired children may be client-node's model types; what they leave out is still required", () => {
  const answer = runSync(modelled, { parent: counter({ target: 2 }) });
  assert.equal(answer.children.map((child) => `${child.kind}/${child.metadata.name}`), [
    "Deployment/c",
    "Service/c",
  ]);
  assert.is((answer.children[0]!.spec as V1Deployment["spec"])?.replicas, 2);
  assert.is(answer.children[1]!.metadata.namespace, "ns", "the parent's namespace is filled in");
  assert.throws(
    () => runSync(modelled, { parent: counter({ target: 2, mode: "no-kind" }) }),
    (error: Error) =>
      error instanceof InvalidResponseError &&
      error.message.includes('children[1] needs apiVersion and kind, got apiVersion "v1" and kind undefined'),
  );
});

test("converge gives up after maxRounds, saying what still changed", () => {
  assert.throws(
    () => converge(counters, { parent: counter({ target: 1, mode: "flap" }), maxRounds: 5 }),
    /counters did not converge in 5 syncs: the status still changed/,
  );
});

test.run();
