// The objects a ReplicatedStatefulSet owns: the StatefulSet rss-<name> that runs its members
// and the headless Service <name>-svc that names them (<pod>.<name>-svc), shaped as the
// original operator made them, with its bugs fixed (anti-affinity that selects the set's own
// pods, volumes added once however many containers, the Service owned and so removed).
import type { DesiredObject } from "../../runtime/mod.ts";
import { managedLabel, type ReplicatedStatefulSet, selectorLabels, serviceName, statefulSetName } from "./types.ts";

export const podInfoMountPath = "/etc/podinfo";
export const secretsMountPath = "/etc/rss/secrets";
/** The original's pods wait ten minutes for their containers to stop. */
export const terminationGracePeriodSeconds = 600;
const defaultServicePorts = [{ name: "dummy", port: 12345, targetPort: "dummy" }];

/** The set's labels: its own (minus any that would break the selector) plus app and rss-operator-managed. */
export function setLabels(rss: ReplicatedStatefulSet): Record<string, string> {
  return { ...(rss.metadata.labels ?? {}), ...selectorLabels(rss.metadata.name) };
}

export function headlessService(rss: ReplicatedStatefulSet): DesiredObject {
  const name = rss.metadata.name;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: serviceName(name), labels: setLabels(rss) },
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: selectorLabels(name),
      ports: rss.spec?.servicePorts?.length ? rss.spec.servicePorts : defaultServicePorts,
    },
  };
}

export function statefulSet(rss: ReplicatedStatefulSet, replicas: number): DesiredObject {
  const name = rss.metadata.name;
  const spec = rss.spec ?? {};
  const pod = spec.pod ?? {};
  const secrets = spec.secrets ?? [];
  const env = [
    { name: "SERVICE_NAME", value: serviceName(name) },
    { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
  ];
  const mounts = [
    { name: "podinfo", mountPath: podInfoMountPath },
    ...secrets.map((secret) => ({ name: `secret-${secret}`, mountPath: `${secretsMountPath}/${secret}` })),
  ];
  const containers = (pod.containers ?? []).map((container) => ({
    ...container,
    env: [...(container.env ?? []), ...env],
    volumeMounts: [...(container.volumeMounts ?? []), ...mounts],
  }));
  const volumes = [
    ...(pod.volumes ?? []),
    {
      name: "podinfo",
      downwardAPI: {
        items: [
          { path: "labels", fieldRef: { fieldPath: "metadata.labels" } },
          { path: "annotations", fieldRef: { fieldPath: "metadata.annotations" } },
        ],
      },
    },
    ...secrets.map((secret) => ({ name: `secret-${secret}`, secret: { secretName: secret } })),
  ];
  const labels = setLabels(rss);
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: {
      name: statefulSetName(name),
      labels,
      ...(rss.metadata.annotations ? { annotations: rss.metadata.annotations } : {}),
    },
    spec: {
      replicas,
      serviceName: serviceName(name),
      podManagementPolicy: "Parallel",
      updateStrategy: { type: "OnDelete" },
      selector: { matchLabels: selectorLabels(name) },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete", whenScaled: "Retain" },
      ...(pod.volumeClaimTemplates?.length ? { volumeClaimTemplates: pod.volumeClaimTemplates } : {}),
      template: {
        metadata: { labels, ...(rss.metadata.annotations ? { annotations: rss.metadata.annotations } : {}) },
        spec: {
          containers,
          volumes,
          terminationGracePeriodSeconds,
          ...(pod.securityContext ? { securityContext: pod.securityContext } : {}),
          ...(pod.automountServiceAccountToken !== undefined
            ? { automountServiceAccountToken: pod.automountServiceAccountToken }
            : {}),
          ...(spec.serviceAccountName ? { serviceAccountName: spec.serviceAccountName } : {}),
          ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}),
          ...(spec.tolerations ? { tolerations: spec.tolerations } : {}),
          ...affinity(rss),
        },
      },
    },
  };
}

/** antiAffinity: true spreads the members over hosts (preferred, so a one-node cluster still runs them); it replaces spec.affinity as the original did. */
function affinity(rss: ReplicatedStatefulSet): Record<string, unknown> {
  if (rss.spec?.pod?.antiAffinity) {
    return {
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 100,
              podAffinityTerm: {
                topologyKey: "kubernetes.io/hostname",
                labelSelector: { matchLabels: selectorLabels(rss.metadata.name) },
              },
            },
          ],
        },
      },
    };
  }
  return rss.spec?.affinity ? { affinity: rss.spec.affinity } : {};
}

/** What in the set's own labels the operator cannot take: app and rss* would break the pods' selector (the original refused them too). */
export function labelProblems(rss: ReplicatedStatefulSet): string[] {
  return Object.keys(rss.metadata.labels ?? {})
    .filter((key) => key === "app" || key.startsWith("rss") || key === managedLabel)
    .map((key) => `label "${key}" is reserved for the operator's selector (app, rss*): remove it from metadata.labels`);
}
