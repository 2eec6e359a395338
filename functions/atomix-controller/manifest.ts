// Builds deploy/atomix-controller.yaml: the CRDs, RBAC, Deployment and Service of the
// Atomix controller. The YAML is committed; a unit test fails when it is stale.
//   npm run manifests        (rewrites every generated file under deploy/)
import { controllerAccess, crdOf, deployment, identity, managerAccess, policyRules } from "../../runtime/manifests.ts";
import {
  DatabaseKind,
  DatabasePartitionKind,
  MemberKind,
  PartitionGroupKind,
  PartitionKind,
  PrimitiveKind,
  RaftStorageClassKind,
} from "./crds.ts";
import { atomixControllers, atomixServiceAccess, controllerName } from "./program.ts";

export { controllerName } from "./program.ts";
export const controllerNamespace = "kube-system";
/** The image the Deployment runs (deploy/Containerfile builds it). */
export const image = "atomix/atomix-controller-ts:latest";
export const controllerPort = 5679;

// The CRDs of the kinds declared in crds.ts.
export const partitionGroupCrd = crdOf(PartitionGroupKind);
export const partitionCrd = crdOf(PartitionKind);
export const databaseCrd = crdOf(DatabaseKind);
export const databasePartitionCrd = crdOf(DatabasePartitionKind);
export const memberCrd = crdOf(MemberKind);
export const primitiveCrd = crdOf(PrimitiveKind);
export const raftStorageClassCrd = crdOf(RaftStorageClassKind);

const labels = { app: controllerName };
const workload = { name: controllerName, namespace: controllerNamespace, labels };
/** The ClusterRole's rules: what the controllers, the RPC services and the manager use, and nothing else. */
export const rbacRules = policyRules([
  ...atomixControllers().flatMap(controllerAccess),
  ...atomixServiceAccess,
  // The Deployment runs with --api-auth=none; the reviews let it be switched to kubernetes by flag alone.
  ...managerAccess({ leaderElection: true, apiAuth: true }),
]);

export function manifest() {
  return [
    partitionGroupCrd,
    partitionCrd,
    databaseCrd,
    databasePartitionCrd,
    memberCrd,
    primitiveCrd,
    raftStorageClassCrd,
    ...Object.values(identity(workload, rbacRules)),
    deployment(workload, {
      name: "controller",
      image,
      args: ["--leader-elect=true", `--port=${controllerPort}`],
      port: controllerPort,
      portName: "grpc",
    }),
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: controllerName, namespace: controllerNamespace, labels },
      spec: {
        selector: labels,
        ports: [{
          name: "grpc",
          port: controllerPort,
          targetPort: "grpc",
          protocol: "TCP",
          appProtocol: "kubernetes.io/h2c",
        }],
      },
    },
  ];
}

/** Each file this product commits under deploy/, by path, and the documents it holds. */
export function manifests(): Record<string, unknown[]> {
  return { "atomix-controller.yaml": manifest() };
}
