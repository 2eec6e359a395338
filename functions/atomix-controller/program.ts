// The Atomix controller as a program: its name and Lease, its flags, every controller and RPC
// service it runs, and the Kubernetes API access each needs. main.ts runs it; manifest.ts
// derives the ClusterRole and Deployment from it.
import type { ConnectRouter } from "@connectrpc/connect";
import { type Access, builtinKinds, defaultHookTimeoutSeconds, type Kind, servedAt } from "../../runtime/mod.ts";
import {
  managedChildren,
  type OptionSpec,
  program,
  type ServiceAccess,
  type ServiceContext,
} from "../../runtime/run.ts";
import {
  access as partitionGroupsApi,
  registerControllerService,
  rpcAccess as controllerRpcs,
} from "./api/controller-service.ts";
import {
  access as databasesApi,
  DatabaseCatalog,
  registerDatabaseService,
  rpcAccess as databaseRpcs,
} from "./api/database-service.ts";
import { access as electionsApi } from "./api/elections.ts";
import { registerMembershipService, rpcAccess as membershipRpcs } from "./api/membership-service.ts";
import { access as membershipApi, Membership } from "./api/membership.ts";
import {
  access as primitivesApi,
  registerPrimitiveService,
  rpcAccess as primitiveRpcs,
} from "./api/primitive-service.ts";
import { protocolRegistry } from "./api/protocol-any.ts";
import { atomixControllers, type AtomixOptions, defaultAtomixOptions } from "./controllers.ts";

export { atomixControllers, type AtomixOptions, defaultAtomixOptions } from "./controllers.ts";

/** The field manager, the Lease and the managed-by label. */
export const controllerName = "atomix-controller";

/** What the RPC services read and write in Kubernetes, beyond what the controllers do. */
export const atomixServiceAccess: readonly Access[] = [
  ...partitionGroupsApi,
  ...electionsApi,
  ...databasesApi,
  ...primitivesApi,
  ...membershipApi,
];

/** What each RPC of the services does in Kubernetes terms, for --api-auth=kubernetes. */
export const atomixRpcAccess: readonly ServiceAccess[] = [controllerRpcs, databaseRpcs, primitiveRpcs, membershipRpcs];

/** Registers ControllerService, DatabaseService, PrimitiveService and MembershipService. */
export function registerAtomixServices(
  router: ConnectRouter,
  context: ServiceContext,
  options: AtomixOptions = defaultAtomixOptions,
): void {
  const catalog = new DatabaseCatalog(context, { clusterDomain: options.clusterDomain });
  registerControllerService(router, context, catalog);
  registerDatabaseService(router, catalog);
  registerPrimitiveService(router, context, catalog);
  registerMembershipService(router, new Membership(context));
}

/** Kinds the cache holds only the controllers' own objects of (a cluster may have thousands of others). */
export const childKindsCachedWhenOurs: readonly Kind[] = [
  builtinKinds.ConfigMap,
  builtinKinds.Service,
  builtinKinds.StatefulSet,
  builtinKinds.PodDisruptionBudget,
  builtinKinds.EndpointSlice,
];

const flags = {
  clusterDomain: {
    flag: "cluster-domain",
    env: "CLUSTER_DOMAIN",
    type: "string",
    default: defaultAtomixOptions.clusterDomain,
    description: "DNS domain of the cluster, used in the addresses storage nodes read",
  },
  controllerService: {
    flag: "controller-service",
    env: "CONTROLLER_SERVICE",
    type: "string",
    default: defaultAtomixOptions.controllerService,
    description: "Name of the controller's Service, which partition.json names",
  },
  controllerNamespace: {
    flag: "controller-namespace",
    env: "POD_NAMESPACE",
    type: "string",
    default: defaultAtomixOptions.controllerNamespace,
    description: "Namespace of the controller's Service",
  },
  remoteFunctions: {
    flag: "remote-functions",
    env: "REMOTE_FUNCTIONS",
    type: "string",
    default: "",
    description:
      "Base URL of a hook server (runtime/hook-server) that runs the Atomix functions; empty runs them in-process",
  },
  remoteTimeoutSeconds: {
    flag: "remote-timeout-seconds",
    env: "REMOTE_TIMEOUT_SECONDS",
    type: "number",
    default: defaultHookTimeoutSeconds,
    description: "How long a remote function may take to answer",
  },
} satisfies Record<string, OptionSpec>;

export const atomixController = program({
  name: controllerName,
  finalizerDomain: "k8s.atomix.io",
  /** The Atomix API's port, which the Go clients and the Service expect. */
  flagDefaults: { port: 5679 },
  flags,
  build: (options) => {
    const controllers = atomixControllers(options).map((definition) =>
      options.remoteFunctions
        ? servedAt(definition, options.remoteFunctions, { timeoutSeconds: options.remoteTimeoutSeconds })
        : definition
    );
    return {
      services: (router, context) => registerAtomixServices(router, context, options),
      rpcAccess: atomixRpcAccess,
      registry: protocolRegistry,
      controllers,
      // Of these kinds the controllers read only what they made (children, and the Services
      // and StatefulSets siblings made, as related objects), and the RPC services none.
      cacheSelectors: managedChildren(controllers, childKindsCachedWhenOurs),
    };
  },
});
