// Database → Partitions <db>-1..<db>-N (N = clusters × partitions per cluster), each recording
// its cluster and the Service its clients reach. Storage itself is the storage class's
// controller's job (raft-storage.ts); this one checks that the referenced class exists and
// holds off creating partitions until it does. Pure.
import {
  controller,
  type DesiredObject,
  objectOf,
  type ObjectsByKind,
  objectsOf,
  readyCondition,
  type SyncRequest,
  type SyncResponse,
  unchangedChildren,
} from "../../../runtime/mod.ts";
import {
  type Database,
  DatabaseKind,
  type DatabasePartition,
  DatabasePartitionKind,
  RaftStorageClassKind,
  type StorageReference,
} from "../kinds.ts";
import { batchPeriodSeconds, countedReadyCondition } from "../replicas.ts";

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
    for (let p = 1; p <= partitionsPerCluster; p++) {
      partitions.push({ id: (cluster - 1) * partitionsPerCluster + p, cluster });
    }
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
  if (!objectOf(related, kind, `${ref.namespace}/${ref.name}`)) {
    return `${ref.kind} ${ref.namespace}/${ref.name} does not exist: create it, or change spec.template.spec.storage`;
  }
  return undefined;
}

export function syncDatabase(
  { parent: database, children, related }: SyncRequest<Database>,
): SyncResponse<DesiredObject> {
  const name = database.metadata.name;
  const layout = layoutOf(database);
  const total = layout.partitions.length;
  const existing = Object.values(objectsOf<DatabasePartition>(children, DatabasePartitionKind));
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
    metadata: {
      name: databasePartitionName(name, id),
      labels: { ...databaseLabels(name), cluster: String(cluster), partition: String(id) },
    },
    spec: { database: name, cluster, partitionId: id, serviceName: databasePartitionName(name, id) },
  }));
  const ready = readyPartitions === total;
  return {
    children: desired,
    status: {
      partitions: total,
      readyPartitions,
      conditions: [countedReadyCondition(ready, readyPartitions, total, "partitions")],
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
      return kind && ref.name
        ? [{ apiVersion: kind.apiVersion, kind: kind.kind, namespace: ref.namespace, names: [ref.name] }]
        : [];
    },
  },
  sync: syncDatabase,
  batchPeriodSeconds,
});
