// Partition → ConfigMap <p>-config (partition.json, protocol.json), StatefulSet <p>,
// Service <p> (api), headless Service <p>-hs (api, protocol) and a PodDisruptionBudget that
// keeps a majority. Pure.
import { create, toJson } from "@bufbuild/protobuf";
import { PartitionConfigSchema } from "../../../gen/atomix/controller/controller_pb.ts";
import {
  builtinKinds,
  controller,
  type DesiredObject,
  objectOf,
  type ObjectsByKind,
  readyCondition,
  type SyncRequest,
  type SyncResponse,
  unchangedChildren,
} from "../../../runtime/mod.ts";
import { type Partition, PartitionKind, type ProtocolSpec } from "../kinds.ts";
import { storageClassName } from "./partition-group.ts";
import { type ChosenProtocol, chosenProtocol, imageFor, protocolJson, SpecError } from "../protocols.ts";
import {
  apiPort,
  apiService,
  batchPeriodSeconds,
  countedReadyCondition,
  headlessService,
  partitionLabels,
  protocolPort,
  replicaContainerBasics,
  spreadOverHosts,
  storageClassProblem,
} from "../replicas.ts";

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

/** Where a partition sits: its name, group, index and replica count. */
interface PartitionPlace {
  name: string;
  namespace: string;
  group: string;
  index: number;
  size: number;
  labels: Record<string, string>;
  headless: string;
}

function placeOf(partition: Partition): PartitionPlace {
  const name = partition.metadata.name;
  const group = partition.spec?.group ?? partition.metadata.labels?.group ?? name;
  const index = partition.spec?.partitionId ?? 1;
  return {
    name,
    namespace: partition.metadata.namespace!,
    group,
    index,
    size: partition.spec?.partitionSize ?? 1,
    labels: partitionLabels(group, index),
    headless: `${name}-hs`,
  };
}

/** partition.json: the partition, the controller that serves it and its replicas' addresses. */
export function partitionConfig(place: PartitionPlace, options: PartitionOptions): unknown {
  const { name, namespace, group, index, size, headless } = place;
  const domain = options.clusterDomain;
  const partitionId = { partition: index, group: { name: group, namespace } };
  return toJson(
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
}

/** The replicas' volume claim, when the protocol asks for a storage class or size. */
function dataClaims(storage: ProtocolSpec["storage"]) {
  if (!storage?.className && !storage?.size) return [];
  return [
    {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "data" },
      spec: {
        accessModes: ["ReadWriteOnce"],
        ...(storage.className ? { storageClassName: storage.className } : {}),
        resources: { requests: { storage: storage.size ?? "1Gi" } },
      },
    },
  ];
}

function partitionStatefulSet(
  place: PartitionPlace,
  spec: NonNullable<Partition["spec"]>,
  protocol: ChosenProtocol,
): DesiredObject {
  const { name, group, index, size, labels, headless } = place;
  const claims = dataClaims(protocol.options.storage);
  return {
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
              ...replicaContainerBasics(claims.length > 0),
              ...(spec.resources ? { resources: spec.resources } : {}),
            },
          ],
          affinity: spreadOverHosts(labels),
          volumes: [{ name: "config", configMap: { name: `${name}-config` } }],
        },
      },
      ...(claims.length ? { volumeClaimTemplates: claims } : {}),
    },
  };
}

/** Keeps a majority of the replicas up through voluntary disruptions. */
const majorityBudget = ({ name, labels, size }: PartitionPlace): DesiredObject => ({
  apiVersion: "policy/v1",
  kind: "PodDisruptionBudget",
  metadata: { name, labels },
  spec: { minAvailable: Math.floor(size / 2) + 1, selector: { matchLabels: labels } },
});

function partitionStatus(readyReplicas: number, size: number) {
  const ready = readyReplicas >= size;
  return {
    readyReplicas,
    ready,
    conditions: [countedReadyCondition(ready, readyReplicas, size, "replicas")],
  };
}

/** The protocol the spec chooses, checked: one protocol, a storage class that exists, valid options. */
function checkedProtocol(
  spec: NonNullable<Partition["spec"]>,
  related: ObjectsByKind,
): { protocol: ChosenProtocol; config: unknown } {
  const protocol = chosenProtocol(spec);
  const problem = storageClassProblem(protocol.name, protocol.options, related);
  if (problem) throw new SpecError(problem);
  return { protocol, config: protocolJson(protocol.name, protocol.options, `spec.${protocol.name}`) };
}

export function syncPartition(
  options: PartitionOptions,
  { parent: partition, children, related }: SyncRequest<Partition>,
): SyncResponse<DesiredObject> {
  const place = placeOf(partition);
  const spec = partition.spec ?? {};
  const statefulSet = objectOf(children, builtinKinds.StatefulSet, place.name);
  const readyReplicas = (statefulSet?.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0;
  let checked;
  try {
    checked = checkedProtocol(spec, related);
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    return {
      children: unchangedChildren(children),
      status: { readyReplicas, ready: false, conditions: [readyCondition(false, "InvalidSpec", error.message)] },
    };
  }
  const configMap: DesiredObject = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: `${place.name}-config`, labels: place.labels },
    data: {
      "partition.json": JSON.stringify(partitionConfig(place, options), null, 2),
      "protocol.json": JSON.stringify(checked.config, null, 2),
    },
  };
  return {
    children: [
      configMap,
      partitionStatefulSet(place, spec, checked.protocol),
      apiService(place.name, place.labels),
      headlessService(place.headless, place.labels),
      majorityBudget(place),
    ],
    status: partitionStatus(readyReplicas, place.size),
  };
}

export function partitions(options: PartitionOptions = defaultPartitionOptions) {
  return controller<Partition>({
    name: "partitions",
    parent: PartitionKind,
    children: [
      builtinKinds.ConfigMap,
      builtinKinds.StatefulSet,
      builtinKinds.Service,
      builtinKinds.PodDisruptionBudget,
    ],
    related: {
      kinds: [builtinKinds.StorageClass],
      select(partition) {
        const className = storageClassName(partition.spec);
        return className ? [{ apiVersion: "storage.k8s.io/v1", kind: "StorageClass", names: [className] }] : [];
      },
    },
    sync: (request) => syncPartition(options, request),
    batchPeriodSeconds,
  });
}
