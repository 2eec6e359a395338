// The controller against a real cluster: node --test e2e.test.ts (KUBECONFIG=<file> for one of yours).
// A source ConfigMap, namespaces with and without the label, and what kubectl would show as
// namespaces, the source and the propagation change.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { builtinKinds, type KubeObject } from "@kubefn/runtime";
import { installKinds, type ProgramProcess, startControlPlane, startProgram } from "@kubefn/runtime/control-plane";
import { isNotFound, KubeClient, loadKubeConfig } from "@kubefn/runtime/run";
import { eventually } from "@kubefn/runtime/testing";
import { ConfigMapPropagation } from "./propagation.ts";

const controlPlane = process.env.KUBECONFIG ? undefined : await startControlPlane();
const kubeconfig = process.env.KUBECONFIG ?? controlPlane!.kubeconfig;
const client = new KubeClient(await loadKubeConfig(kubeconfig));
const run = `cmp-${process.pid}`;
const [source, web, shop, other] = ["source", "web", "shop", "other"].map((name) => `${run}-${name}`) as [
  string,
  string,
  string,
  string,
];
const label = { "example.kubefn.dev/e2e": run };
let controller: ProgramProcess | undefined;

const namespace = (name: string, labels: Record<string, string> = {}) =>
  client.create(builtinKinds.Namespace, { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
const copy = (namespace: string) =>
  client.get(builtinKinds.ConfigMap, namespace, "settings").then((found) => found.data as Record<string, string>)
    .catch((error) => (isNotFound(error) ? undefined : Promise.reject(error)));

before(async () => {
  await installKinds(kubeconfig, [ConfigMapPropagation]);
  await namespace(source);
  await namespace(web, label);
  await namespace(shop, label);
  await namespace(other);
  await client.create(builtinKinds.ConfigMap, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "settings", namespace: source },
    data: { color: "blue" },
  });
  controller = startProgram("main.ts", { kubeconfig, cwd: import.meta.dirname });
});

after(async () => {
  await controller?.stop();
  await client.delete(ConfigMapPropagation, undefined, run).catch(() => undefined);
  for (const name of [source, web, shop, other]) {
    await client.delete(builtinKinds.Namespace, undefined, name).catch(() => undefined);
  }
  await controlPlane?.stop();
});

test("copies follow the labels and the source, and go with the propagation", async () => {
  await client.create(ConfigMapPropagation, {
    apiVersion: ConfigMapPropagation.apiVersion,
    kind: ConfigMapPropagation.kind,
    metadata: { name: run },
    spec: { source: { namespace: source, name: "settings" }, namespaceSelector: label },
  } as KubeObject);
  await eventually(
    "copies in both labelled namespaces",
    async () => (await copy(web))?.color === "blue" && (await copy(shop))?.color === "blue",
  );
  assert.equal(await copy(other), undefined, "no copy where the label is missing");

  await client.patch(builtinKinds.Namespace, undefined, other, { metadata: { labels: label } });
  await eventually("a copy in the namespace labelled later", async () => (await copy(other))?.color === "blue");

  await client.patch(builtinKinds.ConfigMap, source, "settings", { data: { color: "green" } });
  await eventually(
    "the change in every copy",
    async () => (await Promise.all([web, shop, other].map(copy))).every((data) => data?.color === "green"),
  );

  await client.delete(ConfigMapPropagation, undefined, run);
  await eventually(
    "the copies to be collected",
    async () => (await Promise.all([web, shop, other].map(copy))).every((data) => data === undefined),
  );
});
