// Two operator replicas elect a leader on Lease atomix-operator-lock. The leader is killed with
// SIGKILL right as a merge patch adds two partition groups; the survivor takes the Lease once
// it expires and converges the cluster: every object once, each controlled by the cluster,
// nothing left over.
import * as assert from "uvu/assert";
import { operatorLease, operatorNamespace } from "../../../../functions/atomix-operator/manifest.ts";
import { KubeClient } from "../../../../runtime/run.ts";
import { builtinKinds } from "../../../../runtime/mod.ts";
import { AtomixClusterKind } from "../../../../functions/atomix-operator/crd.ts";
import {
  clusterGone,
  createVolumes,
  installOperator,
  startOperator,
  type Volumes,
} from "../../../support/atomix-operator.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../../support/kube.ts";
import { kubectlOrThrow } from "../../../support/kubectl.ts";
import type { SampleProcess } from "../../../support/sample.ts";
import { suite } from "../../../support/suite.ts";
import { leaseBoundMs, shortLease as election } from "../../../support/election.ts";

const admin = process.env.KUBECONFIG_FOR_TESTS!;
const test = suite("e2e: AtomixCluster with two operator replicas, the leader killed mid-patch");
const C = "elected";
let namespace: Awaited<ReturnType<typeof freshNamespace>>;
let volumes: Volumes;
const replicas: SampleProcess[] = [];
const client = new KubeClient(testKubeConfig());
type Json = Record<string, any>;

const k = (...args: string[]) => kubectlOrThrow(admin, args);
const json = async (...args: string[]) => JSON.parse(await k(...args, "-n", namespace.name, "-o", "json"));
const clusterYaml = (groups: string) =>
  `apiVersion: agent.atomix.io/v1alpha1\nkind: AtomixCluster\nmetadata: {name: ${C}}\nspec:\n  managementGroup: {storage: {className: election-disks}}\n  partitionGroups:\n${groups}`;
const raft = "  - {name: raft, size: 1, raft: {storage: {className: election-disks}}}\n";

test.before(async () => {
  namespace = await freshNamespace(testKubeConfig(), "e2e-atomix-election");
  volumes = await createVolumes("election-disks", 6);
  const kubeconfig = await installOperator();
  replicas.push(await startOperator("operator-a", kubeconfig, { args: election }));
  replicas.push(await startOperator("operator-b", kubeconfig, { waitFor: "ready", args: election }));
});

test.after(async () => {
  await Promise.all(replicas.map((replica) => replica.stop("SIGKILL")));
  await volumes?.remove();
  await namespace?.remove();
});

test("SIGKILL to the leader during a patch that adds two groups: the survivor converges with no duplicate and no orphan", async () => {
  const [a, b] = replicas as [SampleProcess, SampleProcess];
  assert.is((await b.readyz()).leader, false, "operator-b follows");
  await kubectlOrThrow(admin, ["create", "-n", namespace.name, "-f", "-"], clusterYaml(raft));
  await kubectlOrThrow(admin, [
    "wait",
    "-n",
    namespace.name,
    "--for=condition=Ready",
    `atomixcluster/${C}`,
    "--timeout=60s",
  ]);

  // Kill the leader the moment the first StatefulSet of the new groups appears: it is mid-sync.
  const groupSets = { namespace: namespace.name, labelSelector: `app=${C},type=group` };
  const { resourceVersion } = await client.list(builtinKinds.StatefulSet, groupSets);
  const stopWatching = new AbortController();
  const firstNewSet = (async () => {
    for await (
      const event of client.watch(builtinKinds.StatefulSet, {
        ...groupSets,
        resourceVersion,
        timeoutSeconds: 60,
        signal: stopWatching.signal,
      })
    ) {
      if (event.type === "ADDED" && event.object.metadata.labels?.group !== "raft") return;
    }
    throw new Error("the watch ended before the leader created a new group's StatefulSet");
  })();
  const patched = performance.now();
  await client.patch(AtomixClusterKind, namespace.name, C, {
    spec: {
      partitionGroups: [
        { name: "raft", size: 1, raft: { storage: { className: "election-disks" } } },
        { name: "primary-backup", size: 2, partitions: 7, primaryBackup: {} },
        { name: "log", size: 3, log: { storage: { className: "election-disks" } } },
      ],
    },
  }, "merge");
  await firstNewSet;
  a.process.kill("SIGKILL");
  stopWatching.abort();
  await a.exited;
  const newObjects = async () =>
    (await Promise.all(
      [builtinKinds.ConfigMap, builtinKinds.Service, builtinKinds.StatefulSet].map((kind) =>
        client.list(kind, groupSets)
      ),
    ))
      .flatMap((list) => list.items)
      .filter((o) => o.metadata.labels?.group !== "raft").length;
  const atKill = await client.get(AtomixClusterKind, namespace.name, C);
  const statusWritten =
    (atKill.status as { observedGeneration?: number } | undefined)?.observedGeneration === atKill.metadata.generation;
  console.log(
    `   operator-a killed ${
      (performance.now() - patched).toFixed(0)
    } ms after the patch began, with ${await newObjects()} of the new groups' 6 objects written ` +
      `and the status for the patch ${statusWritten ? "written" : "not yet written"}`,
  );

  await eventually("operator-b to lead", async () => (await b.readyz()).leader, { timeoutMs: leaseBoundMs + 5_000 });
  const lease = JSON.parse(await k("get", "lease", operatorLease, "-n", operatorNamespace, "-o", "json"));
  assert.is(lease.spec.holderIdentity, "operator-b");
  const cluster = await eventually("the cluster converged on its new generation", async () => {
    const current = await json("get", "atomixcluster", C);
    const ready = current.status?.conditions?.find((c: Json) => c.type === "Ready");
    return ready?.status === "True" && current.status.observedGeneration === current.metadata.generation
      ? current
      : undefined;
  }, { timeoutMs: 90_000 });
  console.log(`   patch to Ready through the hand-over: ${((performance.now() - patched) / 1000).toFixed(1)} s`);
  assert.equal(cluster.status.partitionGroups.map((g: Json) => [g.name, g.readyReplicas]), [["raft", 1], [
    "primary-backup",
    2,
  ], ["log", 3]]);

  const owned = await json("get", "statefulsets,services,configmaps,deployments,ingresses", "-l", `app=${C}`);
  assert.equal(owned.items.map((o: Json) => `${o.kind}/${o.metadata.name}`).sort(), [
    `ConfigMap/${C}-config`,
    `ConfigMap/${C}-log-config`,
    `ConfigMap/${C}-primary-backup-config`,
    `ConfigMap/${C}-raft-config`,
    `Service/${C}-log-service`,
    `Service/${C}-primary-backup-service`,
    `Service/${C}-raft-service`,
    `Service/${C}-service`,
    `StatefulSet/${C}`,
    `StatefulSet/${C}-log`,
    `StatefulSet/${C}-primary-backup`,
    `StatefulSet/${C}-raft`,
  ]);
  for (const object of owned.items) {
    assert.equal(object.metadata.ownerReferences.map((o: Json) => [o.kind, o.name, o.uid, o.controller]), [[
      "AtomixCluster",
      C,
      cluster.metadata.uid,
      true,
    ]], object.metadata.name);
  }
  // Nothing of the cluster's that nobody owns (claims belong to their StatefulSet), anywhere in the namespace.
  const all = await json("get", "statefulsets,services,configmaps,pods,persistentvolumeclaims");
  const orphans = all.items.filter((o: Json) => o.metadata.name.startsWith(C) && !o.metadata.ownerReferences?.length);
  assert.equal(orphans.map((o: Json) => `${o.kind}/${o.metadata.name}`), []);
  const pods = await json("get", "pods", "-l", `app=${C}`);
  assert.equal(pods.items.map((p: Json) => p.metadata.name).sort(), [
    `${C}-0`,
    `${C}-log-0`,
    `${C}-log-1`,
    `${C}-log-2`,
    `${C}-primary-backup-0`,
    `${C}-primary-backup-1`,
    `${C}-raft-0`,
  ]);
  assert.equal(b.logs.filter((line) => line.includes('"level":"error"')), [], "the survivor logged no errors");

  await k("delete", "atomixcluster", C, "-n", namespace.name);
  await clusterGone(namespace.name, C);
});

test.run();
