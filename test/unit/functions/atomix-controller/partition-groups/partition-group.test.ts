// PartitionGroup → Partitions, Service and EndpointSlice, as data in and data out.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { KubeObject, SyncRequest } from "../../../../../runtime/mod.ts";
import { validateResponse } from "../../../../../runtime/testing.ts";
import type { PartitionGroup } from "../../../../../functions/atomix-controller/kinds.ts";
import {
  partitionGroups,
  syncPartitionGroup,
} from "../../../../../functions/atomix-controller/partition-groups/partition-group.ts";

const group = (spec: Record<string, unknown>): PartitionGroup => ({
  apiVersion: "k8s.atomix.io/v1alpha1",
  kind: "PartitionGroup",
  metadata: { name: "raft", namespace: "default", uid: "uid-1", generation: 1 },
  spec,
});

const request = (
  parent: PartitionGroup,
  extra: Partial<SyncRequest<PartitionGroup>> = {},
): SyncRequest<PartitionGroup> => ({
  parent,
  children: {},
  related: {},
  finalizing: false,
  ...extra,
});

const partition = (name: string, ready: boolean): KubeObject => ({
  apiVersion: "k8s.atomix.io/v1alpha1",
  kind: "Partition",
  metadata: { name, namespace: "default" },
  spec: {},
  status: { ready },
});

const service = (name: string, clusterIP: string): KubeObject => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace: "default" },
  spec: { clusterIP },
});

const names = (objects: Array<{ kind: string; metadata: { name: string } }>) =>
  objects.map((o) => `${o.kind}/${o.metadata.name}`);

const cases: Array<{ title: string; spec: Record<string, unknown>; partitions: string[] }> = [
  {
    title: "3 partitions",
    spec: { partitions: 3, partitionSize: 3, raft: {} },
    partitions: ["raft-1", "raft-2", "raft-3"],
  },
  { title: "defaults to 1 partition", spec: { raft: {} }, partitions: ["raft-1"] },
  {
    title: "5 log partitions",
    spec: { partitions: 5, log: {} },
    partitions: ["raft-1", "raft-2", "raft-3", "raft-4", "raft-5"],
  },
];

for (const { title, spec, partitions } of cases) {
  test(`${title}: one Partition per index, the group Service and its EndpointSlice`, () => {
    const response = syncPartitionGroup(request(group(spec)));
    const children = response.children!;
    assert.equal(
      names(children),
      [...partitions.map((p) => `Partition/${p}`), "Service/raft", "EndpointSlice/raft"],
    );
    validateResponse(partitionGroups, group(spec), response, false);
  });
}

test("each Partition carries the group's template, its index and the documented labels", () => {
  const spec = {
    partitions: 2,
    partitionSize: 3,
    version: "v1.2",
    raft: { electionTimeout: "2s" },
    env: [{ name: "A", value: "b" }],
  };
  const [first, second] = syncPartitionGroup(request(group(spec))).children!;
  assert.equal(first!.metadata.labels, { app: "atomix", type: "partition", group: "raft", partition: "1" });
  assert.equal(first!.spec, {
    group: "raft",
    partitionId: 1,
    version: "v1.2",
    partitionSize: 3,
    raft: { electionTimeout: "2s" },
    env: [{ name: "A", value: "b" }],
  });
  assert.is((second!.spec as { partitionId: number }).partitionId, 2);
});

test("the group Service is headless and selector-less; the EndpointSlice lists partition Service addresses by partition name", () => {
  const response = syncPartitionGroup(
    request(group({ partitions: 3, raft: {} }), {
      related: {
        "Service.v1": {
          "default/raft-1": service("raft-1", "10.96.0.11"),
          "default/raft-2": service("raft-2", "10.96.0.12"),
        },
      },
    }),
  );
  const svc = response.children!.find((c) => c.kind === "Service")!;
  assert.equal(svc.spec, { clusterIP: "None", ports: [{ name: "api", port: 5678, protocol: "TCP" }] });
  const slice = response.children!.find((c) => c.kind === "EndpointSlice")!;
  assert.is(slice.metadata.labels!["kubernetes.io/service-name"], "raft");
  assert.is(slice.addressType, "IPv4");
  assert.equal(slice.endpoints, [
    { addresses: ["10.96.0.11"], hostname: "raft-1", conditions: { ready: true } },
    { addresses: ["10.96.0.12"], hostname: "raft-2", conditions: { ready: true } },
  ]);
  assert.equal(slice.ports, [{ name: "api", port: 5678, protocol: "TCP" }]);
});

const statusCases = [
  { ready: [true, true, true], readyPartitions: 3, condition: "True", reason: "PartitionsReady" },
  { ready: [true, false, true], readyPartitions: 2, condition: "False", reason: "PartitionsNotReady" },
  { ready: [], readyPartitions: 0, condition: "False", reason: "PartitionsNotReady" },
];
for (const { ready, readyPartitions, condition, reason } of statusCases) {
  test(`status counts ${readyPartitions} ready of 3`, () => {
    const existing = Object.fromEntries(ready.map((r, i) => [`raft-${i + 1}`, partition(`raft-${i + 1}`, r)]));
    const status = syncPartitionGroup(
      request(group({ partitions: 3, raft: {} }), { children: { "Partition.k8s.atomix.io/v1alpha1": existing } }),
    ).status!;
    assert.is(status.partitions, 3);
    assert.is(status.readyPartitions, readyPartitions);
    const conditions = status.conditions as Array<{ status: string; reason: string }>;
    assert.is(conditions[0]!.status, condition);
    assert.is(conditions[0]!.reason, reason);
  });
}

const invalid = [
  { spec: { partitions: 3 }, message: "spec must set exactly one protocol: raft, primaryBackup or log" },
  { spec: { partitions: 3, raft: {}, log: {} }, message: "spec sets raft and log; set exactly one protocol" },
  {
    spec: { partitions: 3, raft: { storage: { className: "fast" } } },
    message: 'storage class "fast" does not exist: create it, or change spec.raft.storage.className',
  },
];
for (const { spec, message } of invalid) {
  test(`unusable spec keeps existing children and says: ${message}`, () => {
    const existing = {
      "raft-1": {
        ...partition("raft-1", true),
        metadata: { name: "raft-1", namespace: "default", uid: "u", resourceVersion: "5", labels: { a: "b" } },
      },
    };
    const response = syncPartitionGroup(
      request(group(spec), { children: { "Partition.k8s.atomix.io/v1alpha1": existing } }),
    );
    assert.equal(names(response.children!), ["Partition/raft-1"]);
    assert.equal(
      response.children![0]!.metadata,
      { name: "raft-1", labels: { a: "b" } },
      "server-owned metadata is not restated",
    );
    const condition = (response.status!.conditions as Array<{ status: string; reason: string; message: string }>)[0]!;
    assert.equal([condition.status, condition.reason, condition.message], ["False", "InvalidSpec", message]);
  });
}

test("an existing storage class is accepted", () => {
  const response = syncPartitionGroup(
    request(group({ raft: { storage: { className: "fast" } } }), {
      related: {
        "StorageClass.storage.k8s.io/v1": {
          fast: { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: "fast" } },
        },
      },
    }),
  );
  assert.equal(names(response.children!), ["Partition/raft-1", "Service/raft", "EndpointSlice/raft"]);
});

test("related() asks for the group's partition Services and its storage class", () => {
  assert.equal(partitionGroups.related!.select(group({ raft: { storage: { className: "fast" } } })), [
    { apiVersion: "v1", kind: "Service", matchLabels: { app: "atomix", type: "partition", group: "raft" } },
    { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", names: ["fast"] },
  ]);
});

test.run();
