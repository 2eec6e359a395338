// The pure helpers of bench/side-by-side.ts: statistics, era a's CRDs as apiextensions.k8s.io/v1,
// the bare writer's pool and what it writes, what the bench counts as converged, and the
// breakdown rows of its summary.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { eraACrdsYaml } from "../../../bench/originals.ts";
import { crdToV1 } from "../../../bench/side-by-side/crds.ts";
import { extrapolate, quantile, ratio, verdict } from "../../../bench/side-by-side/stats.ts";
import { type Results, summarize } from "../../../bench/side-by-side/summary.ts";
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

test("the summary sets ours beside the bare writer's writes, its own event to apply and Node's floor", () => {
  const split = { v8Pages: 0, mallocMain: 0, otherAnonymous: 0, fileBacked: 0 };
  const mib = 2 ** 20;
  const results: Results = {
    converge: [
      {
        side: "ours",
        generation: "partition-groups",
        n: 10,
        round: 1,
        capped: false,
        convergeMs: 4000,
        work: { requests: { GET: 7, PATCH: 300, POST: 40 }, controllers: {} },
      },
      {
        side: "bare",
        generation: "partition-groups",
        n: 10,
        round: 1,
        capped: false,
        convergeMs: 3000,
        work: { requests: { PATCH: 200 }, controllers: {} },
      },
    ],
    e2a: [
      { side: "ours", generation: "partition-groups", round: 1, samples: [10, 12, 30], timeouts: 0, paceMs: 250 },
      { side: "bare", generation: "partition-groups", round: 1, samples: [6, 8, 22], timeouts: 0, paceMs: 250 },
    ],
    rtt: [{ side: "ours", generation: "partition-groups", round: 1, rtt: [4, 5, 9], toSeen: [5, 6, 10] }],
    rpc: [],
    memory: [{
      side: "ours",
      round: 1,
      atRest: 75 * mib,
      startHighWater: 75 * mib,
      cpuAtStart: 0,
      nodeFloor: { rss: 52 * mib, split },
    }],
    handOff: [],
    errors: [],
    load: [],
  };
  const { rows, notes } = summarize(results, {
    sizes: [10],
    rounds: 1,
    size: { partitions: 3, replicas: 3 },
    createsInFlight: 16,
    bareInFlight: 32,
    restMs: 15_000,
    afterMs: 30_000,
    e2aSamples: 3,
    e2aPaceMs: { ours: 250, "era-a": 2500, "era-b": 250, bare: 250 },
    rpcParents: 10,
    rpcSeconds: 5,
    convergeCapMs: () => 180_000,
    ballastPerKind: 100,
    largeRounds: 1,
  }, { qpsFlags: [], fakeNodes: 1, originals: { eraA: "a", eraB: "b", go: "go" }, cores: 2 });
  const find = (start: string) => rows.find((r) => r.measure!.startsWith(start));
  // Writes: every method but GET, against the bare's applies.
  const writes = find("API writes until converged (N=10, partition-groups)")!;
  assert.is(writes.ours, "340");
  assert.is(writes["bare apply"], "200");
  assert.is(writes["ours / bare"], "1.70×");
  // Event to apply, p99: against one apply (seen at 10 ms) and against the bare's own (22 ms).
  assert.is(find("event to apply at idle, p99: parent created")!["ours / bare"], "+20.0 ms");
  const together = find("event to apply at idle, p99: the same, against the bare writing")!;
  assert.is(together["bare apply"], "created → seen 22.0 ms");
  assert.is(together["ours / bare"], "+8.0 ms");
  // RSS at rest against Node's floor.
  const rest = find("RSS at rest (vs era a)")!;
  assert.is(rest["bare apply"], "Node's floor: 52 MiB");
  assert.is(rest["ours / bare"], "+23 MiB");
  assert.ok(notes.some((note) => note.includes("Node's floor 52 MiB")));
});

test.run();
