// Names, labels, ports and conditions shared by the Atomix functions.
import { objectOf, type DesiredObject, type ObjectsByKind } from "../runtime/controller.ts";
import { builtinKinds } from "../runtime/kube/kinds.ts";
import type { ProtocolSpec } from "./kinds.ts";
import type { ProtocolName } from "./protocols.ts";

export const apiPort = 5678;
export const protocolPort = 5679;

export const configMountPath = "/etc/atomix";
export const dataMountPath = "/var/lib/atomix";
/** Storage nodes create this file once they are ready to serve. */
export const readyFile = "/tmp/atomix-ready";

/** The parts every storage replica container shares: ports, probes and volume mounts. */
export function replicaContainerBasics(withData: boolean) {
  return {
    ports: [
      { name: "api", containerPort: apiPort, protocol: "TCP" },
      { name: "protocol", containerPort: protocolPort, protocol: "TCP" },
    ],
    readinessProbe: { exec: { command: ["stat", readyFile] }, initialDelaySeconds: 5, periodSeconds: 5, failureThreshold: 12 },
    livenessProbe: { tcpSocket: { port: apiPort }, initialDelaySeconds: 60, periodSeconds: 10, timeoutSeconds: 10 },
    volumeMounts: [{ name: "config", mountPath: configMountPath }, ...(withData ? [{ name: "data", mountPath: dataMountPath }] : [])],
  };
}

/** Prefer to put the replicas selected by these labels on different hosts. */
export const spreadOverHosts = (labels: Record<string, string>) => ({
  podAntiAffinity: {
    preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: labels } } }],
  },
});

/** A Service on the api port for the pods the selector picks. */
export const apiService = (name: string, labels: Record<string, string>, selector = labels): DesiredObject => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, labels },
  spec: { selector, ports: [{ name: "api", port: apiPort, targetPort: apiPort, protocol: "TCP" }] },
});

/** The api and protocol ports of a storage replica. */
export const replicaPorts = [
  { name: "api", port: apiPort },
  { name: "protocol", port: protocolPort },
];

/** A headless Service that names each pod in DNS (<pod>.<name>), ready or not, so peers find each other while they start. */
export const headlessService = (name: string, labels: Record<string, string>, ports = replicaPorts, selector = labels): DesiredObject => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, labels },
  spec: {
    clusterIP: "None",
    publishNotReadyAddresses: true,
    selector,
    ports: ports.map((port) => ({ ...port, targetPort: port.port, protocol: "TCP" })),
  },
});

export const partitionName = (group: string, index: number) => `${group}-${index}`;

export const partitionLabels = (group: string, index: number): Record<string, string> => ({
  app: "atomix",
  type: "partition",
  group,
  partition: String(index),
});

export const groupLabels = (group: string): Record<string, string> => ({ app: "atomix", type: "group", group });

export function readyCondition(ready: boolean, reason: string, message: string) {
  return { type: "Ready", status: ready ? "True" : "False", reason, message };
}

/** Ready as counted: "PartitionsReady: all 3 partitions are ready", or "PartitionsNotReady: 1 of 3 partitions are ready". */
export function countedReadyCondition(ready: boolean, readyCount: number, total: number, things: "partitions" | "replicas") {
  const reason = things[0]!.toUpperCase() + things.slice(1);
  return ready
    ? readyCondition(true, `${reason}Ready`, `all ${total} ${things} are ready`)
    : readyCondition(false, `${reason}NotReady`, `${readyCount} of ${total} ${things} are ready`);
}

/** A message naming the missing StorageClass, or undefined when the protocol needs none or it exists. */
export function storageClassProblem(protocol: ProtocolName, options: ProtocolSpec, related: ObjectsByKind): string | undefined {
  const className = options.storage?.className;
  if (!className) return undefined;
  if (objectOf(related, builtinKinds.StorageClass, className)) return undefined;
  return `storage class "${className}" does not exist: create it, or change spec.${protocol}.storage.className`;
}

/** The current children restated as desired, so invalid input changes nothing. */
export function unchangedChildren(children: ObjectsByKind): DesiredObject[] {
  return Object.values(children).flatMap((byName) =>
    Object.values(byName).map((child) => {
      const { status: _status, metadata, ...rest } = child;
      return {
        ...rest,
        apiVersion: child.apiVersion,
        kind: child.kind,
        metadata: { name: metadata.name, ...(metadata.labels ? { labels: metadata.labels } : {}), ...(metadata.annotations ? { annotations: metadata.annotations } : {}) },
      } as DesiredObject;
    }),
  );
}

/** FNV-1a, 32 bits, as 8 hex digits: a stable fingerprint of a text. */
export function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}
