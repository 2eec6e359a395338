// The Atomix operator: the AtomixCluster controller (agent.atomix.io/v1alpha1) alone, on the
// runtime, with leader election on its own Lease. Runs against the kubeconfig it is given
// (--kubeconfig, $KUBECONFIG, the in-cluster service account, ~/.kube/config).
//   node operator.ts --help
import { atomixClusters, defaultAtomixClusterOptions } from "./functions/atomix-cluster.ts";
import type { OptionSpec } from "./runtime/config.ts";
import { runManager } from "./runtime/main.ts";

export const operatorName = "atomix-operator";
/** The Lease replicas elect a leader on unless --leader-election-id says otherwise (the original operator's lock). */
export const defaultOperatorLease = "atomix-operator-lock";

const operatorOptions = {
  clusterDomain: {
    flag: "cluster-domain",
    env: "CLUSTER_DOMAIN",
    type: "string",
    default: defaultAtomixClusterOptions.clusterDomain,
    description: "DNS domain of the cluster, used in the node and discovery addresses Atomix reads",
  },
} satisfies Record<string, OptionSpec>;

await runManager(
  operatorName,
  (_config, options) => ({
    name: operatorName,
    finalizerDomain: "agent.atomix.io",
    controllers: [atomixClusters({ clusterDomain: options.clusterDomain })],
  }),
  {
    extraOptions: operatorOptions,
    prepare: async (config) => ({ ...config, leaseName: config.leaseName || defaultOperatorLease }),
  },
);
