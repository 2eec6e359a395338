// Builds deploy/atomix-controller.yaml: the CRDs, RBAC, Deployment and Service of the
// Atomix controller. The YAML is committed; a unit test fails when it is stale.
//   npm run manifests        (rewrites every generated file under deploy/)
import { controllerAccess, crd, deployment, identity, managerAccess, policyRules } from "../../runtime/manifests.ts";
import { atomixControllers, atomixServiceAccess, controllerName } from "./program.ts";

export { controllerName } from "./program.ts";
export const controllerNamespace = "kube-system";
/** The image the Deployment runs (deploy/Containerfile builds it). */
export const image = "atomix/atomix-controller-ts:latest";
export const controllerPort = 5679;

/** The Atomix kinds' CRDs, listed together by `kubectl get atomix`. */
const atomixCrd = (options: Parameters<typeof crd>[0]) => crd({ ...options, categories: ["atomix"] });

const durationPattern = "^[0-9]+(\\.[0-9]+)?(ms|s|m|h)$";

const protocolSchema = (description: string) => ({
  type: "object",
  description,
  properties: {
    image: { type: "string", description: "Image override; default atomix/<protocol>-replica:<version>" },
    imagePullPolicy: { type: "string", enum: ["Always", "IfNotPresent", "Never"] },
    electionTimeout: { type: "string", pattern: durationPattern, description: "e.g. 5s" },
    heartbeatInterval: { type: "string", pattern: durationPattern, description: "e.g. 500ms" },
    storage: {
      type: "object",
      properties: {
        className: { type: "string", description: "StorageClass of each replica's volume; must exist" },
        size: {
          type: "string",
          pattern: "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$",
          description: "Volume size, e.g. 1Gi",
        },
        maxEntrySize: { type: "integer", minimum: 1 },
        segmentSize: { type: "integer", minimum: 1 },
        level: { type: "string", enum: ["DISK", "MAPPED"] },
        flushOnCommit: { type: "boolean" },
      },
    },
    compaction: {
      type: "object",
      properties: { dynamic: { type: "boolean" }, freeDiskBuffer: { type: "number", minimum: 0, maximum: 1 } },
    },
    backups: { type: "integer", minimum: 0, description: "primaryBackup: backups per primary" },
    replication: { type: "string", enum: ["SYNCHRONOUS", "ASYNCHRONOUS"] },
    memberGroupStrategy: { type: "string", enum: ["HOST_AWARE", "RACK_AWARE", "ZONE_AWARE"] },
  },
});

const oneProtocol = [
  {
    rule: "(has(self.raft) ? 1 : 0) + (has(self.primaryBackup) ? 1 : 0) + (has(self.log) ? 1 : 0) == 1",
    message: "set exactly one protocol: raft, primaryBackup or log",
  },
];

const templateProperties = {
  version: { type: "string", default: "latest", description: "Image tag of the protocol's replicas" },
  partitionSize: { type: "integer", minimum: 1, maximum: 99, default: 1, description: "Replicas per partition" },
  raft: protocolSchema("Raft consensus partitions"),
  primaryBackup: protocolSchema("Primary-backup partitions"),
  log: protocolSchema("Distributed log partitions"),
  env: {
    type: "array",
    items: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
    description: "Extra environment for replicas",
  },
  resources: {
    type: "object",
    "x-kubernetes-preserve-unknown-fields": true,
    description: "Container resources of replicas",
  },
};

export const partitionGroupCrd = atomixCrd({
  group: "k8s.atomix.io",
  version: "v1alpha1",
  validations: oneProtocol,
  plural: "partitiongroups",
  kind: "PartitionGroup",
  shortNames: ["pg"],
  spec: {
    partitions: { type: "integer", minimum: 1, maximum: 1024, default: 1, description: "Number of partitions" },
    ...templateProperties,
  },
  status: { partitions: { type: "integer" }, readyPartitions: { type: "integer" } },
  columns: [
    { name: "Partitions", type: "integer", jsonPath: ".spec.partitions" },
    { name: "Size", type: "integer", jsonPath: ".spec.partitionSize" },
    { name: "Ready", type: "integer", jsonPath: ".status.readyPartitions" },
  ],
});

export const partitionCrd = atomixCrd({
  group: "k8s.atomix.io",
  version: "v1alpha1",
  validations: oneProtocol,
  plural: "partitions",
  kind: "Partition",
  shortNames: ["pgp"],
  spec: {
    group: { type: "string", description: "The PartitionGroup this partition belongs to" },
    partitionId: { type: "integer", minimum: 1, description: "Partition number, from 1" },
    ...templateProperties,
  },
  status: { readyReplicas: { type: "integer" }, ready: { type: "boolean" } },
  columns: [
    { name: "Group", type: "string", jsonPath: ".spec.group" },
    { name: "Partition", type: "integer", jsonPath: ".spec.partitionId" },
    { name: "Size", type: "integer", jsonPath: ".spec.partitionSize" },
    { name: "Ready", type: "integer", jsonPath: ".status.readyReplicas" },
  ],
});

const dnsName = { type: "string", maxLength: 253, pattern: "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$" };

export const databaseCrd = atomixCrd({
  group: "cloud.atomix.io",
  version: "v1beta2",
  plural: "databases",
  kind: "Database",
  shortNames: ["db"],
  required: ["template"],
  spec: {
    clusters: { type: "integer", minimum: 1, maximum: 1024, default: 1, description: "Number of storage clusters" },
    template: {
      type: "object",
      required: ["spec"],
      properties: {
        spec: {
          type: "object",
          required: ["storage"],
          properties: {
            partitions: {
              type: "integer",
              minimum: 1,
              maximum: 1024,
              default: 1,
              description: "Partitions per cluster",
            },
            storage: {
              type: "object",
              required: ["group", "version", "kind", "name"],
              description: "The storage class that provides each cluster; an empty namespace means the Database's",
              properties: {
                group: { type: "string", minLength: 1 },
                version: { type: "string", minLength: 1 },
                kind: { type: "string", minLength: 1 },
                name: { ...dnsName, minLength: 1 },
                namespace: { type: "string" },
              },
            },
          },
        },
      },
    },
  },
  status: { partitions: { type: "integer" }, readyPartitions: { type: "integer" } },
  columns: [
    { name: "Clusters", type: "integer", jsonPath: ".spec.clusters" },
    { name: "Partitions", type: "integer", jsonPath: ".status.partitions" },
    { name: "Ready", type: "integer", jsonPath: ".status.readyPartitions" },
  ],
});

export const databasePartitionCrd = atomixCrd({
  group: "cloud.atomix.io",
  version: "v1beta2",
  plural: "partitions",
  kind: "Partition",
  shortNames: ["dbp"],
  spec: {
    database: { type: "string", description: "The Database this partition belongs to" },
    cluster: { type: "integer", minimum: 1, description: "The storage cluster that holds it, from 1" },
    partitionId: { type: "integer", minimum: 1, description: "Partition number, from 1" },
    serviceName: { type: "string", description: "The Service clients reach it by" },
  },
  status: { ready: { type: "boolean" }, readyReplicas: { type: "integer" } },
  columns: [
    { name: "Database", type: "string", jsonPath: ".spec.database" },
    { name: "Cluster", type: "integer", jsonPath: ".spec.cluster" },
    { name: "Partition", type: "integer", jsonPath: ".spec.partitionId" },
    { name: "Ready", type: "boolean", jsonPath: ".status.ready" },
  ],
});

export const memberCrd = atomixCrd({
  group: "cloud.atomix.io",
  version: "v1beta2",
  plural: "members",
  kind: "Member",
  shortNames: ["mem"],
  required: ["group", "member"],
  spec: {
    group: { type: "string", minLength: 1, description: "The membership group" },
    member: { type: "string", minLength: 1, description: "The member's name (a Pod's, when it runs in one)" },
    host: { type: "string" },
    port: { type: "integer", minimum: 0, maximum: 65535 },
  },
  status: {},
  columns: [
    { name: "Group", type: "string", jsonPath: ".spec.group" },
    { name: "Member", type: "string", jsonPath: ".spec.member" },
    { name: "Host", type: "string", jsonPath: ".spec.host" },
    { name: "Port", type: "integer", jsonPath: ".spec.port" },
  ],
});

export const primitiveTypes = [
  "UNKNOWN",
  "COUNTER",
  "ELECTION",
  "INDEXED_MAP",
  "LEADER_LATCH",
  "LIST",
  "LOCK",
  "LOG",
  "MAP",
  "SET",
  "VALUE",
];

export const primitiveCrd = atomixCrd({
  group: "cloud.atomix.io",
  version: "v1beta2",
  plural: "primitives",
  kind: "Primitive",
  shortNames: ["prim"],
  required: ["database", "name", "type"],
  spec: {
    database: { type: "string", minLength: 1, description: "The Database that stores it" },
    scope: { type: "string", description: "The client's scope (an application name); not a Kubernetes namespace" },
    name: { type: "string", minLength: 1 },
    type: { type: "string", enum: primitiveTypes.slice(1) },
  },
  status: {},
  columns: [
    { name: "Database", type: "string", jsonPath: ".spec.database" },
    { name: "Scope", type: "string", jsonPath: ".spec.scope" },
    { name: "Name", type: "string", jsonPath: ".spec.name" },
    { name: "Type", type: "string", jsonPath: ".spec.type" },
  ],
});

export const raftStorageClassCrd = atomixCrd({
  group: "storage.cloud.atomix.io",
  version: "v1beta1",
  plural: "raftstorageclasses",
  kind: "RaftStorageClass",
  shortNames: ["rsc"],
  spec: {
    image: { type: "string", default: "atomix/raft-replica:latest", description: "Image of each replica" },
    imagePullPolicy: { type: "string", enum: ["Always", "IfNotPresent", "Never"], default: "IfNotPresent" },
    replicas: { type: "integer", minimum: 1, maximum: 9, default: 1, description: "Replicas per cluster" },
    volumeClaimTemplate: {
      type: "object",
      "x-kubernetes-preserve-unknown-fields": true,
      description: "A PersistentVolumeClaim spec for each replica's data; none means ephemeral storage",
    },
  },
  status: {},
  columns: [
    { name: "Image", type: "string", jsonPath: ".spec.image" },
    { name: "Replicas", type: "integer", jsonPath: ".spec.replicas" },
  ],
});

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
