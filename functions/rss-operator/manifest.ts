// Builds the replication operator's manifests: the ReplicatedStatefulSet CRD, the operator's
// ServiceAccount, a ClusterRole derived from the controller's declaration (pods/exec included,
// for the commands it runs in members), the binding and a Deployment, as deploy/rss-operator.yaml.
// The YAML is committed; a unit test fails when it is stale.
//   npm run manifests        (rewrites every generated file under deploy/)
import { rssOperatorLease, rssOperatorName } from "./program.ts";
import { replicatedStatefulSets } from "./replicated-stateful-set.ts";
import { controllerAccess, crdOf, deployment, identity, managerAccess, policyRules } from "../../runtime/manifests.ts";
import { ReplicatedStatefulSetKind } from "./crd.ts";

export { rssOperatorLease, rssOperatorName } from "./program.ts";
export const rssOperatorNamespace = "kube-system";
export const rssOperatorPort = 5679;
/** The image the Deployment runs (deploy/Containerfile builds it). */
export const image = "atomix/atomix-controller-ts:latest";

const labels = { app: rssOperatorName };
const workload = { name: rssOperatorName, namespace: rssOperatorNamespace, labels };

export const rssOperatorRbacRules = policyRules([
  ...controllerAccess(replicatedStatefulSets()),
  ...managerAccess({ leaderElection: true }),
]);

export function rssOperatorManifest(): unknown[] {
  return [
    crdOf(ReplicatedStatefulSetKind),
    ...Object.values(identity(workload, rssOperatorRbacRules)),
    deployment(workload, {
      name: "operator",
      image,
      command: ["node", "--max-semi-space-size=1", "functions/rss-operator/main.js"],
      args: ["--leader-elect=true", `--leader-election-id=${rssOperatorLease}`, `--port=${rssOperatorPort}`],
      port: rssOperatorPort,
      portName: "http",
    }),
  ];
}

/** Each file this product commits under deploy/, by path, and the documents it holds. */
export function manifests(): Record<string, unknown[]> {
  return { "rss-operator.yaml": rssOperatorManifest() };
}
