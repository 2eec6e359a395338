// Partition → ConfigMap <p>-config (partition.json, protocol.json), StatefulSet <p>,
// Service <p> (api), headless Service <p>-hs (api, protocol) and a PodDisruptionBudget that
// keeps a majority. Pure.
import { create, toJson } from "@bufbuild/protobuf";
import { PartitionConfigSchema } from "../gen/atomix/controller/controller_pb.ts";
import { controller, type DesiredObject, type SyncRequest, type SyncResponse } from "../runtime/controller.ts";
import { builtinKinds } from "../runtime/kube/kinds.ts";
import { PartitionKind, type Partition } from "./kinds.ts";
import { storageClassName } from "./partition-group.ts";
import { chosenProtocol, imageFor, protocolJson, SpecError } from "./protocols.ts";
import { apiPort, apiService, headlessService, partitionLabels, protocolPort, readyCondition, replicaContainerBasics, spreadOverHosts, storageClassProblem, unchangedChildren } from "./shared.ts";

export interface PartitionOptions {
  /** The controller's Service, which partition.json names as the controller. */
  controllerName: string;
  controllerNamespace: string;
  clusterDomain: string;
}

export const defaultPartitionOptions: PartitionOptions = {
  controllerName: "atomix-controller",
  controllerNamespace: "kube-system",
  clusterDomain: "cluster.local",
};

export function syncPartition(options: PartitionOptions, { parent: partition, children, related }: SyncRequest<Partition>): SyncResponse {
  const name = partition.metadata.name;
  const namespace = partition.metadata.namespace!;
  const spec = partition.spec ?? {};
  const size = spec.partitionSize ?? 1;
  const group = spec.group ?? partition.metadata.labels?.group ?? name;
  const index = spec.partitionId ?? 1;
  const statefulSet = children["StatefulSet.apps/v1"]?.[name];
  const readyReplicas = (statefulSet?.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0;

  let protocol;
  let protocolConfig;
  try {
    protocol = chosenProtocol(spec);
    const problem = storageClassProblem(protocol.name, protocol.options, related);
    if (problem) throw new SpecError(problem);
    protocolConfig = protocolJson(protocol.name, protocol.options, `spec.${protocol.name}`);
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    return {
      children: unchangedChildren(children),
      status: { readyReplicas, ready: false, conditions: [readyCondition(false, "InvalidSpec", error.message)] },
    };
  }

  const labels = partitionLabels(group, index);
  const headless = `${name}-hs`;
  const domain = options.clusterDomain;
  const partitionId = { partition: index, group: { name: group, namespace } };
  const partitionConfig = toJson(
    PartitionConfigSchema,
    create(PartitionConfigSchema, {
      partition: partitionId,
      controller: {
        id: options.controllerName,
        host: `${options.controllerName}.${options.controllerNamespace}.svc.${domain}`,
        port: 5679,
      },
      members: Array.from({ length: size }, (_, ordinal) => ({
        id: `${name}-${ordinal}`,
        host: `${name}-${ordinal}.${headless}.${namespace}.svc.${domain}`,
        apiPort,
        protocolPort,
      })),
      partitions: [partitionId],
    }),
  );

  const storage = protocol.options.storage;
  const claim = storage?.className || storage?.size;
  const desired: DesiredObject[] = [
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `${name}-config`, labels },
      data: {
        "partition.json": JSON.stringify(partitionConfig, null, 2),
        "protocol.json": JSON.stringify(protocolConfig, null, 2),
      },
    },
    {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name, labels },
      spec: {
        serviceName: headless,
        replicas: size,
        podManagementPolicy: "Parallel",
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: "atomix",
                image: imageFor(protocol.name, protocol.options, spec.version ?? "latest"),
                imagePullPolicy: protocol.options.imagePullPolicy ?? "IfNotPresent",
                env: [
                  { name: "ATOMIX_NODE_ID", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                  { name: "ATOMIX_PARTITION_GROUP", value: group },
                  { name: "ATOMIX_PARTITION", value: String(index) },
                  ...(spec.env ?? []),
                ],
                ...replicaContainerBasics(Boolean(claim)),
                ...(spec.resources ? { resources: spec.resources } : {}),
              },
            ],
            affinity: spreadOverHosts(labels),
            volumes: [{ name: "config", configMap: { name: `${name}-config` } }],
          },
        },
        ...(claim
          ? {
              volumeClaimTemplates: [
                {
                  apiVersion: "v1",
                  kind: "PersistentVolumeClaim",
                  metadata: { name: "data" },
                  spec: {
                    accessModes: ["ReadWriteOnce"],
                    ...(storage?.className ? { storageClassName: storage.className } : {}),
                    resources: { requests: { storage: storage?.size ?? "1Gi" } },
                  },
                },
              ],
            }
          : {}),
      },
    },
    apiService(name, labels),
    headlessService(headless, labels),
    {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name, labels },
      spec: { minAvailable: Math.floor(size / 2) + 1, selector: { matchLabels: labels } },
    },
  ];

  const ready = readyReplicas >= size;
  return {
    children: desired,
    status: {
      readyReplicas,
      ready,
      conditions: [
        ready
          ? readyCondition(true, "ReplicasReady", `all ${size} replicas are ready`)
          : readyCondition(false, "ReplicasNotReady", `${readyReplicas} of ${size} replicas are ready`),
      ],
    },
  };
}

export function partitions(options: PartitionOptions = defaultPartitionOptions) {
  return controller<Partition>({
    name: "partitions",
    parent: PartitionKind,
    children: [builtinKinds.ConfigMap, builtinKinds.StatefulSet, builtinKinds.Service, builtinKinds.PodDisruptionBudget],
    related: {
      kinds: [builtinKinds.StorageClass],
      select(partition) {
        const className = storageClassName(partition.spec);
        return className ? [{ apiVersion: "storage.k8s.io/v1", kind: "StorageClass", names: [className] }] : [];
      },
    },
    sync: (request) => syncPartition(options, request),
  });
}
