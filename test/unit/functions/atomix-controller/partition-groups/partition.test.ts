// Partition → ConfigMap, StatefulSet, Services and PodDisruptionBudget, as data in and data out.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { SyncRequest } from "../../../../../runtime/mod.ts";
import { validateResponse } from "../../../../../runtime/testing.ts";
import type { Partition } from "../../../../../functions/atomix-controller/kinds.ts";
import {
  defaultPartitionOptions,
  partitions,
  syncPartition,
} from "../../../../../functions/atomix-controller/partition-groups/partition.ts";

const partition = (spec: Record<string, unknown>, name = "raft-2"): Partition => ({
  apiVersion: "k8s.atomix.io/v1alpha1",
  kind: "Partition",
  metadata: { name, namespace: "prod", uid: "uid-2", generation: 1 },
  spec: { group: "raft", partitionId: 2, version: "latest", ...spec },
});
const request = (parent: Partition, children: SyncRequest<Partition>["children"] = {}): SyncRequest<Partition> => ({
  parent,
  children,
  related: {},
  finalizing: false,
});
const sync = (spec: Record<string, unknown>, children?: SyncRequest<Partition>["children"]) =>
  syncPartition(defaultPartitionOptions, request(partition(spec), children));
const child = (response: ReturnType<typeof sync>, kind: string, name: string) =>
  response.children!.find((c) => c.kind === kind && c.metadata.name === name)!;
type Json = Record<string, any>;

test("a Partition owns its config, StatefulSet, two Services and a PDB", () => {
  const response = sync({ partitionSize: 3, raft: {} });
  assert.equal(
    response.children!.map((c) => `${c.kind}/${c.metadata.name}`),
    [
      "ConfigMap/raft-2-config",
      "StatefulSet/raft-2",
      "Service/raft-2",
      "Service/raft-2-hs",
      "PodDisruptionBudget/raft-2",
    ],
  );
  validateResponse(partitions(), partition({ raft: {} }), response, false);
});

test("partition.json names the partition, the controller and every member", () => {
  const config = JSON.parse(
    (child(sync({ partitionSize: 2, raft: {} }), "ConfigMap", "raft-2-config").data as Json)["partition.json"],
  );
  assert.equal(config, {
    partition: { partition: 2, group: { name: "raft", namespace: "prod" } },
    controller: { id: "atomix-controller", host: "atomix-controller.kube-system.svc.cluster.local", port: 5679 },
    members: [
      { id: "raft-2-0", host: "raft-2-0.raft-2-hs.prod.svc.cluster.local", apiPort: 5678, protocolPort: 5679 },
      { id: "raft-2-1", host: "raft-2-1.raft-2-hs.prod.svc.cluster.local", apiPort: 5678, protocolPort: 5679 },
    ],
    partitions: [{ partition: 2, group: { name: "raft", namespace: "prod" } }],
  });
});

const protocols = [
  { spec: { raft: {} }, json: {} },
  {
    spec: {
      raft: {
        electionTimeout: "2500ms",
        heartbeatInterval: "1s",
        storage: { level: "MAPPED", segmentSize: 1024 },
        compaction: { dynamic: true },
      },
    },
    json: {
      electionTimeout: "2.500s",
      heartbeatInterval: "1s",
      storage: { segmentSize: 1024, level: "MAPPED" },
      compaction: { dynamic: true },
    },
  },
  { spec: { log: { memberGroupStrategy: "RACK_AWARE" } }, json: { memberGroupStrategy: "RACK_AWARE" } },
  {
    spec: { primaryBackup: { backups: 2, replication: "ASYNCHRONOUS" } },
    json: { backups: 2, replication: "ASYNCHRONOUS" },
  },
];
for (const { spec, json } of protocols) {
  test(`protocol.json for ${JSON.stringify(spec)}`, () => {
    const data = child(sync(spec), "ConfigMap", "raft-2-config").data as Json;
    assert.equal(JSON.parse(data["protocol.json"]), json);
  });
}

const images = [
  { spec: { raft: {} }, image: "atomix/raft-replica:latest" },
  { spec: { version: "v3", log: {} }, image: "atomix/log-replica:v3" },
  { spec: { version: "v3", primaryBackup: {} }, image: "atomix/primary-backup-replica:v3" },
  { spec: { raft: { image: "example/raft:dev", imagePullPolicy: "Always" } }, image: "example/raft:dev" },
];
for (const { spec, image } of images) {
  test(`image ${image}`, () => {
    const container = (child(sync(spec), "StatefulSet", "raft-2").spec as Json).template.spec.containers[0];
    assert.is(container.image, image);
  });
}

test("the StatefulSet: partitionSize replicas, ports, probes, anti-affinity, parallel start, config mount", () => {
  const set = child(sync({ partitionSize: 3, raft: {} }), "StatefulSet", "raft-2").spec as Json;
  assert.is(set.replicas, 3);
  assert.is(set.serviceName, "raft-2-hs");
  assert.is(set.podManagementPolicy, "Parallel");
  assert.equal(set.selector.matchLabels, { app: "atomix", type: "partition", group: "raft", partition: "2" });
  const pod = set.template.spec;
  const container = pod.containers[0];
  assert.equal(container.ports, [
    { name: "api", containerPort: 5678, protocol: "TCP" },
    { name: "protocol", containerPort: 5679, protocol: "TCP" },
  ]);
  assert.equal(container.readinessProbe.exec.command, ["stat", "/tmp/atomix-ready"]);
  assert.equal(container.livenessProbe.tcpSocket, { port: 5678 });
  assert.equal(container.volumeMounts, [{ name: "config", mountPath: "/etc/atomix" }]);
  assert.is(
    pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey,
    "kubernetes.io/hostname",
  );
  assert.is(set.volumeClaimTemplates, undefined);
});

test("storage size and class become a volume claim template", () => {
  const response = syncPartition(defaultPartitionOptions, {
    ...request(partition({ raft: { storage: { className: "fast", size: "2Gi" } } })),
    related: {
      "StorageClass.storage.k8s.io/v1": {
        fast: { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: "fast" } },
      },
    },
  });
  const set = child(response, "StatefulSet", "raft-2").spec as Json;
  assert.equal(set.volumeClaimTemplates[0].spec, {
    accessModes: ["ReadWriteOnce"],
    storageClassName: "fast",
    resources: { requests: { storage: "2Gi" } },
  });
  assert.equal(set.template.spec.containers[0].volumeMounts[1], { name: "data", mountPath: "/var/lib/atomix" });
});

test("Services: api on 5678; headless with both ports and not-ready addresses", () => {
  const response = sync({ raft: {} });
  assert.equal((child(response, "Service", "raft-2").spec as Json).ports, [{
    name: "api",
    port: 5678,
    targetPort: 5678,
    protocol: "TCP",
  }]);
  const headless = child(response, "Service", "raft-2-hs").spec as Json;
  assert.is(headless.clusterIP, "None");
  assert.is(headless.publishNotReadyAddresses, true);
  assert.equal(headless.ports.map((p: Json) => p.port), [5678, 5679]);
});

for (const [size, majority] of [[1, 1], [2, 2], [3, 2], [4, 3], [5, 3]] as const) {
  test(`a PodDisruptionBudget keeps ${majority} of ${size}`, () => {
    const pdb = child(sync({ partitionSize: size, raft: {} }), "PodDisruptionBudget", "raft-2").spec as Json;
    assert.is(pdb.minAvailable, majority);
    assert.equal(pdb.selector.matchLabels, { app: "atomix", type: "partition", group: "raft", partition: "2" });
  });
}

for (const [readyReplicas, ready] of [[0, false], [2, false], [3, true]] as const) {
  test(`status: ${readyReplicas} of 3 ready replicas → ready ${ready}`, () => {
    const set = { apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "raft-2" }, status: { readyReplicas } };
    const status = sync({ partitionSize: 3, raft: {} }, { "StatefulSet.apps/v1": { "raft-2": set } }).status!;
    assert.is(status.readyReplicas, readyReplicas);
    assert.is(status.ready, ready);
  });
}

test("a malformed duration is reported with the field, and nothing changes", () => {
  const response = sync({ raft: { electionTimeout: "soon" } });
  assert.equal(response.children, []);
  const condition = (response.status!.conditions as Json[])[0]!;
  assert.is(condition.reason, "InvalidSpec");
  assert.is(condition.message, 'spec.raft.electionTimeout "soon" is not a duration such as 500ms, 5s, 1m or 1h');
});

test.run();
