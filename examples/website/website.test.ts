// The controller as data: no cluster. node --test website.test.ts
import assert from "node:assert/strict";
import { test } from "node:test";
import { crdOf } from "@kubefn/runtime/manifests";
import { converge, InvalidParentError, runSync, stored } from "@kubefn/runtime/testing";
import { Website, websites } from "./website.ts";

const site = (spec: Partial<Website["spec"]> = {}): Website =>
  stored({
    apiVersion: Website.apiVersion,
    kind: Website.kind,
    metadata: { name: "blog", namespace: "web" },
    spec: { image: "nginx:1.27", replicas: 2, port: 8080, ...spec },
  }, { namespace: "web" });

test("a website is a Deployment and a Service, and an Ingress only with a host", () => {
  const plain = runSync(websites, { parent: site() });
  assert.deepEqual(plain.children.map((child) => child.kind), ["Deployment", "Service"]);
  const hosted = runSync(websites, { parent: site({ host: "blog.example.com" }) });
  assert.deepEqual(hosted.children.map((child) => child.kind), ["Deployment", "Service", "Ingress"]);
  assert.equal(hosted.status?.url, "http://blog.example.com/");
});

test("it is Ready once the Deployment has every replica available", () => {
  const { parent, rounds } = converge(websites, {
    parent: site(),
    // Plays the Deployment controller: every replica it asks for becomes available.
    observe: (child) =>
      child.kind === "Deployment"
        ? { ...child, status: { availableReplicas: (child.spec as { replicas: number }).replicas } }
        : child,
  });
  const ready = parent.status?.conditions?.find((condition) => condition.type === "Ready");
  assert.equal(ready?.status, "True");
  assert.equal(parent.status?.availableReplicas, 2);
  assert.ok(rounds >= 2, "the first sync sees no Deployment yet");
});

test("a spec that does not fit the schema is refused, naming the field", () => {
  assert.throws(() => runSync(websites, { parent: site({ replicas: -1 }) }), (error: unknown) => {
    assert.ok(error instanceof InvalidParentError);
    assert.match(error.message, /spec\.replicas: must be >= 0/);
    return true;
  });
});

test("the CRD comes from the schema: required fields, defaults and printer columns", () => {
  const crd = crdOf(Website) as unknown as {
    metadata: { name: string };
    spec: { versions: Array<{ schema: { openAPIV3Schema: any }; additionalPrinterColumns: Array<{ name: string }> }> };
  };
  assert.equal(crd.metadata.name, "websites.example.kubefn.dev");
  const spec = crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec;
  assert.deepEqual(spec.required, ["image", "replicas", "port"]);
  assert.equal(spec.properties.replicas.default, 1);
  assert.deepEqual(crd.spec.versions[0]!.additionalPrinterColumns.map((column) => column.name), [
    "Image",
    "Available",
    "Ready",
    "Age",
  ]);
});
