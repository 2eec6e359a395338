// Database → Partitions <db>-1..<db>-N (N = clusters × partitions per cluster), each recording
// its cluster and the Service its clients reach. Storage itself is the storage class's
// controller's job (raft-storage.ts); this one checks that the referenced class exists and
// holds off creating partitions until it does. Pure.
import { controller, type DesiredObject, type ObjectsByKind, type SyncRequest, type SyncResponse } from "../runtime/controller.ts";
import { builtinKinds, kindKey } from "../runtime/kube/kinds.ts";
import { controllerOf } from "../runtime/kube/objects.ts";
import { DatabaseKind, DatabasePartitionKind, RaftStorageClassKind, type Database, type DatabasePartition, type StorageReference } from "./kinds.ts";
import { readyCondition, unchangedChildren } from "./shared.ts";

/** Storage class kinds this controller knows, by "group/version/Kind". */
export const storageClassKinds = [RaftStorageClassKind];

export const databaseLabels = (database: string): Record<string, string> => ({ app: "atomix", database });

export const databasePartitionName = (database: string, partition: number) => `${database}-${partition}`;
export const clusterName = (database: string, cluster: number) => `${database}-${cluster}`;

export interface DatabaseLayout {
  clusters: number;
  partitionsPerCluster: number;
  /** Every partition id, from 1, with the cluster (from 1) that stores it. */
  partitions: Array<{ id: number; cluster: number }>;
}

export function layoutOf(database: Database): DatabaseLayout {
  const clusters = database.spec?.clusters ?? 1;
  const partitionsPerCluster = database.spec?.template?.spec?.partitions ?? 1;
  const partitions = [];
  for (let cluster = 1; cluster <= clusters; cluster++) {
    for (let p = 1; p <= partitionsPerCluster; p++) partitions.push({ id: (cluster - 1) * partitionsPerCluster + p, cluster });
  }
  return { clusters, partitionsPerCluster, partitions };
}

/** The storage reference with its namespace resolved (empty means the Database's own). */
export function storageOf(database: Database): Required<StorageReference> {
  const ref = database.spec?.template?.spec?.storage ?? {};
  return {
    group: ref.group ?? "",
    version: ref.version ?? "",
    kind: ref.kind ?? "",
    name: ref.name ?? "",
    namespace: ref.namespace || database.metadata.namespace || "",
  };
}

/** The known storage class kind the reference names, if any. */
export function storageKindOf(ref: StorageReference) {
  return storageClassKinds.find((kind) => kind.apiVersion === `${ref.group}/${ref.version}` && kind.kind === ref.kind);
}

/** A message saying what is wrong with the storage reference, or undefined when the class exists. */
export function storageProblem(database: Database, related: ObjectsByKind): string | undefined {
  const ref = storageOf(database);
  const kind = storageKindOf(ref);
  if (!kind) {
    const known = storageClassKinds.map((k) => `${k.apiVersion}/${k.kind}`).join(", ");
    return `spec.template.spec.storage names ${ref.group}/${ref.version}/${ref.kind}, which is not a storage class kind this controller knows (${known})`;
  }
  if (!related[kindKey(kind)]?.[`${ref.namespace}/${ref.name}`]) {
    return `${ref.kind} ${ref.namespace}/${ref.name} does not exist: create it, or change spec.template.spec.storage`;
  }
  return undefined;
}

export function syncDatabase({ parent: database, children, related }: SyncRequest<Database>): SyncResponse {
  const name = database.metadata.name;
  const layout = layoutOf(database);
  const total = layout.partitions.length;
  const existing = Object.values(children[kindKey(DatabasePartitionKind)] ?? {}) as DatabasePartition[];
  const readyPartitions = existing.filter((p) => p.status?.ready === true).length;
  const problem = storageProblem(database, related);
  if (problem) {
    return {
      children: unchangedChildren(children),
      status: { partitions: total, readyPartitions, conditions: [readyCondition(false, "StorageNotFound", problem)] },
    };
  }
  const desired: DesiredObject[] = layout.partitions.map(({ id, cluster }) => ({
    apiVersion: DatabasePartitionKind.apiVersion,
    kind: DatabasePartitionKind.kind,
    metadata: { name: databasePartitionName(name, id), labels: { ...databaseLabels(name), cluster: String(cluster), partition: String(id) } },
    spec: { database: name, cluster, partitionId: id, serviceName: databasePartitionName(name, id) },
  }));
  const ready = readyPartitions === total;
  return {
    children: desired,
    status: {
      partitions: total,
      readyPartitions,
      conditions: [
        ready
          ? readyCondition(true, "PartitionsReady", `all ${total} partitions are ready`)
          : readyCondition(false, "PartitionsNotReady", `${readyPartitions} of ${total} partitions are ready`),
      ],
    },
  };
}

export const databases = controller<Database>({
  name: "databases",
  parent: DatabaseKind,
  children: [DatabasePartitionKind],
  related: {
    kinds: storageClassKinds,
    select(database) {
      const ref = storageOf(database);
      const kind = storageKindOf(ref);
      return kind && ref.name ? [{ apiVersion: kind.apiVersion, kind: kind.kind, namespace: ref.namespace, names: [ref.name] }] : [];
    },
  },
  sync: syncDatabase,
});

/** Partition (cloud.atomix.io) status: ready once the StatefulSet of its cluster is. Pure. */
export function syncDatabasePartition({ parent: partition, related }: SyncRequest<DatabasePartition>): SyncResponse {
  const database = partition.spec?.database ?? "";
  const cluster = partition.spec?.cluster ?? 1;
  const name = clusterName(database, cluster);
  const statefulSet = related["StatefulSet.apps/v1"]?.[`${partition.metadata.namespace}/${name}`];
  // A StatefulSet of that name controlled by something other than this partition's Database
  // (a PartitionGroup of the same name, say) is not this cluster.
  const holder = statefulSet && controllerOf(statefulSet);
  const owner = controllerOf(partition);
  if (holder && owner && holder.uid !== owner.uid) {
    return {
      status: {
        ready: false,
        readyReplicas: 0,
        conditions: [
          holder.kind === "Database" && holder.name === database
            ? readyCondition(false, "ClusterNameTaken", `StatefulSet ${name} still belongs to an earlier Database ${database}; it goes once that one is deleted`)
            : readyCondition(false, "ClusterNameTaken", `StatefulSet ${name} belongs to ${holder.kind} ${holder.name}, not to Database ${database}; rename one of them`),
        ],
      },
    };
  }
  const wanted = (statefulSet?.spec as { replicas?: number } | undefined)?.replicas ?? 0;
  const readyReplicas = (statefulSet?.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0;
  const ready = statefulSet !== undefined && wanted > 0 && readyReplicas >= wanted;
  return {
    status: {
      ready,
      readyReplicas,
      conditions: [
        ready
          ? readyCondition(true, "ClusterReady", `cluster ${name} has all ${wanted} replicas ready`)
          : statefulSet
            ? readyCondition(false, "ClusterNotReady", `cluster ${name} has ${readyReplicas} of ${wanted} replicas ready`)
            : readyCondition(false, "ClusterNotFound", `StatefulSet ${name} does not exist yet`),
      ],
    },
  };
}

export const databasePartitions = controller<DatabasePartition>({
  name: "database-partitions",
  parent: DatabasePartitionKind,
  children: [],
  related: {
    kinds: [builtinKinds.StatefulSet],
    select: (partition) => [
      { apiVersion: "apps/v1", kind: "StatefulSet", names: [clusterName(partition.spec?.database ?? "", partition.spec?.cluster ?? 1)] },
    ],
  },
  sync: syncDatabasePartition,
});

export type { DesiredObject };
