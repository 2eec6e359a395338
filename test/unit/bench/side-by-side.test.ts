// The pure helpers of bench/side-by-side.ts: statistics, era a's CRDs as apiextensions.k8s.io/v1,
// the bare writer's pool and what it writes, and what the bench counts as converged.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { eraACrdsYaml } from "../../../bench/originals.ts";
import { crdToV1 } from "../../../bench/side-by-side/crds.ts";
import { extrapolate, quantile, ratio, verdict } from "../../../bench/side-by-side/stats.ts";
import { readyOf } from "../../../bench/side-by-side/track.ts";
import {
  barePartitionGroup,
  barePriority,
  eraBDatabase,
  expected,
  partitionGroup,
  partitionSet,
  pool,
  registerKinds,
} from "../../../bench/side-by-side/workload.ts";
import { builtinKinds, type KubeObject } from "../../../runtime/mod.ts";
import { PartitionKind } from "../../../functions/atomix-controller/kinds.ts";

test("quantile is nearest-rank; ratio and verdict say n/a when a side is missing", () => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.is(quantile(values, 0.5), 50);
  assert.is(quantile(values, 0.99), 99);
  assert.is(quantile(values, 1), 100);
  assert.is(quantile([7], 0.99), 7);
  assert.ok(Number.isNaN(quantile([], 0.5)));
  assert.is(ratio(40, 100), "0.40×");
  assert.is(ratio(40, undefined), "n/a");
  assert.is(ratio(40, 0), "n/a");
  assert.is(verdict(true), "met");
  assert.is(verdict(false), "not met");
  assert.is(verdict(undefined), "n/a");
});

test("a run stopped at its cap is estimated from the rate of its recent progress", () => {
  // 300 of 1000 done at 120 s, 150 at 60 s: 2.5 per second, 700 to go → 280 s more.
  assert.is(extrapolate({ ms: 120_000, done: 300 }, { ms: 60_000, done: 150 }, 1000), 400_000);
  assert.is(extrapolate({ ms: 120_000, done: 150 }, { ms: 60_000, done: 150 }, 1000), undefined);
});

test("era a's v1beta1 CRDs become v1: one served and stored version, status subresource, a schema that keeps every field", () => {
  const v1 = crdToV1({
    apiVersion: "apiextensions.k8s.io/v1beta1",
    kind: "CustomResourceDefinition",
    metadata: { name: "partitionsets.k8s.atomix.io" },
    spec: {
      group: "k8s.atomix.io",
      names: { kind: "PartitionSet", listKind: "PartitionSetList", plural: "partitionsets", singular: "partitionset" },
      scope: "Namespaced",
      version: "v1alpha1",
      subresources: { status: {} },
      additionalPrinterColumns: [{ name: "Ready", type: "integer", JSONPath: ".status.readyPartitions" }],
    },
  });
  assert.equal(v1, {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "partitionsets.k8s.atomix.io" },
    spec: {
      group: "k8s.atomix.io",
      names: { kind: "PartitionSet", listKind: "PartitionSetList", plural: "partitionsets", singular: "partitionset" },
      scope: "Namespaced",
      versions: [
        {
          name: "v1alpha1",
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
          subresources: { status: {} },
          additionalPrinterColumns: [{ name: "Ready", type: "integer", jsonPath: ".status.readyPartitions" }],
        },
      ],
    },
  });
  assert.throws(
    () => crdToV1({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } }),
    /not a CustomResourceDefinition/,
  );
});

test("eraACrdsYaml keeps only the CustomResourceDefinitions of the upstream manifest", () => {
  const upstream = [
    "apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\nmetadata:\n  name: partitions.k8s.atomix.io\nspec:\n  group: k8s.atomix.io\n  names: {kind: Partition, plural: partitions}\n  scope: Namespaced\n  version: v1alpha1",
    "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: atomix-controller",
  ].join("\n---\n");
  const yaml = eraACrdsYaml(upstream);
  assert.match(yaml, /apiVersion: apiextensions.k8s.io\/v1\n/);
  assert.not.match(yaml, /ServiceAccount/);
  assert.throws(
    () => eraACrdsYaml("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: x\n"),
    /no CustomResourceDefinition/,
  );
});

test("the pool keeps at most `limit` tasks in flight and starts waiting tasks by priority, then in order", async () => {
  const run = pool(2);
  const started: string[] = [];
  let active = 0;
  let most = 0;
  const releases: Array<() => void> = [];
  const task = (name: string) => () =>
    new Promise<void>((resolve) => {
      started.push(name);
      active++;
      most = Math.max(most, active);
      releases.push(() => {
        active--;
        resolve();
      });
    });
  const all = [
    run(task("a"), 3),
    run(task("b"), 3),
    run(task("c"), 3),
    run(task("d"), 1),
    run(task("e"), 0),
    run(task("f"), 1),
  ];
  while (releases.length || started.length < 6) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    releases.shift()?.();
  }
  await Promise.all(all);
  assert.equal(started, ["a", "b", "e", "d", "f", "c"]);
  assert.is(most, 2);
  assert.is(barePriority("Database"), 0);
  assert.is(barePriority("Partition"), 1);
  assert.is(barePriority("StatefulSet"), 2);
  assert.is(barePriority("Service"), 3);
});

test("the bare writer applies what our functions answer, owned and labelled as the runtime stamps them", async () => {
  registerKinds([
    PartitionKind,
    builtinKinds.Service,
    builtinKinds.EndpointSlice,
    builtinKinds.ConfigMap,
    builtinKinds.StatefulSet,
    builtinKinds.PodDisruptionBudget,
  ]);
  const group = {
    ...partitionGroup("g", "ns", { partitions: 2, replicas: 3 }),
    metadata: { name: "g", namespace: "ns", uid: "uid-g" },
  };
  const applied: KubeObject[] = [];
  await barePartitionGroup(group, async (_kind, object) => {
    applied.push(object);
    return { ...object, metadata: { ...object.metadata, uid: `uid-${object.metadata.name}` } };
  });
  const names = applied.map((o) => `${o.kind}/${o.metadata.name}`).sort();
  assert.equal(names, [
    "ConfigMap/g-1-config",
    "ConfigMap/g-2-config",
    "EndpointSlice/g",
    "Partition/g-1",
    "Partition/g-2",
    "PodDisruptionBudget/g-1",
    "PodDisruptionBudget/g-2",
    "Service/g",
    "Service/g-1",
    "Service/g-1-hs",
    "Service/g-2",
    "Service/g-2-hs",
    "StatefulSet/g-1",
    "StatefulSet/g-2",
  ]);
  for (const object of applied) assert.is(object.metadata.namespace, "ns");
  const statefulSet = applied.find((o) => o.kind === "StatefulSet")!;
  assert.equal(statefulSet.metadata.ownerReferences, [{
    apiVersion: "k8s.atomix.io/v1alpha1",
    kind: "Partition",
    name: statefulSet.metadata.name,
    uid: `uid-${statefulSet.metadata.name}`,
    controller: true,
    blockOwnerDeletion: true,
  }]);
  assert.is(statefulSet.metadata.labels?.["app.kubernetes.io/managed-by"], "partitions");
  assert.is((statefulSet.spec as { replicas: number }).replicas, 3);
  // The counts the bench waits for match what is written: the group Service and two per partition.
  assert.is(
    names.filter((n) => n.startsWith("Service/")).length,
    expected("partition-groups", 1, { partitions: 2, replicas: 3 }).services,
  );
});

test("the originals' parents are shaped as their examples", () => {
  assert.equal(partitionSet("raft", "ns", { partitions: 3, replicas: 3 }).spec, {
    partitions: 3,
    template: { spec: { size: 3, protocol: "raft", config: "electionTimeout: 5s\nheartbeatInterval: 1s\n" } },
  });
  assert.equal(eraBDatabase("raft", "ns", { partitions: 3, replicas: 3 }).spec, {
    partitions: 3,
    storageClass: { group: "storage.cloud.atomix.io", version: "v1beta3", kind: "RaftStorage", name: "raft" },
  });
});

test("a StatefulSet counts once every replica is ready; anything else by existing", () => {
  const sts = (replicas: number, ready?: number): KubeObject => ({
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "s" },
    spec: { replicas },
    status: ready === undefined ? {} : { readyReplicas: ready },
  });
  assert.is(readyOf(sts(3, 3)), true);
  assert.is(readyOf(sts(3, 2)), false);
  assert.is(readyOf(sts(3)), false);
  assert.is(readyOf({ apiVersion: "v1", kind: "Service", metadata: { name: "s" } }), true);
});

test.run();
