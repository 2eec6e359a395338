// The Atomix controller. Runs against the kubeconfig it is given (--kubeconfig, $KUBECONFIG,
// the in-cluster service account, ~/.kube/config). With none of those, it starts the local
// control plane from test/cluster, installs deploy/atomix-controller.yaml and the raft
// example, and runs against it until Ctrl-C.
//   npm start            node main.ts --help
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { registerControllerService } from "./functions/api/controller-service.ts";
import { DatabaseCatalog, registerDatabaseService } from "./functions/api/database-service.ts";
import { Membership } from "./functions/api/membership.ts";
import { registerMembershipService } from "./functions/api/membership-service.ts";
import { registerPrimitiveService } from "./functions/api/primitive-service.ts";
import { protocolRegistry } from "./functions/api/protocol-any.ts";
import { databasePartitions } from "./functions/database-partition.ts";
import { databases } from "./functions/database.ts";
import { partitionGroups } from "./functions/partition-group.ts";
import { raftStorage } from "./functions/raft-storage.ts";
import { defaultPartitionOptions, partitions } from "./functions/partition.ts";
import type { OptionSpec } from "./runtime/config.ts";
import { runManager } from "./runtime/main.ts";

const atomixOptions = {
  clusterDomain: { flag: "cluster-domain", env: "CLUSTER_DOMAIN", type: "string", default: defaultPartitionOptions.clusterDomain, description: "DNS domain of the cluster, used in the addresses storage nodes read" },
  controllerService: { flag: "controller-service", env: "CONTROLLER_SERVICE", type: "string", default: defaultPartitionOptions.controllerName, description: "Name of the controller's Service, which partition.json names" },
  controllerNamespace: { flag: "controller-namespace", env: "POD_NAMESPACE", type: "string", default: defaultPartitionOptions.controllerNamespace, description: "Namespace of the controller's Service" },
} satisfies Record<string, OptionSpec>;

const root = import.meta.dirname;

/** True when no cluster was named and none can be found: then the local control plane is started. */
function noClusterGiven(argv: readonly string[]): boolean {
  return (
    !argv.some((arg) => arg.startsWith("--kubeconfig")) &&
    !process.env.KUBECONFIG &&
    !process.env.KUBERNETES_SERVICE_HOST &&
    !existsSync(join(homedir(), ".kube", "config"))
  );
}

const argv = process.argv.slice(2);
let stopLocalCluster: (() => Promise<void>) | undefined;
let localKubectl: ((...args: string[]) => Promise<string>) | undefined;

const manager = await runManager(
  "atomix-controller",
  (config, extra) => ({
    name: "atomix-controller",
    finalizerDomain: "k8s.atomix.io",
    services: (router, context) => {
      const catalog = new DatabaseCatalog(context, { clusterDomain: extra.clusterDomain });
      registerControllerService(router, context, catalog);
      registerDatabaseService(router, catalog);
      registerPrimitiveService(router, context, catalog);
      registerMembershipService(router, new Membership(context));
    },
    registry: protocolRegistry,
    controllers: [
      partitionGroups,
      partitions({ clusterDomain: extra.clusterDomain, controllerName: extra.controllerService, controllerNamespace: extra.controllerNamespace }),
      databases,
      databasePartitions,
      raftStorage({ clusterDomain: extra.clusterDomain }),
    ],
  }),
  {
    extraOptions: atomixOptions,
    argv,
    async prepare(config) {
      if (argv.includes("--help") || argv.includes("-h") || !noClusterGiven(argv)) return config;
      const { startCluster } = await import("./test/cluster/cluster.ts");
      console.error("[atomix] no kubeconfig given: starting the local control plane (test/cluster)");
      const cluster = await startCluster();
      stopLocalCluster = () => cluster.stop();
      const run = promisify(execFile);
      localKubectl = async (...args: string[]) => (await run(cluster.binaries.kubectl, ["--kubeconfig", cluster.kubeconfig, ...args])).stdout;
      await localKubectl("apply", "--server-side", "-f", join(root, "deploy", "atomix-controller.yaml"));
      await localKubectl("wait", "--for=condition=Established", "crd", "--all");
      console.log(`export KUBECONFIG=${cluster.kubeconfig}`);
      console.error(`[atomix] kubectl is at ${cluster.binaries.kubectl}`);
      return { ...config, kubeconfig: cluster.kubeconfig, leaseNamespace: config.leaseNamespace || "kube-system" };
    },
    afterStop: async () => {
      await stopLocalCluster?.();
    },
  },
);

if (manager && localKubectl) {
  await localKubectl("apply", "-f", join(root, "deploy", "examples", "raft.yaml"));
  await localKubectl("apply", "-n", "kube-system", "-f", join(root, "deploy", "examples", "database.yaml"));
  console.error("[atomix] applied deploy/examples/raft.yaml; try: kubectl get partitiongroups,partitions.k8s.atomix.io,statefulsets,services,pods");
  console.error("[atomix] applied deploy/examples/database.yaml in kube-system; try: kubectl get -n kube-system databases,partitions.cloud.atomix.io,statefulsets,services");
}
