// Partition (cloud.atomix.io) → its status: ready once the StatefulSet of its cluster is,
// and never ready on a StatefulSet of that name that belongs to someone else. Pure.
import {
  builtinKinds,
  controller,
  controllerOf,
  type DesiredObject,
  objectOf,
  readyCondition,
  type SyncRequest,
  type SyncResponse,
} from "../../../runtime/mod.ts";
import { clusterName } from "./database.ts";
import { type DatabasePartition, DatabasePartitionKind } from "../kinds.ts";
import { batchPeriodSeconds } from "../replicas.ts";

export function syncDatabasePartition(
  { parent: partition, related }: SyncRequest<DatabasePartition>,
): SyncResponse<DesiredObject> {
  const database = partition.spec?.database ?? "";
  const cluster = partition.spec?.cluster ?? 1;
  const name = clusterName(database, cluster);
  const statefulSet = objectOf(related, builtinKinds.StatefulSet, `${partition.metadata.namespace}/${name}`);
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
            ? readyCondition(
              false,
              "ClusterNameTaken",
              `StatefulSet ${name} still belongs to an earlier Database ${database}; it goes once that one is deleted`,
            )
            : readyCondition(
              false,
              "ClusterNameTaken",
              `StatefulSet ${name} belongs to ${holder.kind} ${holder.name}, not to Database ${database}; rename one of them`,
            ),
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
      {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        names: [clusterName(partition.spec?.database ?? "", partition.spec?.cluster ?? 1)],
      },
    ],
  },
  sync: syncDatabasePartition,
  batchPeriodSeconds,
});
