// The objects of one set of Atomix nodes (the management group, a partition group, the
// benchmark workers): a ConfigMap holding atomix.conf, a headless Service that names each
// pod in DNS, and a StatefulSet. Pure.
import { type DesiredObject, fingerprint, headlessService } from "../../runtime/mod.ts";
import { clientPort, configFileName, nodeHostVariable, nodeIdVariable, nodePort } from "./config.ts";
import { type Labels, serviceHost } from "./names.ts";
import type { AtomixStorage, EnvVar, Resources } from "./kinds.ts";

/**
 * Pod template annotation: a fingerprint of atomix.conf and the rest of the template. A new
 * config (size, partitions, protocol options) rolls the pods as a new image, env or resources
 * do, and the status can tell a node set that runs the current template from one still rolling.
 */
export const templateHashAnnotation = "agent.atomix.io/pod-template-hash";

/** The pod template with its fingerprint annotation; the config is part of what is fingerprinted. */
export function fingerprinted(
  template: { metadata: { labels: Labels }; spec: Record<string, unknown> },
  config: string,
) {
  const hash = fingerprint(canonicalJson([config, template]));
  return { ...template, metadata: { ...template.metadata, annotations: { [templateHashAnnotation]: hash } } };
}

/** JSON with object keys sorted, so the fingerprint does not depend on the order the spec's keys arrived in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort((
      [a],
      [b],
    ) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The fingerprint a StatefulSet's or Deployment's pod template carries, if any. */
export function templateHashOf(workload: { [field: string]: unknown } | undefined): string | undefined {
  return (workload?.["spec"] as { template?: { metadata?: { annotations?: Record<string, string> } } } | undefined)
    ?.template?.metadata?.annotations?.[templateHashAnnotation];
}
export const configMountPath = "/etc/atomix";
export const dataMountPath = "/var/lib/atomix";
export const dataClaimName = "data";
/**
 * Claims from volumeClaimTemplates go with their StatefulSet (so removing a group or
 * deleting the cluster leaves no claim behind), and stay when it scales down (so scaling
 * back up finds the data).
 */
export const claimRetention = { whenDeleted: "Delete", whenScaled: "Retain" } as const;
/** The Atomix HTTP API answers here once the node is up. */
export const statusPath = "/v1/status";

export interface NodeSetOptions {
  name: string;
  namespace: string;
  clusterDomain: string;
  /** Labels of the objects, and the pods' labels and selector. */
  labels: Labels;
  serviceName: string;
  /** Pods the headless Service publishes; the node set's own labels unless given. */
  serviceSelector?: Labels;
  configName: string;
  config: string;
  replicas: number;
  image: string;
  /** Arguments before the config file: ["agent"] for atomix-bench, none for atomix. */
  command?: string[];
  env?: EnvVar[];
  resources?: Resources;
  /** Present for persistent node sets: a claim per pod, mounted at dataMountPath. */
  storage?: AtomixStorage & { size: string };
  /** Prefer to place pods of this set on different nodes. */
  spread: boolean;
}

export function configMap(name: string, labels: Labels, config: string): DesiredObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, labels }, data: { [configFileName]: config } };
}

/** The Atomix container: its config mount, identity from the environment, ports and probes. */
export function atomixContainer(
  options: {
    image: string;
    command?: string[];
    host: string;
    env?: EnvVar[];
    resources?: Resources;
    persistent: boolean;
  },
) {
  const probe = { httpGet: { path: statusPath, port: clientPort }, initialDelaySeconds: 60, timeoutSeconds: 10 };
  return {
    name: "atomix",
    image: options.image,
    imagePullPolicy: "IfNotPresent",
    args: [
      ...(options.command ?? []),
      "--config",
      `${configMountPath}/${configFileName}`,
      ...(options.command ? [] : [
        "--ignore-resources",
        ...(options.persistent ? [`--data-dir=${dataMountPath}/data`] : []),
        "--log-level=INFO",
        "--file-log-level=OFF",
        "--console-log-level=INFO",
      ]),
    ],
    env: [
      { name: nodeIdVariable, valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: nodeHostVariable, value: options.host },
      ...(options.env ?? []),
    ],
    ports: [
      { name: "client", containerPort: clientPort, protocol: "TCP" },
      { name: "server", containerPort: nodePort, protocol: "TCP" },
    ],
    readinessProbe: { ...probe, failureThreshold: 6 },
    livenessProbe: probe,
    ...(options.resources ? { resources: options.resources } : {}),
    volumeMounts: [
      { name: "config", mountPath: configMountPath },
      ...(options.persistent ? [{ name: dataClaimName, mountPath: dataMountPath }] : []),
    ],
  };
}

export function nodeSet(options: NodeSetOptions): DesiredObject[] {
  const { labels, storage } = options;
  // Kubernetes expands $(ATOMIX_NODE_ID) from the variable defined just before it.
  const host = `$(${nodeIdVariable}).${serviceHost(options.serviceName, options.namespace, options.clusterDomain)}`;
  const statefulSet: DesiredObject = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: options.name, labels },
    spec: {
      serviceName: options.serviceName,
      replicas: options.replicas,
      podManagementPolicy: "Parallel",
      updateStrategy: { type: "RollingUpdate" },
      selector: { matchLabels: labels },
      template: fingerprinted({
        metadata: { labels },
        spec: {
          containers: [
            atomixContainer({
              image: options.image,
              command: options.command,
              host,
              env: options.env,
              resources: options.resources,
              persistent: Boolean(storage),
            }),
          ],
          ...(options.spread
            ? {
              affinity: {
                podAntiAffinity: {
                  preferredDuringSchedulingIgnoredDuringExecution: [
                    {
                      weight: 1,
                      podAffinityTerm: {
                        topologyKey: "kubernetes.io/hostname",
                        labelSelector: { matchLabels: labels },
                      },
                    },
                  ],
                },
              },
            }
            : {}),
          volumes: [{ name: "config", configMap: { name: options.configName } }],
        },
      }, options.config),
      ...(storage
        ? {
          persistentVolumeClaimRetentionPolicy: claimRetention,
          volumeClaimTemplates: [
            {
              apiVersion: "v1",
              kind: "PersistentVolumeClaim",
              metadata: { name: dataClaimName, labels },
              spec: {
                accessModes: ["ReadWriteOnce"],
                ...(storage.className ? { storageClassName: storage.className } : {}),
                resources: { requests: { storage: storage.size } },
              },
            },
          ],
        }
        : {}),
    },
  };
  return [
    configMap(options.configName, labels, options.config),
    headlessService(options.serviceName, labels, [{ name: "node", port: nodePort }], options.serviceSelector ?? labels),
    statefulSet,
  ];
}
