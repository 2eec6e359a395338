// What a program on the runtime needs to run in a cluster: a ServiceAccount with a
// ClusterRole bound to it, and a Deployment of two replicas (leader election, non-root,
// read-only root filesystem, probes on the runtime's port).
import { stringify } from "yaml";
import type { KubeObject } from "../kube/objects.ts";
import type { PolicyRule } from "../rbac.ts";

export interface Workload {
  name: string;
  namespace: string;
  labels: Record<string, string>;
}

/** The ServiceAccount, a ClusterRole with these rules (or only these labels, for an aggregated one) and the binding. */
export function identity(
  { name, namespace, labels }: Workload,
  rules: PolicyRule[],
): { serviceAccount: KubeObject; clusterRole: KubeObject; clusterRoleBinding: KubeObject } {
  return {
    serviceAccount: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace, labels } },
    clusterRole: { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name, labels }, rules },
    clusterRoleBinding: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
      subjects: [{ kind: "ServiceAccount", name, namespace }],
    },
  };
}

const podEnv = [
  { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
  { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
];

export function deployment(
  { name, namespace, labels }: Workload,
  container: {
    name: string;
    image: string;
    command?: string[];
    args: string[];
    podEnv?: boolean;
    port: number;
    portName: string;
  },
): KubeObject {
  const port = container.portName;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: name,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [
            {
              name: container.name,
              image: container.image,
              imagePullPolicy: "IfNotPresent",
              ...(container.command ? { command: container.command } : {}),
              args: container.args,
              ...(container.podEnv === false ? {} : { env: podEnv }),
              ports: [{ name: port, containerPort: container.port, protocol: "TCP" }],
              readinessProbe: { httpGet: { path: "/readyz", port }, periodSeconds: 5 },
              livenessProbe: { httpGet: { path: "/healthz", port }, initialDelaySeconds: 10, periodSeconds: 10 },
              resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
            },
          ],
        },
      },
    },
  };
}

/** Documents as one YAML stream, plain (no anchors), after a header saying how it was made. */
export function yamlStream(header: string, documents: unknown[]): string {
  return header +
    documents.map((doc) => `---\n${stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false })}`).join("");
}
