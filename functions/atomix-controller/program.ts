// The Atomix controller, as one list: every controller and RPC service it runs, and the
// Kubernetes API access each needs. main.ts runs it; deploy/manifest.ts derives the
// ClusterRole from it.
import type { ConnectRouter } from "@connectrpc/connect";
import type { ControllerDefinition } from "../runtime/controller.ts";
import type { Access } from "../runtime/rbac.ts";
import type { ServiceContext } from "../runtime/service.ts";
import type { ServiceAccess } from "../runtime/auth/rules.ts";
import { access as partitionGroupsApi, registerControllerService, rpcAccess as controllerRpcs } from "./api/controller-service.ts";
import { access as databasesApi, DatabaseCatalog, registerDatabaseService, rpcAccess as databaseRpcs } from "./api/database-service.ts";
import { access as electionsApi } from "./api/elections.ts";
import { registerMembershipService, rpcAccess as membershipRpcs } from "./api/membership-service.ts";
import { access as membershipApi, Membership } from "./api/membership.ts";
import { access as primitivesApi, registerPrimitiveService, rpcAccess as primitiveRpcs } from "./api/primitive-service.ts";
import { databasePartitions } from "./database-partition.ts";
import { databases } from "./database.ts";
import { partitionGroups } from "./partition-group.ts";
import { defaultPartitionOptions, partitions } from "./partition.ts";
import { raftStorage } from "./raft-storage.ts";

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
    partitions({ clusterDomain: options.clusterDomain, controllerName: options.controllerService, controllerNamespace: options.controllerNamespace }),
    databases,
    databasePartitions,
    raftStorage({ clusterDomain: options.clusterDomain }),
  ];
}

/** Every controller with the default options, for serving the functions as HTTP hooks (runtime/hooks). */
export const controllers = atomixControllers();

/** What the RPC services read and write in Kubernetes, beyond what the controllers do. */
export const atomixServiceAccess: readonly Access[] = [...partitionGroupsApi, ...electionsApi, ...databasesApi, ...primitivesApi, ...membershipApi];

/** What each RPC of the services does in Kubernetes terms, for --api-auth=kubernetes. */
export const atomixRpcAccess: readonly ServiceAccess[] = [controllerRpcs, databaseRpcs, primitiveRpcs, membershipRpcs];

/** Registers ControllerService, DatabaseService, PrimitiveService and MembershipService. */
export function registerAtomixServices(router: ConnectRouter, context: ServiceContext, options: AtomixOptions = defaultAtomixOptions): void {
  const catalog = new DatabaseCatalog(context, { clusterDomain: options.clusterDomain });
  registerControllerService(router, context, catalog);
  registerDatabaseService(router, catalog);
  registerPrimitiveService(router, context, catalog);
  registerMembershipService(router, new Membership(context));
}
