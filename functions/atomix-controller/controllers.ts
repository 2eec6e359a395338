// The Atomix controller's controllers, and nothing else: the PartitionGroup generation
// (k8s.atomix.io) and the Database generation (cloud.atomix.io). Pure functions only, so the
// hook server can serve this file (runtime/hook-server/main.ts --functions ...) without
// loading the RPC services.
import type { ControllerDefinition } from "../../runtime/mod.ts";
import { databases } from "./databases/database.ts";
import { databasePartitions } from "./databases/partition.ts";
import { raftStorage } from "./databases/raft-storage.ts";
import { partitionGroups } from "./partition-groups/partition-group.ts";
import { defaultPartitionOptions, partitions } from "./partition-groups/partition.ts";

export interface AtomixOptions {
  /** DNS domain of the cluster, used in the addresses storage nodes read. */
  clusterDomain: string;
  /** The controller's Service, which partition.json names. */
  controllerService: string;
  controllerNamespace: string;
}

export const defaultAtomixOptions: AtomixOptions = {
  clusterDomain: defaultPartitionOptions.clusterDomain,
  controllerService: defaultPartitionOptions.controllerName,
  controllerNamespace: defaultPartitionOptions.controllerNamespace,
};

export function atomixControllers(options: AtomixOptions = defaultAtomixOptions): ControllerDefinition<any>[] {
  return [
    partitionGroups,
    partitions({
      clusterDomain: options.clusterDomain,
      controllerName: options.controllerService,
      controllerNamespace: options.controllerNamespace,
    }),
    databases,
    databasePartitions,
    raftStorage({ clusterDomain: options.clusterDomain }),
  ];
}

/** Every controller with the default options, for serving the functions as HTTP hooks. */
export const controllers = atomixControllers();
