// Builds the Atomix operator's manifests: the AtomixCluster CRD, its ServiceAccount, RBAC and
// Deployment, as one file (deploy/atomix-operator.yaml) and as one file per step of the
// atomix-operator README (crds/atomixcluster_crd.yaml, service_account.yaml, role.yaml,
// role_binding.yaml, operator.yaml). The YAML is committed; a unit test fails when it is stale.
//   npm run manifests        (rewrites every generated file under deploy/)
import { atomixClusters } from "./atomix-cluster.ts";
import { operatorLease, operatorName } from "./program.ts";
import { controllerAccess, deployment, identity, managerAccess, policyRules } from "../../runtime/manifests.ts";
import { atomixClusterCrd } from "./crd.ts";

export { operatorLease, operatorName } from "./program.ts";
export const operatorNamespace = "kube-system";
export const operatorPort = 5679;
/** The image the Deployment runs (deploy/Containerfile builds it). */
export const image = "atomix/atomix-controller-ts:latest";

const labels = { app: operatorName };

/** What the runtime does for the atomix-cluster controller and the manager, derived from their declarations. */
export const operatorRbacRules = policyRules([
  ...controllerAccess(atomixClusters()),
  ...managerAccess({ leaderElection: true }),
]);

const workload = { name: operatorName, namespace: operatorNamespace, labels };
export const { serviceAccount, clusterRole, clusterRoleBinding } = identity(workload, operatorRbacRules);

export const operatorDeployment = deployment(workload, {
  name: "operator",
  image,
  command: ["node", "--max-semi-space-size=1", "functions/atomix-operator/main.js"],
  args: ["--leader-elect=true", `--leader-election-id=${operatorLease}`, `--port=${operatorPort}`],
  port: operatorPort,
  portName: "http",
});

/**
 * Each file this product commits under deploy/, by path, and the documents it holds: the whole
 * operator in one file, and one file per step of the atomix-operator README.
 */
export function manifests(): Record<string, unknown[]> {
  return {
    "atomix-operator.yaml": [atomixClusterCrd, serviceAccount, clusterRole, clusterRoleBinding, operatorDeployment],
    "crds/atomixcluster_crd.yaml": [atomixClusterCrd],
    "service_account.yaml": [serviceAccount],
    "role.yaml": [clusterRole],
    "role_binding.yaml": [clusterRoleBinding],
    "operator.yaml": [operatorDeployment],
  };
}
