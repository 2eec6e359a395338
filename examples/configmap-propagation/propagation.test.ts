// The controller as data: no cluster. node --test propagation.test.ts
import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubeObject } from "@kubefn/runtime";
import { runSync, stored } from "@kubefn/runtime/testing";
import { ConfigMapPropagation, propagations } from "./propagation.ts";

const propagation = stored<ConfigMapPropagation>({
  apiVersion: ConfigMapPropagation.apiVersion,
  kind: ConfigMapPropagation.kind,
  metadata: { name: "settings" },
  spec: { source: { namespace: "config", name: "settings" }, namespaceSelector: { team: "web" } },
}, { clusterScoped: true });
const namespace = (name: string): KubeObject =>
  stored({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { team: "web" } } }, { clusterScoped: true });
const source = stored({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "settings", namespace: "config" },
  data: { color: "blue" },
}, { namespace: "config" });

test("it asks for the source by name and the namespaces by label", () => {
  const requests = propagations.related!.select(propagation);
  assert.deepEqual(requests, [
    { apiVersion: "v1", kind: "ConfigMap", namespace: "config", names: ["settings"] },
    { apiVersion: "v1", kind: "Namespace", matchLabels: { team: "web" } },
  ]);
});

test("one copy per matching namespace, with the source's data, never into the source's own namespace", () => {
  const answer = runSync(propagations, {
    parent: propagation,
    related: [source, namespace("shop"), namespace("blog"), namespace("config")],
  });
  assert.deepEqual(answer.children.map((child) => `${child.metadata.namespace}/${child.metadata.name}`), [
    "blog/settings",
    "shop/settings",
  ]);
  assert.deepEqual(answer.children[0]!.data, { color: "blue" });
  assert.deepEqual(answer.status?.copies, ["blog", "shop"]);
});

test("without its source it copies nothing and says why", () => {
  const answer = runSync(propagations, { parent: propagation, related: [namespace("shop")] });
  assert.deepEqual(answer.children, []);
  const ready = (answer.status?.conditions as Array<{ status: string; reason: string }>)[0]!;
  assert.deepEqual([ready.status, ready.reason], ["False", "SourceNotFound"]);
});
