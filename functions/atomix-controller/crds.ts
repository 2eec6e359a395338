// The Atomix controller's custom kinds, each declared once with customKind() from TypeBox
// schemas: the PartitionGroup generation (k8s.atomix.io/v1alpha1: PartitionGroup, Partition)
// and the Database generation (cloud.atomix.io/v1beta2: Database, Partition, Member,
// Primitive; storage.cloud.atomix.io/v1beta1: RaftStorageClass). The schemas are the CRDs
// (manifest.ts turns them into YAML with crdOf), the types of the objects (kinds.ts), and what
// the runtime checks each parent against before a sync.
import { customKind, PreserveUnknown, Type } from "../../runtime/schema.ts";

/** `kubectl get atomix` lists every Atomix kind. */
const categories = ["atomix"];

const pullPolicy = (options: { default?: string } = {}) =>
  Type.Union([Type.Literal("Always"), Type.Literal("IfNotPresent"), Type.Literal("Never")], options);

const durationPattern = "^[0-9]+(\\.[0-9]+)?(ms|s|m|h)$";
const duration = (description: string) => Type.String({ pattern: durationPattern, description });

/** The options of one protocol; the same shape under raft, primaryBackup and log. */
const protocol = (description: string) =>
  Type.Object({
    image: Type.Optional(Type.String({ description: "Image override; default atomix/<protocol>-replica:<version>" })),
    imagePullPolicy: Type.Optional(pullPolicy()),
    electionTimeout: Type.Optional(duration("e.g. 5s")),
    heartbeatInterval: Type.Optional(duration("e.g. 500ms")),
    storage: Type.Optional(Type.Object({
      className: Type.Optional(Type.String({ description: "StorageClass of each replica's volume; must exist" })),
      size: Type.Optional(Type.String({
        pattern: "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$",
        description: "Volume size, e.g. 1Gi",
      })),
      maxEntrySize: Type.Optional(Type.Integer({ minimum: 1 })),
      segmentSize: Type.Optional(Type.Integer({ minimum: 1 })),
      level: Type.Optional(Type.Union([Type.Literal("DISK"), Type.Literal("MAPPED")])),
      flushOnCommit: Type.Optional(Type.Boolean()),
    })),
    compaction: Type.Optional(Type.Object({
      dynamic: Type.Optional(Type.Boolean()),
      freeDiskBuffer: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    })),
    backups: Type.Optional(Type.Integer({ minimum: 0, description: "primaryBackup: backups per primary" })),
    replication: Type.Optional(Type.Union([Type.Literal("SYNCHRONOUS"), Type.Literal("ASYNCHRONOUS")])),
    memberGroupStrategy: Type.Optional(
      Type.Union([Type.Literal("HOST_AWARE"), Type.Literal("RACK_AWARE"), Type.Literal("ZONE_AWARE")]),
    ),
  }, { description });

/** A PartitionGroup's template of its Partitions, which each Partition carries. */
const template = {
  version: Type.Optional(Type.String({ default: "latest", description: "Image tag of the protocol's replicas" })),
  partitionSize: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 99, default: 1, description: "Replicas per partition" }),
  ),
  raft: Type.Optional(protocol("Raft consensus partitions")),
  primaryBackup: Type.Optional(protocol("Primary-backup partitions")),
  log: Type.Optional(protocol("Distributed log partitions")),
  env: Type.Optional(Type.Array(PreserveUnknown(), { description: "Extra environment for replicas" })),
  resources: Type.Optional(PreserveUnknown({ description: "Container resources of replicas" })),
};

const oneProtocol = [{
  rule: "(has(self.raft) ? 1 : 0) + (has(self.primaryBackup) ? 1 : 0) + (has(self.log) ? 1 : 0) == 1",
  message: "set exactly one protocol: raft, primaryBackup or log",
}];

export const PartitionGroupKind = customKind({
  group: "k8s.atomix.io",
  version: "v1alpha1",
  kind: "PartitionGroup",
  plural: "partitiongroups",
  shortNames: ["pg"],
  categories,
  spec: Type.Object({
    partitions: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1024, default: 1, description: "Number of partitions" }),
    ),
    ...template,
  }),
  status: Type.Object({
    partitions: Type.Optional(Type.Integer()),
    readyPartitions: Type.Optional(Type.Integer()),
  }),
  columns: [
    { name: "Partitions", type: "integer", jsonPath: ".spec.partitions" },
    { name: "Size", type: "integer", jsonPath: ".spec.partitionSize" },
    { name: "Ready", type: "integer", jsonPath: ".status.readyPartitions" },
  ],
  validations: oneProtocol,
});

export const PartitionKind = customKind({
  group: "k8s.atomix.io",
  version: "v1alpha1",
  kind: "Partition",
  plural: "partitions",
  shortNames: ["pgp"],
  categories,
  spec: Type.Object({
    group: Type.Optional(Type.String({ description: "The PartitionGroup this partition belongs to" })),
    partitionId: Type.Optional(Type.Integer({ minimum: 1, description: "Partition number, from 1" })),
    ...template,
  }),
  status: Type.Object({
    readyReplicas: Type.Optional(Type.Integer()),
    ready: Type.Optional(Type.Boolean()),
  }),
  columns: [
    { name: "Group", type: "string", jsonPath: ".spec.group" },
    { name: "Partition", type: "integer", jsonPath: ".spec.partitionId" },
    { name: "Size", type: "integer", jsonPath: ".spec.partitionSize" },
    { name: "Ready", type: "integer", jsonPath: ".status.readyReplicas" },
  ],
  validations: oneProtocol,
});

const nonEmpty = () => Type.String({ minLength: 1 });

export const DatabaseKind = customKind({
  group: "cloud.atomix.io",
  version: "v1beta2",
  kind: "Database",
  plural: "databases",
  shortNames: ["db"],
  categories,
  spec: Type.Object({
    clusters: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1024, default: 1, description: "Number of storage clusters" }),
    ),
    template: Type.Object({
      spec: Type.Object({
        partitions: Type.Optional(
          Type.Integer({ minimum: 1, maximum: 1024, default: 1, description: "Partitions per cluster" }),
        ),
        storage: Type.Object({
          group: nonEmpty(),
          version: nonEmpty(),
          kind: nonEmpty(),
          name: Type.String({ minLength: 1, maxLength: 253, pattern: "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$" }),
          namespace: Type.Optional(Type.String()),
        }, { description: "The storage class that provides each cluster; an empty namespace means the Database's" }),
      }),
    }),
  }),
  status: Type.Object({
    partitions: Type.Optional(Type.Integer()),
    readyPartitions: Type.Optional(Type.Integer()),
  }),
  columns: [
    { name: "Clusters", type: "integer", jsonPath: ".spec.clusters" },
    { name: "Partitions", type: "integer", jsonPath: ".status.partitions" },
    { name: "Ready", type: "integer", jsonPath: ".status.readyPartitions" },
  ],
});

/** A Database's Partition (cloud.atomix.io): one partition, stored by one of its clusters. */
export const DatabasePartitionKind = customKind({
  group: "cloud.atomix.io",
  version: "v1beta2",
  kind: "Partition",
  plural: "partitions",
  shortNames: ["dbp"],
  categories,
  spec: Type.Object({
    database: Type.Optional(Type.String({ description: "The Database this partition belongs to" })),
    cluster: Type.Optional(Type.Integer({ minimum: 1, description: "The storage cluster that holds it, from 1" })),
    partitionId: Type.Optional(Type.Integer({ minimum: 1, description: "Partition number, from 1" })),
    serviceName: Type.Optional(Type.String({ description: "The Service clients reach it by" })),
  }),
  status: Type.Object({
    ready: Type.Optional(Type.Boolean()),
    readyReplicas: Type.Optional(Type.Integer()),
  }),
  columns: [
    { name: "Database", type: "string", jsonPath: ".spec.database" },
    { name: "Cluster", type: "integer", jsonPath: ".spec.cluster" },
    { name: "Partition", type: "integer", jsonPath: ".spec.partitionId" },
    { name: "Ready", type: "boolean", jsonPath: ".status.ready" },
  ],
});

export const MemberKind = customKind({
  group: "cloud.atomix.io",
  version: "v1beta2",
  kind: "Member",
  plural: "members",
  shortNames: ["mem"],
  categories,
  spec: Type.Object({
    group: Type.String({ minLength: 1, description: "The membership group" }),
    member: Type.String({ minLength: 1, description: "The member's name (a Pod's, when it runs in one)" }),
    host: Type.Optional(Type.String()),
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  }),
  columns: [
    { name: "Group", type: "string", jsonPath: ".spec.group" },
    { name: "Member", type: "string", jsonPath: ".spec.member" },
    { name: "Host", type: "string", jsonPath: ".spec.host" },
    { name: "Port", type: "integer", jsonPath: ".spec.port" },
  ],
});

/** Atomix's PrimitiveType names, in the proto enum's order; UNKNOWN is never stored. */
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

export const PrimitiveKind = customKind({
  group: "cloud.atomix.io",
  version: "v1beta2",
  kind: "Primitive",
  plural: "primitives",
  shortNames: ["prim"],
  categories,
  spec: Type.Object({
    database: Type.String({ minLength: 1, description: "The Database that stores it" }),
    scope: Type.Optional(
      Type.String({ description: "The client's scope (an application name); not a Kubernetes namespace" }),
    ),
    name: Type.String({ minLength: 1 }),
    // An enum on a string rather than a union of literals: the type stays string, the name the
    // primitive service reads off the wire before it writes one.
    type: Type.String({ enum: primitiveTypes.slice(1) }),
  }),
  columns: [
    { name: "Database", type: "string", jsonPath: ".spec.database" },
    { name: "Scope", type: "string", jsonPath: ".spec.scope" },
    { name: "Name", type: "string", jsonPath: ".spec.name" },
    { name: "Type", type: "string", jsonPath: ".spec.type" },
  ],
});

export const RaftStorageClassKind = customKind({
  group: "storage.cloud.atomix.io",
  version: "v1beta1",
  kind: "RaftStorageClass",
  plural: "raftstorageclasses",
  shortNames: ["rsc"],
  categories,
  spec: Type.Object({
    image: Type.Optional(Type.String({ default: "atomix/raft-replica:latest", description: "Image of each replica" })),
    imagePullPolicy: Type.Optional(pullPolicy({ default: "IfNotPresent" })),
    replicas: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 9, default: 1, description: "Replicas per cluster" }),
    ),
    volumeClaimTemplate: Type.Optional(
      PreserveUnknown({
        description: "A PersistentVolumeClaim spec for each replica's data; none means ephemeral storage",
      }),
    ),
  }),
  columns: [
    { name: "Image", type: "string", jsonPath: ".spec.image" },
    { name: "Replicas", type: "integer", jsonPath: ".spec.replicas" },
  ],
});
