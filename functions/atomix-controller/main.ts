// The Atomix controller. Runs against the kubeconfig it is given (--kubeconfig, $KUBECONFIG,
// the in-cluster service account, ~/.kube/config). With none of those, it starts the local
// control plane (dev/local-cluster.ts), installs deploy/atomix-controller.yaml and the
// examples, and runs against it until Ctrl-C.
//   npm start            node main.ts --help
import { homedir } from "node:os";
import { join } from "node:path";
import { clusterNamed, runProgram } from "../../runtime/run.ts";
import { atomixController } from "./program.ts";

const root = join(import.meta.dirname, "..", "..");
const argv = process.argv.slice(2);
let local: import("../../dev/local-cluster.ts").LocalCluster | undefined;

const manager = await runProgram(atomixController, {
  argv,
  async prepare(config) {
    if (argv.includes("--help") || argv.includes("-h") || clusterNamed(argv, process.env, homedir())) return config;
    const { startLocalCluster } = await import("../../dev/local-cluster.ts");
    local = await startLocalCluster("atomix", [join(root, "deploy", "atomix-controller.yaml")]);
    return { ...config, kubeconfig: local.kubeconfig, leaseNamespace: config.leaseNamespace || "kube-system" };
  },
  afterStop: async () => {
    await local?.stop();
  },
});

if (manager && local) {
  await local.kubectl("apply", "-f", join(root, "deploy", "examples", "raft.yaml"));
  await local.kubectl("apply", "-n", "kube-system", "-f", join(root, "deploy", "examples", "database.yaml"));
  console.error(
    "[atomix] applied deploy/examples/raft.yaml; try: kubectl get partitiongroups,partitions.k8s.atomix.io,statefulsets,services,pods",
  );
  console.error(
    "[atomix] applied deploy/examples/database.yaml in kube-system; try: kubectl get -n kube-system databases,partitions.cloud.atomix.io,statefulsets,services",
  );
}
