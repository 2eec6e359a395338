// deploy/atomix-operator.yaml and the README's per-step files hold the same documents; the RBAC is exactly what the runtime does for the AtomixCluster controller; the
// examples say what the atomix-operator README says.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parse, parseAllDocuments } from "yaml";
import { operatorLease, operatorRbacRules } from "../../../../functions/atomix-operator/manifest.ts";

const deploy = join(import.meta.dirname, "..", "..", "..", "..", "deploy");
const docsOf = (path: string) => parseAllDocuments(readFileSync(join(deploy, path), "utf8")).map((doc) => doc.toJS());
type Json = Record<string, any>;

test("the per-step files together hold exactly what deploy/atomix-operator.yaml holds, in the README's order", () => {
  const steps = [
    "crds/atomixcluster_crd.yaml",
    "service_account.yaml",
    "role.yaml",
    "role_binding.yaml",
    "operator.yaml",
  ].flatMap(docsOf);
  assert.equal(steps, docsOf("atomix-operator.yaml"));
  assert.equal(steps.map((doc) => `${doc.kind}/${doc.metadata.name}`), [
    "CustomResourceDefinition/atomixclusters.agent.atomix.io",
    "ServiceAccount/atomix-operator",
    "ClusterRole/atomix-operator",
    "ClusterRoleBinding/atomix-operator",
    "Deployment/atomix-operator",
  ]);
});

test("RBAC: exactly the verbs the runtime uses for the AtomixCluster controller, no wildcards", () => {
  const rules = Object.fromEntries(
    operatorRbacRules.map((rule) => [`${rule.apiGroups.join()}/${rule.resources.join()}`, rule.verbs.join(",")]),
  );
  assert.equal(rules, {
    "/configmaps": "list,watch,create,patch,delete",
    "/services": "list,watch,create,patch,delete",
    "agent.atomix.io/atomixclusters": "list,watch",
    "agent.atomix.io/atomixclusters/status": "patch",
    "agent.atomix.io/atomixclusters/finalizers": "update",
    "apps/deployments": "list,watch,create,patch,delete",
    "apps/statefulsets": "list,watch,create,patch,delete",
    "coordination.k8s.io/leases": "get,list,watch,create,update",
    "events.k8s.io/events": "create",
    "networking.k8s.io/ingresses": "list,watch,create,patch,delete",
    "storage.k8s.io/storageclasses": "list,watch",
  });
  const binding = docsOf("role_binding.yaml")[0];
  assert.equal(binding.subjects, [{ kind: "ServiceAccount", name: "atomix-operator", namespace: "kube-system" }]);
  assert.equal(binding.roleRef, {
    apiGroup: "rbac.authorization.k8s.io",
    kind: "ClusterRole",
    name: "atomix-operator",
  });
});

test("the operator Deployment runs the compiled operator (functions/atomix-operator/main.js) under its ServiceAccount, with leader election on its own Lease", () => {
  const deployment = docsOf("operator.yaml")[0];
  assert.is(deployment.metadata.namespace, "kube-system");
  const pod = deployment.spec.template.spec;
  assert.is(pod.serviceAccountName, "atomix-operator");
  const container = pod.containers[0];
  assert.equal(container.command, ["node", "--max-semi-space-size=1", "functions/atomix-operator/main.js"]);
  assert.ok(container.args.includes("--leader-elect=true"));
  assert.ok(container.args.includes(`--leader-election-id=${operatorLease}`));
  assert.is(operatorLease, "atomix-operator-lock");
  assert.is(container.readinessProbe.httpGet.path, "/readyz");
});

test("the CRD: names, short name, category, printer columns, status subresource, group list keyed by name", () => {
  const crd = docsOf("crds/atomixcluster_crd.yaml")[0];
  assert.equal(crd.spec.names, {
    plural: "atomixclusters",
    singular: "atomixcluster",
    kind: "AtomixCluster",
    listKind: "AtomixClusterList",
    shortNames: ["ac"],
    categories: ["atomix"],
  });
  const version = crd.spec.versions[0];
  assert.is(version.name, "v1alpha1");
  assert.equal(version.subresources, { status: {} });
  assert.equal(version.additionalPrinterColumns.map((c: Json) => c.name), ["Version", "Groups", "Ready", "Age"]);
  const spec = version.schema.openAPIV3Schema.properties.spec.properties;
  assert.is(spec.version.default, "3.1.0");
  assert.is(spec.partitionGroups["x-kubernetes-list-type"], "map");
  assert.equal(spec.partitionGroups["x-kubernetes-list-map-keys"], ["name"]);
  const group = spec.partitionGroups.items;
  assert.equal([
    group.properties.size.minimum,
    group.properties.partitions.minimum,
    spec.managementGroup.properties.size.minimum,
  ], [1, 1, 1]);
  assert.is(group.properties.name.pattern, "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
  assert.equal(group.properties.env.items.required, ["name"]);
  assert.ok(group.properties.resources.properties.requests.additionalProperties["x-kubernetes-int-or-string"]);
  const rules = group["x-kubernetes-validations"].map((v: Json) => v.message ?? v.messageExpression);
  assert.ok(rules.some((m: string) => m.includes("exactly one protocol")));
  assert.ok(rules.some((m: string) => m.includes("is reserved")));
});

test("the examples: the README's cluster, the patch that adds a primary-backup and a log group, the benchmark patch", () => {
  const cluster = parse(readFileSync(join(deploy, "examples", "atomixcluster_cr.yaml"), "utf8"));
  assert.equal(cluster, {
    apiVersion: "agent.atomix.io/v1alpha1",
    kind: "AtomixCluster",
    metadata: { name: "example-atomixcluster" },
    spec: {
      version: "3.1.0",
      managementGroup: { size: 1, storage: { className: "fast-disks" } },
      partitionGroups: [{ name: "raft", size: 3, partitions: 3, raft: { storage: { className: "fast-disks" } } }],
    },
  });
  const groups =
    parse(readFileSync(join(deploy, "examples", "atomixcluster_cr_raft.yaml"), "utf8")).spec.partitionGroups;
  assert.equal(
    groups.map((g: Json) => [
      g.name,
      g.size,
      g.partitions,
      Object.keys(g).find((k) => ["raft", "primaryBackup", "log"].includes(k)),
    ]),
    [
      ["raft", 3, 3, "raft"],
      ["primary-backup", 2, 7, "primaryBackup"],
      ["log", 3, 3, "log"],
    ],
  );
  assert.equal(groups[0], cluster.spec.partitionGroups[0], "the merge patch keeps the raft group as it was");
  assert.equal(parse(readFileSync(join(deploy, "examples", "atomixcluster_cr_bench.yaml"), "utf8")), {
    spec: { benchmark: { size: 3 } },
  });
});

test.run();
