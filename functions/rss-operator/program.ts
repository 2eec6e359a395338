// The replication operator as a program: the ReplicatedStatefulSet controller
// (clusterlabs.org/v1alpha1) alone, with leader election on the original's Lease. main.ts
// runs it; manifest.ts derives the ClusterRole and Deployment from it.
import { program } from "../../runtime/run.ts";
import { replicatedStatefulSets } from "./replicated-stateful-set.ts";

export const rssOperatorName = "rss-operator";
/** The Lease replicas elect a leader on unless --leader-election-id says otherwise (the original's lock name). */
export const rssOperatorLease = "rss-operator";

export const rssOperator = program({
  name: rssOperatorName,
  leaseName: rssOperatorLease,
  finalizerDomain: "clusterlabs.org",
  build: () => ({ controllers: [replicatedStatefulSets()] }),
});
