// The replication operator. Runs against the kubeconfig it is given (--kubeconfig,
// $KUBECONFIG, the in-cluster service account, ~/.kube/config). With none of those, it starts
// the local control plane (dev/local-cluster.ts), installs deploy/rss-operator.yaml, runs
// dev/rss's emulation of the application in kwok's pods, and creates
// deploy/examples/rss-cluster.yaml.
//   npm run rss-operator            npm run rss-operator -- --help
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { clusterNamed, runProgram } from "../../runtime/run.ts";
import { rssOperator } from "./program.ts";

const root = join(import.meta.dirname, "..", "..");
const argv = process.argv.slice(2);
let local: import("../../dev/local-cluster.ts").LocalCluster | undefined;
let emulation: { stop(): Promise<void> } | undefined;

const manager = await runProgram(rssOperator, {
  argv,
  async prepare(config) {
    if (argv.includes("--help") || argv.includes("-h") || clusterNamed(argv, process.env, homedir())) return config;
    const { startLocalCluster } = await import("../../dev/local-cluster.ts");
    local = await startLocalCluster("rss", [join(root, "deploy", "rss-operator.yaml")]);
    const { startEmulation } = await import("../../dev/rss/emulation.ts");
    emulation = await startEmulation(
      local.kubeconfig,
      join(dirname(local.kubeconfig), "rss"),
      (line) => console.error(line),
    );
    return { ...config, kubeconfig: local.kubeconfig, leaseNamespace: config.leaseNamespace || "kube-system" };
  },
  afterStop: async () => {
    await emulation?.stop();
    await local?.stop();
  },
});

if (manager && local) {
  await local.kubectl("apply", "-f", join(root, "deploy", "examples", "rss-cluster.yaml"));
  console.error(
    "[rss] applied deploy/examples/rss-cluster.yaml; try: kubectl get rss,statefulsets,pods; kubectl get rss/example -o jsonpath='{.status.members.primary}'; kubectl exec rss-example-0 -- /check.sh; echo $?",
  );
}
