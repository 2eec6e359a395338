// The replication operator: the ReplicatedStatefulSet controller (clusterlabs.org/v1alpha1)
// alone, on the runtime, with leader election on its own Lease. Runs against the kubeconfig it
// is given (--kubeconfig, $KUBECONFIG, the in-cluster service account, ~/.kube/config). With
// none of those, it starts the local control plane (local-cluster.ts), installs
// deploy/rss-operator.yaml, runs test/rss's emulation of the application in kwok's pods, and
// creates deploy/examples/rss-cluster.yaml.
//   npm run rss-operator            node rss-operator.ts --help
import { dirname, join } from "node:path";
import { replicatedStatefulSets } from "./functions/rss.ts";
import { noClusterGiven, startLocalCluster, type LocalCluster } from "./local-cluster.ts";
import { runManager } from "./runtime/main.ts";

export const rssOperatorName = "rss-operator";
/** The Lease replicas elect a leader on unless --leader-election-id says otherwise (the original's lock name). */
export const defaultRssOperatorLease = "rss-operator";

const root = import.meta.dirname;
const argv = process.argv.slice(2);
let local: LocalCluster | undefined;
let emulation: { stop(): Promise<void> } | undefined;

const manager = await runManager(
  rssOperatorName,
  () => ({ name: rssOperatorName, finalizerDomain: "clusterlabs.org", controllers: [replicatedStatefulSets()] }),
  {
    argv,
    async prepare(config) {
      const leaseName = config.leaseName || defaultRssOperatorLease;
      if (argv.includes("--help") || argv.includes("-h") || !noClusterGiven(argv)) return { ...config, leaseName };
      local = await startLocalCluster("rss", [join(root, "deploy", "rss-operator.yaml")]);
      const { startEmulation } = await import("./test/rss/emulation.ts");
      emulation = await startEmulation(local.kubeconfig, join(dirname(local.kubeconfig), "rss"), (line) => console.error(line));
      return { ...config, kubeconfig: local.kubeconfig, leaseName, leaseNamespace: config.leaseNamespace || "kube-system" };
    },
    afterStop: async () => {
      await emulation?.stop();
      await local?.stop();
    },
  },
);

if (manager && local) {
  await local.kubectl("apply", "-f", join(root, "deploy", "examples", "rss-cluster.yaml"));
  console.error("[rss] applied deploy/examples/rss-cluster.yaml; try: kubectl get rss,statefulsets,pods; kubectl get rss/example -o jsonpath='{.status.members.primary}'; kubectl exec rss-example-0 -- /check.sh; echo $?");
}
