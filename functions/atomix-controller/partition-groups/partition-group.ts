// PartitionGroup → Partitions <group>-1..<group>-N, and a headless selector-less Service
// <group> with an EndpointSlice naming each partition's Service address, so that DNS SRV for
// _api._tcp.<group>.<namespace>.svc answers one record per partition. Pure.
import {
  builtinKinds,
  controller,
  type DesiredObject,
  type KubeObject,
  readyCondition,
  type SyncRequest,
  type SyncResponse,
  unchangedChildren,
} from "../../../runtime/mod.ts";
import { type Partition, type PartitionGroup, PartitionGroupKind, PartitionKind } from "../kinds.ts";
import { chosenProtocol, SpecError } from "../protocols.ts";
import {
  apiPort,
  batchPeriodSeconds,
  countedReadyCondition,
  groupLabels,
  partitionLabels,
  partitionName,
  storageClassProblem,
} from "../replicas.ts";

export const endpointSliceManager = "atomix-controller";

export type PartitionGroupStatus = {
  partitions: number;
  readyPartitions: number;
  conditions: Array<Record<string, unknown>>;
};

export function syncPartitionGroup(
  { parent: group, children, related }: SyncRequest<PartitionGroup>,
): SyncResponse<DesiredObject> {
  const name = group.metadata.name;
  const namespace = group.metadata.namespace!;
  const spec = group.spec ?? {};
  const partitions = spec.partitions ?? 1;
  const existing = children[`${PartitionKind.kind}.${PartitionKind.apiVersion}`] ?? {};
  const readyPartitions =
    Object.values(existing).filter((p) => (p.status as { ready?: boolean } | undefined)?.ready === true).length;

  let protocol;
  try {
    protocol = chosenProtocol(spec);
    const problem = storageClassProblem(protocol.name, protocol.options, related);
    if (problem) throw new SpecError(problem);
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    // Unusable input: keep what exists, say what to fix.
    return {
      children: unchangedChildren(children),
      status: { partitions, readyPartitions, conditions: [readyCondition(false, "InvalidSpec", error.message)] },
    };
  }

  const desired: DesiredObject[] = [];
  const services = related[`${builtinKinds.Service.kind}.${builtinKinds.Service.apiVersion}`] ?? {};
  const endpoints = [];
  for (let index = 1; index <= partitions; index++) {
    const partition = partitionName(name, index);
    desired.push({
      apiVersion: PartitionKind.apiVersion,
      kind: PartitionKind.kind,
      metadata: { name: partition, labels: partitionLabels(name, index) },
      spec: {
        group: name,
        partitionId: index,
        version: spec.version ?? "latest",
        partitionSize: spec.partitionSize ?? 1,
        [protocol.name]: protocol.options,
        ...(spec.env ? { env: spec.env } : {}),
        ...(spec.resources ? { resources: spec.resources } : {}),
      },
    });
    const clusterIP = (services[`${namespace}/${partition}`]?.spec as { clusterIP?: string } | undefined)?.clusterIP;
    if (clusterIP && clusterIP !== "None") {
      endpoints.push({ addresses: [clusterIP], hostname: partition, conditions: { ready: true } });
    }
  }
  desired.push({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, labels: groupLabels(name) },
    spec: { clusterIP: "None", ports: [{ name: "api", port: apiPort, protocol: "TCP" }] },
  });
  desired.push({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name,
      labels: {
        ...groupLabels(name),
        "kubernetes.io/service-name": name,
        "endpointslice.kubernetes.io/managed-by": endpointSliceManager,
      },
    },
    addressType: "IPv4",
    endpoints,
    ports: [{ name: "api", port: apiPort, protocol: "TCP" }],
  });

  const ready = readyPartitions === partitions;
  const status: PartitionGroupStatus = {
    partitions,
    readyPartitions,
    conditions: [countedReadyCondition(ready, readyPartitions, partitions, "partitions")],
  };
  return { children: desired, status };
}

export const partitionGroups = controller<PartitionGroup>({
  name: "partition-groups",
  parent: PartitionGroupKind,
  children: [PartitionKind, builtinKinds.Service, builtinKinds.EndpointSlice],
  related: {
    kinds: [builtinKinds.Service, builtinKinds.StorageClass],
    select(group) {
      const requests: Array<
        { apiVersion: string; kind: string; names?: string[]; matchLabels?: Record<string, string> }
      > = [
        { apiVersion: "v1", kind: "Service", matchLabels: { ...partitionLabelsFor(group.metadata.name) } },
      ];
      const className = storageClassName(group.spec);
      if (className) requests.push({ apiVersion: "storage.k8s.io/v1", kind: "StorageClass", names: [className] });
      return requests;
    },
  },
  sync: syncPartitionGroup,
  batchPeriodSeconds,
});

function partitionLabelsFor(group: string): Record<string, string> {
  const { partition: _partition, ...labels } = partitionLabels(group, 0);
  return labels;
}

export function storageClassName(spec: (PartitionGroup | Partition)["spec"]): string | undefined {
  try {
    return chosenProtocol(spec).options.storage?.className || undefined;
  } catch {
    return undefined;
  }
}

export type { KubeObject };
