// What Atomix storage replicas look like, shared by both generations of the Atomix
// controller: ports, mounts, probes, Services, names, labels and Ready conditions.
import {
  builtinKinds,
  type DesiredObject,
  headlessService as headlessServiceOf,
  objectOf,
  type ObjectsByKind,
  readyCondition,
} from "../../runtime/mod.ts";
import type { ProtocolSpec } from "./kinds.ts";
import type { ProtocolName } from "./protocols.ts";

/**
 * Every Atomix controller's batch period: its children's and related objects' changes sync the
 * parent after this long, so that a StatefulSet's replicas becoming ready one after another make
 * one status write, not one each, while a burst keeps the API server busy. A parent's own change
 * syncs at once.
 */
export const batchPeriodSeconds = 1;

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
    readinessProbe: {
      exec: { command: ["stat", readyFile] },
      initialDelaySeconds: 5,
      periodSeconds: 5,
      failureThreshold: 12,
    },
    livenessProbe: { tcpSocket: { port: apiPort }, initialDelaySeconds: 60, periodSeconds: 10, timeoutSeconds: 10 },
    volumeMounts: [
      { name: "config", mountPath: configMountPath },
      ...(withData ? [{ name: "data", mountPath: dataMountPath }] : []),
    ],
  };
}

/** Prefer to put the replicas selected by these labels on different hosts. */
export const spreadOverHosts = (labels: Record<string, string>) => ({
  podAntiAffinity: {
    preferredDuringSchedulingIgnoredDuringExecution: [{
      weight: 1,
      podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: labels } },
    }],
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
export const headlessService = (name: string, labels: Record<string, string>): DesiredObject =>
  headlessServiceOf(name, labels, replicaPorts);

export const partitionName = (group: string, index: number) => `${group}-${index}`;

export const partitionLabels = (group: string, index: number): Record<string, string> => ({
  app: "atomix",
  type: "partition",
  group,
  partition: String(index),
});

export const groupLabels = (group: string): Record<string, string> => ({ app: "atomix", type: "group", group });

/** Ready as counted: "PartitionsReady: all 3 partitions are ready", or "PartitionsNotReady: 1 of 3 partitions are ready". */
export function countedReadyCondition(
  ready: boolean,
  readyCount: number,
  total: number,
  things: "partitions" | "replicas",
) {
  const reason = things[0]!.toUpperCase() + things.slice(1);
  return ready
    ? readyCondition(true, `${reason}Ready`, `all ${total} ${things} are ready`)
    : readyCondition(false, `${reason}NotReady`, `${readyCount} of ${total} ${things} are ready`);
}

/** A message naming the missing StorageClass, or undefined when the protocol needs none or it exists. */
export function storageClassProblem(
  protocol: ProtocolName,
  options: ProtocolSpec,
  related: ObjectsByKind,
): string | undefined {
  const className = options.storage?.className;
  if (!className) return undefined;
  if (objectOf(related, builtinKinds.StorageClass, className)) return undefined;
  return `storage class "${className}" does not exist: create it, or change spec.${protocol}.storage.className`;
}
