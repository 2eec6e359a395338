// Database → Partitions, the Raft storage controller and Partition readiness, as data in and data out.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fingerprint, type KubeObject, type SyncRequest } from "../../../../../runtime/mod.ts";
import { validateResponse } from "../../../../../runtime/testing.ts";
import {
  databasePartitions,
  syncDatabasePartition,
} from "../../../../../functions/atomix-controller/databases/partition.ts";
import { databases, layoutOf, syncDatabase } from "../../../../../functions/atomix-controller/databases/database.ts";
import type {
  Database,
  DatabasePartition,
  RaftStorageClass,
  StorageReference,
} from "../../../../../functions/atomix-controller/kinds.ts";
import {
  configHashAnnotation,
  raftStorage,
  syncRaftStorage,
  usesRaftStorage,
} from "../../../../../functions/atomix-controller/databases/raft-storage.ts";

const raftRef = {
  group: "storage.cloud.atomix.io",
  version: "v1beta1",
  kind: "RaftStorageClass",
  name: "raft",
  namespace: "kube-system",
};

const database = (spec: Database["spec"], namespace = "kube-system"): Database => ({
  apiVersion: "cloud.atomix.io/v1beta2",
  kind: "Database",
  metadata: { name: "raft", namespace, uid: "db-uid", generation: 1 },
  spec,
});

const raftClass = (spec: RaftStorageClass["spec"], namespace = "kube-system"): RaftStorageClass => ({
  apiVersion: "storage.cloud.atomix.io/v1beta1",
  kind: "RaftStorageClass",
  metadata: { name: "raft", namespace },
  spec,
});

const related = (...classes: RaftStorageClass[]) => ({
  "RaftStorageClass.storage.cloud.atomix.io/v1beta1": Object.fromEntries(
    classes.map((c) => [`${c.metadata.namespace}/${c.metadata.name}`, c]),
  ),
});

function request<P extends KubeObject>(parent: P, extra: Partial<SyncRequest<P>> = {}): SyncRequest<P> {
  return { parent, children: {}, related: {}, finalizing: false, ...extra };
}

const names = (objects: Array<{ kind: string; metadata: { name: string } }>) =>
  objects.map((o) => `${o.kind}/${o.metadata.name}`);

const layouts: Array<{ clusters?: number; partitions?: number; expected: Array<[number, number]> }> = [
  { clusters: 3, partitions: 1, expected: [[1, 1], [2, 2], [3, 3]] },
  { clusters: 2, partitions: 2, expected: [[1, 1], [2, 1], [3, 2], [4, 2]] },
  { expected: [[1, 1]] },
];
for (const { clusters, partitions, expected } of layouts) {
  test(`layout of ${clusters ?? "default"} clusters × ${partitions ?? "default"} partitions`, () => {
    const layout = layoutOf(database({ clusters, template: { spec: { partitions, storage: raftRef } } }));
    assert.equal(layout.partitions.map((p) => [p.id, p.cluster]), expected);
  });
}

test("the seed Database: Partitions raft-1..3, each with its cluster and Service", () => {
  const parent = database({ clusters: 3, template: { spec: { partitions: 1, storage: raftRef } } });
  const response = syncDatabase(request(parent, { related: related(raftClass({ replicas: 3 })) }));
  assert.equal(names(response.children!), ["Partition/raft-1", "Partition/raft-2", "Partition/raft-3"]);
  assert.equal(response.children![1]!.spec, { database: "raft", cluster: 2, partitionId: 2, serviceName: "raft-2" });
  assert.equal(response.status!.partitions, 3);
  assert.equal(
    (response.status!.conditions as Array<{ status: string; reason: string }>)[0]!.reason,
    "PartitionsNotReady",
  );
  validateResponse(databases, parent, response, false);
});

test("readyPartitions counts the Partitions whose status is ready", () => {
  const parent = database({ clusters: 2, template: { spec: { partitions: 1, storage: raftRef } } });
  const partition = (name: string, ready: boolean): DatabasePartition => ({
    apiVersion: "cloud.atomix.io/v1beta2",
    kind: "Partition",
    metadata: { name, namespace: "kube-system" },
    spec: {},
    status: { ready },
  });
  const children = {
    "Partition.cloud.atomix.io/v1beta2": { "raft-1": partition("raft-1", true), "raft-2": partition("raft-2", true) },
  };
  const response = syncDatabase(request(parent, { children, related: related(raftClass({})) }));
  assert.equal(response.status!.readyPartitions, 2);
  assert.equal((response.status!.conditions as Array<{ status: string }>)[0]!.status, "True");
});

const storageProblems: Array<
  { title: string; storage: StorageReference; classes: RaftStorageClass[]; message: string }
> = [
  {
    title: "a missing class",
    storage: raftRef,
    classes: [],
    message: "RaftStorageClass kube-system/raft does not exist",
  },
  {
    title: "a class in another namespace",
    storage: raftRef,
    classes: [raftClass({}, "default")],
    message: "RaftStorageClass kube-system/raft does not exist",
  },
  {
    title: "an empty namespace means the Database's own",
    storage: { ...raftRef, namespace: "" },
    classes: [raftClass({}, "kube-system")],
    message: "",
  },
  {
    title: "an unknown kind",
    storage: { ...raftRef, kind: "EtcdStorageClass" },
    classes: [raftClass({})],
    message: "storage.cloud.atomix.io/v1beta1/EtcdStorageClass, which is not a storage class kind",
  },
];
for (const { title, storage, classes, message } of storageProblems) {
  test(`storage reference: ${title}`, () => {
    const response = syncDatabase(
      request(database({ clusters: 1, template: { spec: { storage } } }), { related: related(...classes) }),
    );
    const condition = (response.status!.conditions as Array<{ reason: string; message: string }>)[0]!;
    if (message) {
      assert.equal(condition.reason, "StorageNotFound");
      assert.match(condition.message, message);
      assert.equal(response.children, [], "nothing is created until the class exists");
    } else {
      assert.equal(names(response.children!), ["Partition/raft-1"]);
    }
  });
}

test("Raft storage: per cluster a ConfigMap, headless Service and StatefulSet; per partition a Service", () => {
  const parent = database({ clusters: 2, template: { spec: { partitions: 2, storage: raftRef } } });
  const response = syncRaftStorage(
    { clusterDomain: "cluster.local" },
    request(parent, {
      related: related(raftClass({ replicas: 3, image: "atomix/raft-replica:v1", imagePullPolicy: "Always" })),
    }),
  );
  assert.equal(names(response.children!), [
    "ConfigMap/raft-1-config",
    "Service/raft-1-hs",
    "StatefulSet/raft-1",
    "ConfigMap/raft-2-config",
    "Service/raft-2-hs",
    "StatefulSet/raft-2",
    "Service/raft-1",
    "Service/raft-2",
    "Service/raft-3",
    "Service/raft-4",
  ]);
  const statefulSet = response.children!.find((c) =>
    c.metadata.name === "raft-2" && c.kind === "StatefulSet"
  )! as unknown as {
    spec: {
      replicas: number;
      serviceName: string;
      selector: { matchLabels: Record<string, string> };
      template: { spec: { containers: Array<{ image: string; imagePullPolicy: string }> } };
    };
  };
  assert.equal(statefulSet.spec.replicas, 3);
  assert.equal(statefulSet.spec.serviceName, "raft-2-hs");
  assert.equal(statefulSet.spec.template.spec.containers[0]!.image, "atomix/raft-replica:v1");
  assert.equal(statefulSet.spec.template.spec.containers[0]!.imagePullPolicy, "Always");
  const config = JSON.parse(
    (response.children!.find((c) => c.metadata.name === "raft-2-config")!.data as Record<string, string>)[
      "cluster.json"
    ]!,
  );
  assert.equal(config, {
    replicas: [0, 1, 2].map((i) => ({
      id: `raft-2-${i}`,
      host: `raft-2-${i}.raft-2-hs.kube-system.svc.cluster.local`,
      apiPort: 5678,
      protocolPort: 5679,
    })),
    partitions: [{ partition: 3 }, { partition: 4 }],
  });
  const service = response.children!.find((c) => c.kind === "Service" && c.metadata.name === "raft-3")! as unknown as {
    spec: { selector: Record<string, string>; ports: Array<{ port: number }> };
  };
  assert.equal(
    service.spec.selector,
    statefulSet.spec.selector.matchLabels,
    "a partition's Service selects its cluster's pods",
  );
  assert.equal(service.spec.ports[0]!.port, 5678);
  validateResponse(raftStorage(), parent, response, false);
});

test("Raft storage: changing the class's replicas changes every cluster's StatefulSet and config hash", () => {
  const parent = database({ clusters: 2, template: { spec: { partitions: 1, storage: raftRef } } });
  const sync = (replicas: number) =>
    syncRaftStorage({ clusterDomain: "cluster.local" }, request(parent, { related: related(raftClass({ replicas })) }))
      .children!;
  const statefulSets = (children: ReturnType<typeof sync>) =>
    children.filter((c) => c.kind === "StatefulSet").map((c) => {
      const spec = c.spec as { replicas: number; template: { metadata: { annotations: Record<string, string> } } };
      return [spec.replicas, spec.template.metadata.annotations[configHashAnnotation]];
    });
  const before = statefulSets(sync(3));
  const after = statefulSets(sync(5));
  assert.equal(before.map(([replicas]) => replicas), [3, 3]);
  assert.equal(after.map(([replicas]) => replicas), [5, 5]);
  for (let i = 0; i < 2; i++) assert.not.equal(before[i]![1], after[i]![1], "a new member list rolls the pods");
});

test("Raft storage: without its class it keeps what exists; other storage kinds are filtered out", () => {
  const parent = database({ clusters: 1, template: { spec: { storage: raftRef } } });
  assert.equal(syncRaftStorage({ clusterDomain: "cluster.local" }, request(parent)).children, []);
  assert.ok(usesRaftStorage(parent));
  assert.not.ok(
    usesRaftStorage(database({ template: { spec: { storage: { ...raftRef, kind: "EtcdStorageClass" } } } })),
  );
});

test("fingerprint is stable and sensitive", () => {
  assert.equal(fingerprint("abc"), fingerprint("abc"));
  assert.not.equal(fingerprint("abc"), fingerprint("abd"));
  assert.equal(fingerprint("").length, 8);
});

const ownedBy = (
  kind: string,
  name: string,
  uid: string,
) => [{ apiVersion: "x/v1", kind, name, uid, controller: true }];
const readiness: Array<{
  title: string;
  statefulSet?: { replicas: number; readyReplicas: number; owner?: ReturnType<typeof ownedBy> };
  ready: boolean;
  reason: string;
}> = [
  { title: "no StatefulSet yet", ready: false, reason: "ClusterNotFound" },
  { title: "2 of 3 ready", statefulSet: { replicas: 3, readyReplicas: 2 }, ready: false, reason: "ClusterNotReady" },
  { title: "3 of 3 ready", statefulSet: { replicas: 3, readyReplicas: 3 }, ready: true, reason: "ClusterReady" },
  {
    title: "3 of 3 ready, controlled by the Database",
    statefulSet: { replicas: 3, readyReplicas: 3, owner: ownedBy("Database", "raft", "db-uid") },
    ready: true,
    reason: "ClusterReady",
  },
  {
    title: "3 of 3 ready, but the name belongs to a PartitionGroup's Partition",
    statefulSet: { replicas: 3, readyReplicas: 3, owner: ownedBy("Partition", "raft-2", "other-uid") },
    ready: false,
    reason: "ClusterNameTaken",
  },
];
for (const { title, statefulSet, ready, reason } of readiness) {
  test(`Partition readiness: ${title}`, () => {
    const partition: DatabasePartition = {
      apiVersion: "cloud.atomix.io/v1beta2",
      kind: "Partition",
      metadata: { name: "raft-2", namespace: "kube-system", ownerReferences: ownedBy("Database", "raft", "db-uid") },
      spec: { database: "raft", cluster: 2, partitionId: 2, serviceName: "raft-2" },
    };
    const sts = statefulSet && {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: {
        name: "raft-2",
        namespace: "kube-system",
        ...(statefulSet.owner && { ownerReferences: statefulSet.owner }),
      },
      spec: { replicas: statefulSet.replicas },
      status: { readyReplicas: statefulSet.readyReplicas },
    };
    const response = syncDatabasePartition(
      request(partition, { related: sts ? { "StatefulSet.apps/v1": { "kube-system/raft-2": sts } } : {} }),
    );
    assert.equal(response.status!.ready, ready);
    const condition = (response.status!.conditions as Array<{ reason: string; message: string }>)[0]!;
    assert.equal(condition.reason, reason);
    if (reason === "ClusterNameTaken") {
      assert.match(condition.message, "StatefulSet raft-2 belongs to Partition raft-2, not to Database raft");
    }
    assert.equal(databasePartitions.related!.select(partition), [{
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      names: ["raft-2"],
    }]);
  });
}

test.run();
