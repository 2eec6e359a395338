// The Atomix operator as a program: the AtomixCluster controller (agent.atomix.io/v1alpha1)
// alone, with leader election on the original operator's Lease. main.ts runs it; manifest.ts
// derives the ClusterRole and Deployment from it.
import { type OptionSpec, program } from "../../runtime/run.ts";
import { atomixClusters, defaultAtomixClusterOptions } from "./atomix-cluster.ts";

export const operatorName = "atomix-operator";
/** The Lease replicas elect a leader on unless --leader-election-id says otherwise (the original operator's lock). */
export const operatorLease = "atomix-operator-lock";

const flags = {
  clusterDomain: {
    flag: "cluster-domain",
    env: "CLUSTER_DOMAIN",
    type: "string",
    default: defaultAtomixClusterOptions.clusterDomain,
    description: "DNS domain of the cluster, used in the node and discovery addresses Atomix reads",
  },
} satisfies Record<string, OptionSpec>;

export const atomixOperator = program({
  name: operatorName,
  leaseName: operatorLease,
  finalizerDomain: "agent.atomix.io",
  flags,
  build: (options) => ({ controllers: [atomixClusters({ clusterDomain: options.clusterDomain })] }),
});
