// The workloads, shaped for each side: N parents of P partitions of R replicas each.
//  - partition groups: our PartitionGroup (k8s.atomix.io/v1alpha1) and era a's PartitionSet;
//  - databases: our Database (cloud.atomix.io/v1beta2, P clusters of one partition, on a
//    RaftStorageClass of R replicas) and era b's Database (cloud.atomix.io/v1beta3, P partitions).
// "bare" writes what our controller would, itself: the children come from our pure functions
// (syncPartitionGroup, syncPartition, syncDatabase, syncRaftStorage), stamped with the owner
// reference and label as the runtime stamps them, and are applied server-side.
import { type Kind, kind, kindKey, type KubeObject, type ObjectsByKind } from "../../runtime/mod.ts";
import { stampChild } from "../../runtime/reconcile/plan.ts";
import { syncDatabase } from "../../functions/atomix-controller/databases/database.ts";
import {
  type Database,
  DatabaseKind,
  DatabasePartitionKind,
  type Partition,
  type PartitionGroup,
  PartitionGroupKind,
  PartitionKind,
  RaftStorageClassKind,
} from "../../functions/atomix-controller/kinds.ts";
import { syncPartitionGroup } from "../../functions/atomix-controller/partition-groups/partition-group.ts";
import {
  defaultPartitionOptions,
  syncPartition,
} from "../../functions/atomix-controller/partition-groups/partition.ts";
import {
  defaultRaftStorageOptions,
  syncRaftStorage,
} from "../../functions/atomix-controller/databases/raft-storage.ts";

export type Generation = "partition-groups" | "databases";
export type Side = "ours" | "era-a" | "era-b" | "bare";

export interface Size {
  partitions: number;
  replicas: number;
}

export const PartitionSetKind = kind("k8s.atomix.io/v1alpha1", "PartitionSet", "partitionsets");
export const EraAPartitionKind = kind("k8s.atomix.io/v1alpha1", "Partition", "partitions");
export const EraBDatabaseKind = kind("cloud.atomix.io/v1beta3", "Database", "databases");
export const EraBPartitionKind = kind("cloud.atomix.io/v1beta3", "Partition", "partitions");
export const EndpointsKind = kind("v1", "Endpoints", "endpoints");

/** The storage class our Databases use, one per namespace. */
export const raftClassName = "raft";

export interface Shape {
  generation: Generation;
  side: Side;
  parentKind: Kind;
  partitionKind: Kind;
  parent(name: string, namespace: string, size: Size): KubeObject;
  /** What must exist in the namespace before parents are created. */
  prerequisites(namespace: string, size: Size): Array<{ kind: Kind; object: KubeObject }>;
  /** The child each side writes first for a new parent, and the tracker kind it is in. */
  firstChild: { tracked: "services" | "partitions"; name: (parent: string) => string };
}

export function shapeOf(generation: Generation, side: Side): Shape {
  if (generation === "partition-groups") {
    if (side === "era-b") throw new Error("era b has no partition groups");
    return {
      generation,
      side,
      parentKind: side === "era-a" ? PartitionSetKind : PartitionGroupKind,
      partitionKind: side === "era-a" ? EraAPartitionKind : PartitionKind,
      parent: side === "era-a" ? partitionSet : partitionGroup,
      prerequisites: () => [],
      // Both write the group's Service <name> first (era a before anything else).
      firstChild: { tracked: "services", name: (parent) => parent },
    };
  }
  if (side === "era-a") throw new Error("era a has no databases");
  return {
    generation,
    side,
    parentKind: side === "era-b" ? EraBDatabaseKind : DatabaseKind,
    partitionKind: side === "era-b" ? EraBPartitionKind : DatabasePartitionKind,
    parent: side === "era-b" ? eraBDatabase : ourDatabase,
    prerequisites: side === "era-b"
      ? () => []
      : (namespace, size) => [{ kind: RaftStorageClassKind, object: raftClass(namespace, size) }],
    firstChild: { tracked: "partitions", name: (parent) => `${parent}-1` },
  };
}

export function partitionGroup(name: string, namespace: string, size: Size): PartitionGroup {
  return {
    apiVersion: PartitionGroupKind.apiVersion,
    kind: PartitionGroupKind.kind,
    metadata: { name, namespace },
    spec: { version: "latest", partitions: size.partitions, partitionSize: size.replicas, raft: {} },
  };
}

/** Era a's PartitionSet, as its deploy/examples/raft.yaml writes one. */
export function partitionSet(name: string, namespace: string, size: Size): KubeObject {
  return {
    apiVersion: PartitionSetKind.apiVersion,
    kind: PartitionSetKind.kind,
    metadata: { name, namespace },
    spec: {
      partitions: size.partitions,
      template: {
        spec: { size: size.replicas, protocol: "raft", config: "electionTimeout: 5s\nheartbeatInterval: 1s\n" },
      },
    },
  };
}

export function ourDatabase(name: string, namespace: string, size: Size): Database {
  return {
    apiVersion: DatabaseKind.apiVersion,
    kind: DatabaseKind.kind,
    metadata: { name, namespace },
    spec: {
      clusters: size.partitions,
      template: {
        spec: {
          partitions: 1,
          storage: {
            group: "storage.cloud.atomix.io",
            version: "v1beta1",
            kind: RaftStorageClassKind.kind,
            name: raftClassName,
            namespace,
          },
        },
      },
    },
  } as Database;
}

export function raftClass(namespace: string, size: Size): KubeObject {
  return {
    apiVersion: RaftStorageClassKind.apiVersion,
    kind: RaftStorageClassKind.kind,
    metadata: { name: raftClassName, namespace },
    spec: { image: "atomix/raft-replica:latest", imagePullPolicy: "IfNotPresent", replicas: size.replicas },
  };
}

/** Era b's Database, as its deploy/examples/raft.yaml writes one (its storage controller is not published, so nothing acts on the class). */
export function eraBDatabase(name: string, namespace: string, size: Size): KubeObject {
  return {
    apiVersion: EraBDatabaseKind.apiVersion,
    kind: EraBDatabaseKind.kind,
    metadata: { name, namespace },
    spec: {
      partitions: size.partitions,
      storageClass: { group: "storage.cloud.atomix.io", version: "v1beta3", kind: "RaftStorage", name: raftClassName },
    },
  };
}

/** What the bench counts when it waits for a workload of n parents. */
export interface Expected {
  readyStatefulSets: number;
  services: number;
  partitions: number;
}

export function expected(generation: Generation, n: number, size: Size): Expected {
  return generation === "partition-groups"
    // the group's Service, and per partition a Service and a headless one (both sides)
    ? {
      readyStatefulSets: n * size.partitions,
      services: n * (1 + 2 * size.partitions),
      partitions: n * size.partitions,
    }
    // ours: per cluster a headless Service, per partition a Service
    : { readyStatefulSets: n * size.partitions, services: n * 2 * size.partitions, partitions: n * size.partitions };
}

type Apply = (kind: Kind, object: KubeObject) => Promise<KubeObject>;
const kindsByKey = new Map<string, Kind>();

/** Registers the kinds the bare writer may apply, by "Kind.apiVersion". */
export function registerKinds(kinds: Kind[]): void {
  for (const k of kinds) kindsByKey.set(kindKey(k), k);
}

function kindOf(object: KubeObject): Kind {
  const found = kindsByKey.get(`${object.kind}.${object.apiVersion}`);
  if (!found) throw new Error(`the bare writer knows no kind ${object.kind}.${object.apiVersion}`);
  return found;
}

function stamped(
  child: { apiVersion: string; kind: string; metadata: { name: string } },
  parent: KubeObject,
  controller: string,
): KubeObject {
  const object = stampChild(child as Parameters<typeof stampChild>[0], parent, controller);
  return { ...object, metadata: { ...object.metadata, namespace: parent.metadata.namespace! } };
}

const none: ObjectsByKind = {};

/** The bare writes for one created PartitionGroup: its children, then each Partition's. */
export async function barePartitionGroup(group: PartitionGroup, apply: Apply): Promise<void> {
  const answer = syncPartitionGroup({ parent: group, children: none, related: none, finalizing: false });
  await Promise.all(
    (answer.children ?? []).map(async (child) => {
      const applied = await apply(kindOf(child as KubeObject), stamped(child, group, "partition-groups"));
      if (applied.kind !== PartitionKind.kind) return;
      const partition = applied as Partition;
      const children =
        syncPartition(defaultPartitionOptions, { parent: partition, children: none, related: none, finalizing: false })
          .children ?? [];
      await Promise.all(
        children.map((grandchild) =>
          apply(kindOf(grandchild as KubeObject), stamped(grandchild, partition, "partitions"))
        ),
      );
    }),
  );
}

/** The bare writes for one created Database: its Partitions and its Raft storage. */
export async function bareDatabase(database: Database, storageClass: KubeObject, apply: Apply): Promise<void> {
  const related: ObjectsByKind = {
    [kindKey(RaftStorageClassKind)]: {
      [`${storageClass.metadata.namespace}/${storageClass.metadata.name}`]: storageClass,
    },
  };
  const request = { parent: database, children: none, related, finalizing: false };
  const writes = [
    ...(syncDatabase(request).children ?? []).map((child) => stamped(child, database, "databases")),
    ...(syncRaftStorage(defaultRaftStorageOptions, request).children ?? []).map((child) =>
      stamped(child, database, "raft-storage")
    ),
  ];
  await Promise.all(writes.map((object) => apply(kindOf(object), object)));
}

/**
 * Runs tasks with at most `limit` in flight; a waiting task of a lower priority number starts
 * before any of a higher one (FIFO within a priority).
 */
export function pool(limit: number): <T>(task: () => Promise<T>, priority?: number) => Promise<T> {
  let active = 0;
  const waiting: Array<Array<() => void>> = [];
  return async <T>(task: () => Promise<T>, priority = 0) => {
    // A finishing task hands its slot to the next waiter, so no more than `limit` ever run.
    if (active >= limit) await new Promise<void>((resolve) => (waiting[priority] ??= []).push(resolve));
    else active++;
    try {
      return await task();
    } finally {
      const next = waiting.find((queue) => queue?.length)?.shift();
      if (next) next();
      else active--;
    }
  };
}

/**
 * The order the bare writer favours when requests wait: parents, then Partitions (which the
 * Database comparison times and whose UIDs the StatefulSets' owner references need), then
 * StatefulSets (their pods are the longest path to converged), then everything else.
 */
export function barePriority(kindName: string): number {
  return kindName === "PartitionGroup" || kindName === "Database"
    ? 0
    : kindName === "Partition"
    ? 1
    : kindName === "StatefulSet"
    ? 2
    : 3;
}
