// The Atomix controller. Runs against the kubeconfig it is given (--kubeconfig, $KUBECONFIG,
// the in-cluster service account, ~/.kube/config). With none of those, it starts the local
// control plane (local-cluster.ts), installs deploy/atomix-controller.yaml and the examples,
// and runs against it until Ctrl-C.
//   npm start            node main.ts --help
import { join } from "node:path";
import { protocolRegistry } from "./functions/api/protocol-any.ts";
import { atomixControllers, atomixRpcAccess, defaultAtomixOptions, registerAtomixServices } from "./functions/atomix.ts";
import { noClusterGiven, startLocalCluster, type LocalCluster } from "./local-cluster.ts";
import { defaultHookTimeoutSeconds, servedAt } from "./runtime/hooks/remote.ts";
import type { OptionSpec } from "./runtime/config.ts";
import { runManager } from "./runtime/main.ts";

const atomixOptions = {
  clusterDomain: { flag: "cluster-domain", env: "CLUSTER_DOMAIN", type: "string", default: defaultAtomixOptions.clusterDomain, description: "DNS domain of the cluster, used in the addresses storage nodes read" },
  controllerService: { flag: "controller-service", env: "CONTROLLER_SERVICE", type: "string", default: defaultAtomixOptions.controllerService, description: "Name of the controller's Service, which partition.json names" },
  controllerNamespace: { flag: "controller-namespace", env: "POD_NAMESPACE", type: "string", default: defaultAtomixOptions.controllerNamespace, description: "Namespace of the controller's Service" },
  remoteFunctions: { flag: "remote-functions", env: "REMOTE_FUNCTIONS", type: "string", default: "", description: "Base URL of a hook server (runtime/hooks) that runs the Atomix functions; empty runs them in-process" },
  remoteTimeoutSeconds: { flag: "remote-timeout-seconds", env: "REMOTE_TIMEOUT_SECONDS", type: "number", default: defaultHookTimeoutSeconds, description: "How long a remote function may take to answer" },
} satisfies Record<string, OptionSpec>;

const root = import.meta.dirname;
const argv = process.argv.slice(2);
let local: LocalCluster | undefined;

const manager = await runManager(
  "atomix-controller",
  (_config, options) => ({
    name: "atomix-controller",
    finalizerDomain: "k8s.atomix.io",
    services: (router, context) => registerAtomixServices(router, context, options),
    rpcAccess: atomixRpcAccess,
    registry: protocolRegistry,
    controllers: atomixControllers(options).map((definition) =>
      options.remoteFunctions ? servedAt(definition, options.remoteFunctions, { timeoutSeconds: options.remoteTimeoutSeconds }) : definition,
    ),
  }),
  {
    extraOptions: atomixOptions,
    argv,
    async prepare(config) {
      if (argv.includes("--help") || argv.includes("-h") || !noClusterGiven(argv)) return config;
      local = await startLocalCluster("atomix", [join(root, "deploy", "atomix-controller.yaml")]);
      return { ...config, kubeconfig: local.kubeconfig, leaseNamespace: config.leaseNamespace || "kube-system" };
    },
    afterStop: async () => {
      await local?.stop();
    },
  },
);

if (manager && local) {
  await local.kubectl("apply", "-f", join(root, "deploy", "examples", "raft.yaml"));
  await local.kubectl("apply", "-n", "kube-system", "-f", join(root, "deploy", "examples", "database.yaml"));
  console.error("[atomix] applied deploy/examples/raft.yaml; try: kubectl get partitiongroups,partitions.k8s.atomix.io,statefulsets,services,pods");
  console.error("[atomix] applied deploy/examples/database.yaml in kube-system; try: kubectl get -n kube-system databases,partitions.cloud.atomix.io,statefulsets,services");
}
