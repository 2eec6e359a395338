// deploy/atomix-controller.yaml is what functions/atomix-controller/manifest.ts generates, and its RBAC names verbs, never wildcards.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseAllDocuments } from "yaml";
import { manifest, rbacRules } from "../../../../functions/atomix-controller/manifest.ts";

const root = join(import.meta.dirname, "..", "..", "..", "..");

test("the manifest holds the CRDs, RBAC, Deployment and Service", () => {
  const docs = parseAllDocuments(readFileSync(join(root, "deploy", "atomix-controller.yaml"), "utf8")).map((doc) =>
    doc.toJS()
  );
  assert.equal(docs, JSON.parse(JSON.stringify(manifest())));
  assert.equal(
    docs.map((doc) => `${doc.kind}/${doc.metadata.name}`),
    [
      "CustomResourceDefinition/partitiongroups.k8s.atomix.io",
      "CustomResourceDefinition/partitions.k8s.atomix.io",
      "CustomResourceDefinition/databases.cloud.atomix.io",
      "CustomResourceDefinition/partitions.cloud.atomix.io",
      "CustomResourceDefinition/members.cloud.atomix.io",
      "CustomResourceDefinition/primitives.cloud.atomix.io",
      "CustomResourceDefinition/raftstorageclasses.storage.cloud.atomix.io",
      "ServiceAccount/atomix-controller",
      "ClusterRole/atomix-controller",
      "ClusterRoleBinding/atomix-controller",
      "Deployment/atomix-controller",
      "Service/atomix-controller",
    ],
  );
  const deployment = docs.find((doc) => doc.kind === "Deployment");
  assert.is(deployment.metadata.namespace, "kube-system");
  assert.is(deployment.spec.replicas, 2);
  const container = deployment.spec.template.spec.containers[0];
  assert.is(container.readinessProbe.httpGet.path, "/readyz");
  assert.is(container.livenessProbe.httpGet.path, "/healthz");
  assert.is(container.securityContext.readOnlyRootFilesystem, true);
  assert.is(deployment.spec.template.spec.securityContext.runAsNonRoot, true);
  const service = docs.find((doc) => doc.kind === "Service");
  assert.is(service.spec.ports[0].port, 5679);
});

test("RBAC has no wildcards", () => {
  for (const rule of rbacRules) {
    for (const list of [rule.apiGroups, rule.resources, rule.verbs]) {
      assert.not.ok(list.includes("*"), JSON.stringify(rule));
    }
  }
});

test.run();
