// The atomix-operator README flow by kubectl, verbatim: install the operator, create the
// example AtomixCluster on StorageClass fast-disks, add groups by merge patch, run a
// benchmark and remove it, remove a group, delete the cluster. The operator runs under its
// ServiceAccount's own token; static hostPath volumes let the claims bind and kwok runs the pods.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { createVolumes, installOperator, startOperator, type Volumes } from "../../../support/atomix-operator.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../../support/kube.ts";
import { kubectl, kubectlOrThrow } from "../../../support/kubectl.ts";
import type { SampleProcess } from "../../../support/sample.ts";
import { suite } from "../../../support/suite.ts";

const root = join(import.meta.dirname, "..", "..", "..", "..");
const examples = join(root, "deploy", "examples");
const admin = process.env.KUBECONFIG_FOR_TESTS!;
const test = suite("e2e: AtomixCluster by kubectl, as the atomix-operator README does it");
const C = "example-atomixcluster";
const everything = "statefulsets,services,configmaps,pods,persistentvolumeclaims,deployments,ingresses";
let operator: SampleProcess;
let volumes: Volumes;
type Json = Record<string, any>;

const k = (...args: string[]) => kubectlOrThrow(admin, args);
const json = async (...args: string[]) => JSON.parse(await k(...args, "-o", "json"));
const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);
const readyCondition = (cluster: Json) => cluster.status?.conditions?.find((c: Json) => c.type === "Ready");
/** Ready=True for the cluster's current generation. */
const converged = (cluster: Json) =>
  readyCondition(cluster)?.status === "True" && cluster.status.observedGeneration === cluster.metadata.generation;
/** Every object of the cluster (label app=<cluster>), as kind/name → uid. */
async function objects(namespace = "default", cluster = C): Promise<Record<string, string>> {
  const list = await json("get", everything, "-n", namespace, "-l", `app=${cluster}`);
  return Object.fromEntries(list.items.map((o: Json) => [`${o.kind}/${o.metadata.name}`, o.metadata.uid]));
}
const readExample = (name: string) => readFileSync(join(examples, name), "utf8");
const sameObjects = (a: Record<string, string>, b: Record<string, string>) =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
const withoutPrefix = (all: Record<string, string>, prefix: string) =>
  Object.fromEntries(
    Object.entries(all).filter(([key]) =>
      !key.split("/")[1]!.startsWith(prefix) && !key.startsWith(`PersistentVolumeClaim/data-${prefix}`)
    ),
  );

test.before(async () => {
  // The README's setup: the CRD, the ServiceAccount, its RBAC and the operator Deployment in one file.
  const kubeconfig = await installOperator();
  operator = await startOperator("atomix-operator-e2e", kubeconfig);
  volumes = await createVolumes("fast-disks", 8);
});

test.after(async () => {
  await kubectl(admin, ["delete", "--ignore-not-found", "-f", join(examples, "atomixcluster_cr.yaml")]);
  await operator?.stop();
  await volumes?.remove();
});

test("kubectl create -f atomixcluster_cr.yaml: kubectl wait --for=condition=Ready returns once the management group and the raft group run", async () => {
  const started = performance.now();
  await k("create", "-f", join(examples, "atomixcluster_cr.yaml"));
  await k("wait", "--for=condition=Ready", `atomixcluster/${C}`, "--timeout=120s");
  console.log(`   kubectl create -f atomixcluster_cr.yaml to Ready: ${seconds(started)} s`);
  const cluster = await json("get", "atomixcluster", C);
  assert.equal(cluster.status.managementGroup, { size: 1, readyReplicas: 1 });
  assert.equal(cluster.status.partitionGroups, [{
    name: "raft",
    protocol: "raft",
    partitions: 3,
    size: 3,
    readyReplicas: 3,
  }]);
  assert.is(cluster.status.serviceName, `${C}-service`);

  const sets = await json("get", "statefulsets", "-l", `app=${C}`);
  assert.equal(
    sets.items.map((
      s: Json,
    ) => [s.metadata.name, s.spec.replicas, s.status.readyReplicas, s.spec.template.spec.containers[0].image]).sort(),
    [
      [C, 1, 1, "atomix/atomix:3.1.0"],
      [`${C}-raft`, 3, 3, "atomix/atomix:3.1.0"],
    ],
  );
  const running = async (selector: string) =>
    (await json("get", "pods", "-l", selector)).items.filter((p: Json) => p.status.phase === "Running").length;
  assert.is(
    await running(`app=${C},type=management`),
    1,
    "labels app and type: management (the README's 'managment' is a typo)",
  );
  assert.is(await running(`app=${C},type=group,group=raft`), 3);
  const claims = await json("get", "persistentvolumeclaims", "-l", `app=${C}`);
  assert.equal(claims.items.map((c: Json) => [c.metadata.name, c.spec.storageClassName, c.status.phase]).sort(), [
    [`data-${C}-0`, "fast-disks", "Bound"],
    [`data-${C}-raft-0`, "fast-disks", "Bound"],
    [`data-${C}-raft-1`, "fast-disks", "Bound"],
    [`data-${C}-raft-2`, "fast-disks", "Bound"],
  ]);
  const discovery = await json("get", "service", `${C}-service`);
  assert.equal([discovery.spec.clusterIP, discovery.spec.selector, discovery.spec.ports[0].port], [
    "None",
    { app: C },
    5679,
  ]);
  const config = (await json("get", "configmap", `${C}-raft-config`)).data["atomix.conf"];
  assert.match(config, `service: "${C}-service.default.svc.cluster.local"`);
  assert.match(config, `members: ["${C}-raft-0", "${C}-raft-1", "${C}-raft-2"]`);
});

test("kubectl get atomixclusters / ac / atomix: printer columns version, groups, ready, age", async () => {
  assert.match(
    await k("get", "atomixclusters"),
    new RegExp(`NAME\\s+VERSION\\s+GROUPS\\s+READY\\s+AGE\\n${C}\\s+3\\.1\\.0\\s+1\\s+4/4\\s+`),
  );
  assert.match(await k("get", "ac"), C);
  assert.match(await k("get", "atomix", "-o", "name"), `atomixcluster.agent.atomix.io/${C}`, "the atomix category");
});

test("merge patch atomixcluster_cr_raft.yaml adds a primary-backup and a log group and leaves the raft group alone", async () => {
  const before = await objects();
  const started = performance.now();
  await k("patch", "atomixcluster", C, "--type=merge", "--patch", readExample("atomixcluster_cr_raft.yaml"));
  const cluster = await eventually("both new groups ready", async () => {
    const current = await json("get", "atomixcluster", C);
    return converged(current) && current.status.groups === 3 ? current : undefined;
  }, { timeoutMs: 120_000 });
  console.log(`   kubectl patch (two new groups) to both groups Ready: ${seconds(started)} s`);
  assert.equal(
    cluster.status.partitionGroups.map((g: Json) => [g.name, g.protocol, g.partitions, g.size, g.readyReplicas]),
    [
      ["raft", "raft", 3, 3, 3],
      ["primary-backup", "primary-backup", 7, 2, 2],
      ["log", "log", 3, 3, 3],
    ],
  );
  const after = await objects();
  for (const [key, uid] of Object.entries(before)) assert.is(after[key], uid, `${key} was left alone`);
  const added = Object.keys(after).filter((key) => !before[key]).sort();
  assert.equal(added, [
    `ConfigMap/${C}-log-config`,
    `ConfigMap/${C}-primary-backup-config`,
    `PersistentVolumeClaim/data-${C}-log-0`,
    `PersistentVolumeClaim/data-${C}-log-1`,
    `PersistentVolumeClaim/data-${C}-log-2`,
    `Pod/${C}-log-0`,
    `Pod/${C}-log-1`,
    `Pod/${C}-log-2`,
    `Pod/${C}-primary-backup-0`,
    `Pod/${C}-primary-backup-1`,
    `Service/${C}-log-service`,
    `Service/${C}-primary-backup-service`,
    `StatefulSet/${C}-log`,
    `StatefulSet/${C}-primary-backup`,
  ], "primary-backup keeps no volume");
  const labels = (await json("get", "statefulset", `${C}-primary-backup`)).metadata.labels;
  assert.equal([labels.app, labels.type, labels.group], [C, "group", "primary-backup"]);
  assert.match((await json("get", "configmap", `${C}-log-config`)).data["atomix.conf"], 'type: "log"');
});

test("changing a group's env rolls that group's pods and no other's", async () => {
  const pods = async () =>
    Object.fromEntries(
      (await json("get", "pods", "-l", `app=${C}`)).items.map((p: Json) => [p.metadata.name, p.metadata.uid]),
    );
  const before = await pods();
  await k(
    "patch",
    "atomixcluster",
    C,
    "--type=json",
    "--patch",
    JSON.stringify([{
      op: "add",
      path: "/spec/partitionGroups/0/env",
      value: [{ name: "JAVA_OPTS", value: "-Xmx2G" }],
    }]),
  );
  await eventually("the raft pods replaced and the cluster ready again", async () => {
    const now = await pods();
    const replaced = [0, 1, 2].every((i) =>
      now[`${C}-raft-${i}`] && now[`${C}-raft-${i}`] !== before[`${C}-raft-${i}`]
    );
    return replaced && converged(await json("get", "atomixcluster", C));
  }, { timeoutMs: 120_000 });
  const after = await pods();
  for (const name of Object.keys(before).filter((n) => !n.startsWith(`${C}-raft-`))) {
    assert.is(after[name], before[name], `${name} kept running`);
  }
  const env = (await json("get", "statefulset", `${C}-raft`)).spec.template.spec.containers[0].env;
  assert.equal(env[env.length - 1], { name: "JAVA_OPTS", value: "-Xmx2G" });
});

test("merge patch atomixcluster_cr_bench.yaml deploys 3 workers and a coordinator with a Service and an Ingress; removing it removes them", async () => {
  const before = await objects();
  await k("patch", "atomixcluster", C, "--type=merge", "--patch", readExample("atomixcluster_cr_bench.yaml"));
  const cluster = await eventually("the benchmark running", async () => {
    const current = await json("get", "atomixcluster", C);
    return converged(current) && current.status.benchmark?.readyReplicas === 3 ? current : undefined;
  }, { timeoutMs: 120_000 });
  assert.equal(cluster.status.benchmark, { size: 3, readyReplicas: 3, coordinatorReady: true });
  const workers = await json("get", "pods", "-l", `app=${C},type=benchmark-worker`);
  assert.equal(workers.items.map((p: Json) => p.metadata.name).sort(), [
    `${C}-worker-0`,
    `${C}-worker-1`,
    `${C}-worker-2`,
  ]);
  assert.is((await json("get", "pods", "-l", `app=${C},type=benchmark-coordinator`)).items.length, 1);
  const ingress = await json("get", "ingress", `${C}-bench-ingress`);
  assert.is(ingress.apiVersion, "networking.k8s.io/v1");
  assert.equal(ingress.spec.rules[0].http.paths[0].backend.service, {
    name: `${C}-bench-service`,
    port: { number: 5678 },
  });
  assert.equal((await json("get", "service", `${C}-bench-service`)).spec.selector, {
    app: C,
    type: "benchmark-coordinator",
  });

  await k("patch", "atomixcluster", C, "--type=merge", "--patch", '{"spec":{"benchmark":null}}');
  await eventually("every benchmark object gone and the rest as before", async () => {
    const now = await objects();
    return sameObjects(now, before) ? now : undefined;
  }, { timeoutMs: 60_000 });
  assert.is((await json("get", "atomixcluster", C)).status.benchmark, undefined);
});

test("a merge patch without the log group deletes exactly the log group's objects, its volume claims included", async () => {
  const before = await objects();
  const groups = JSON.parse(JSON.stringify((await json("get", "atomixcluster", C)).spec.partitionGroups)).filter((
    g: Json,
  ) => g.name !== "log");
  await k(
    "patch",
    "atomixcluster",
    C,
    "--type=merge",
    "--patch",
    JSON.stringify({ spec: { partitionGroups: groups } }),
  );
  const expected = withoutPrefix(before, `${C}-log`);
  assert.ok(
    Object.keys(before).length - Object.keys(expected).length === 9,
    "the log group had a ConfigMap, Service, StatefulSet, 3 pods and 3 claims",
  );
  await eventually("the log group gone, nothing else touched", async () => sameObjects(await objects(), expected), {
    timeoutMs: 60_000,
  });
  const cluster = await eventually("the cluster ready with two groups", async () => {
    const current = await json("get", "atomixcluster", C);
    return converged(current) ? current : undefined;
  });
  assert.equal(cluster.status.partitionGroups.map((g: Json) => g.name), ["raft", "primary-backup"]);
});

test("the API server refuses what cannot work and names the field", async () => {
  const create = (spec: string) =>
    kubectl(
      admin,
      ["create", "-f", "-"],
      `apiVersion: agent.atomix.io/v1alpha1\nkind: AtomixCluster\nmetadata: {name: bad}\nspec:\n${spec}`,
    );
  const refused = [
    [
      "  partitionGroups: [{name: g, raft: {}, log: {}}]\n",
      "spec.partitionGroups[0]: Invalid value: set exactly one protocol: raft, primaryBackup or log",
    ],
    ["  partitionGroups: [{name: g}]\n", "set exactly one protocol"],
    [
      "  partitionGroups: [{name: worker, primaryBackup: {}}]\n",
      'spec.partitionGroups[0].name: Forbidden: partition group name "worker" is reserved',
    ],
    ["  partitionGroups: [{name: g, size: 0, primaryBackup: {}}]\n", "spec.partitionGroups[0].size"],
    ["  partitionGroups: [{name: g, partitions: 0, primaryBackup: {}}]\n", "spec.partitionGroups[0].partitions"],
    ["  partitionGroups: [{name: G_1, primaryBackup: {}}]\n", "spec.partitionGroups[0].name"],
    [
      "  partitionGroups: [{name: g, primaryBackup: {}}, {name: g, log: {}}]\n",
      "spec.partitionGroups[1]: Duplicate value",
    ],
    ["  managementGroup: {size: 0}\n", "spec.managementGroup.size"],
    ["  managementGroup: {env: [{value: x}]}\n", "spec.managementGroup.env[0].name: Required value"],
    ["  managementGroup: {resources: {requests: {memory: lots}}}\n", "spec.managementGroup.resources.requests.memory"],
  ];
  for (const [spec, message] of refused) {
    const result = await create(spec!);
    assert.is.not(result.code, 0, spec);
    assert.match(result.stderr, message!, spec);
  }
  const changed = await kubectl(admin, [
    "patch",
    "atomixcluster",
    C,
    "--type=merge",
    "--patch",
    '{"spec":{"managementGroup":{"storage":{"className":"other"}}}}',
  ]);
  assert.match(
    changed.stderr,
    'spec.managementGroup.storage.className: Invalid value: "other": storage.className cannot change once the volumes exist',
  );
});

test("a StorageClass that does not exist is named in the Ready condition; the cluster converges once it appears", async () => {
  const namespace = await freshNamespace(testKubeConfig(), "e2e-atomix-storage");
  let later: Volumes | undefined;
  try {
    const yaml =
      "apiVersion: agent.atomix.io/v1alpha1\nkind: AtomixCluster\nmetadata: {name: waiting}\nspec:\n  managementGroup: {storage: {className: later-disks}}\n  partitionGroups: [{name: data, raft: {storage: {className: later-disks}}}]\n";
    await kubectlOrThrow(admin, ["create", "-n", namespace.name, "-f", "-"], yaml);
    const condition = await eventually("a StorageClassNotFound condition", async () => {
      const ready = readyCondition(await json("get", "atomixcluster", "waiting", "-n", namespace.name));
      return ready?.reason === "StorageClassNotFound" ? ready : undefined;
    });
    assert.is(condition.status, "False");
    assert.match(
      condition.message,
      'storage class "later-disks" does not exist (named by spec.managementGroup.storage.className, spec.partitionGroups[data].raft.storage.className)',
    );
    const pods = await json("get", "pods", "-n", namespace.name, "-l", "app=waiting");
    assert.is(pods.items.length, 2);
    assert.ok(pods.items.every((p: Json) => p.status.phase === "Pending"), "pods stay Pending, as Kubernetes has them");
    later = await createVolumes("later-disks", 2);
    await kubectlOrThrow(admin, [
      "wait",
      "-n",
      namespace.name,
      "--for=condition=Ready",
      "atomixcluster/waiting",
      "--timeout=90s",
    ]);
    await k("delete", "atomixcluster", "waiting", "-n", namespace.name);
    await eventually(
      "the waiting cluster's objects gone",
      async () => Object.keys(await objects(namespace.name, "waiting")).length === 0,
      { timeoutMs: 60_000 },
    );
  } finally {
    await later?.remove();
    await namespace.remove();
  }
});

test("kubectl delete -f atomixcluster_cr.yaml leaves nothing behind", async () => {
  await k("delete", "-f", join(examples, "atomixcluster_cr.yaml"));
  await eventually("every object of the cluster gone, volume claims included", async () => {
    const left = await k("get", everything, "-o", "name");
    return !left.includes(C);
  }, { timeoutMs: 90_000 });
  assert.is((await k("get", "atomixclusters", "-o", "name")).trim(), "");
  assert.is(operator.process.exitCode, null, "the operator is still running");
  assert.equal(operator.logs.filter((line) => line.includes('"level":"error"')), [], "the operator logged no errors");
});

test.run();
