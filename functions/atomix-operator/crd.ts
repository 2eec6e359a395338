// The AtomixCluster CRD (agent.atomix.io/v1alpha1), declared with customKind() from TypeBox
// schemas: a structural schema that refuses what cannot work before it is stored, with CEL rules
// for what a schema alone cannot say. The same schemas are the CRD (crdOf), the types of the spec
// (kinds.ts derives every type from them), and what the runtime checks each cluster against
// before a sync.
import { reservedGroupNames } from "./names.ts";
import { crdOf } from "../../runtime/manifests.ts";
import { customKind } from "../../runtime/mod.ts";
import { Type } from "../../runtime/schema.ts";

/** Most partition groups one cluster may have. */
export const maxPartitionGroups = 64;
export const maxNodesPerSet = 99;
export const maxPartitions = 1024;

/**
 * The Atomix image tag of a cluster that sets no spec.version: the API server fills it in from
 * the CRD's default, and the operator falls back to it for clusters stored without one.
 */
export const defaultAtomixVersion = "3.1.0";

const quantityPattern =
  "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$";

/**
 * resource.Quantity, as Kubernetes' own CRDs declare it: int-or-string, with the anyOf clients
 * read and the quantity pattern for strings. A union rather than IntOrString(): that helper takes
 * only a description, and a quantity needs the pattern (the API server refuses "lots" by it).
 * crdOf keeps an int-or-string union whole; its type is number | string.
 */
const quantity = Type.Union([Type.Integer(), Type.String()], {
  "x-kubernetes-int-or-string": true,
  pattern: quantityPattern,
});
const quantities = Type.Record(Type.String(), quantity);

const name = (description: string) => Type.String({ minLength: 1, maxLength: 253, description });
const dnsLabel = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

const keyRef = (what: string) =>
  Type.Object({
    key: name("The key"),
    name: Type.Optional(name(`The ${what}'s name`)),
    optional: Type.Optional(Type.Boolean()),
  }, { description: `A key of a ${what}` });

/** Where a variable's value comes from: exactly one source. */
const valueFrom = Type.Object({
  fieldRef: Type.Optional(Type.Object({
    apiVersion: Type.Optional(Type.String()),
    fieldPath: Type.String({ minLength: 1 }),
  })),
  resourceFieldRef: Type.Optional(Type.Object({
    containerName: Type.Optional(Type.String()),
    divisor: Type.Optional(quantity),
    resource: Type.String({ minLength: 1 }),
  })),
  configMapKeyRef: Type.Optional(keyRef("ConfigMap")),
  secretKeyRef: Type.Optional(keyRef("Secret")),
}, {
  "x-kubernetes-validations": [{
    rule:
      "(has(self.fieldRef) ? 1 : 0) + (has(self.resourceFieldRef) ? 1 : 0) + (has(self.configMapKeyRef) ? 1 : 0) + (has(self.secretKeyRef) ? 1 : 0) == 1",
    message: "valueFrom takes exactly one of fieldRef, resourceFieldRef, configMapKeyRef or secretKeyRef",
  }],
});

/** []EnvVar as in a container: a list keyed by name. */
const env = Type.Array(
  Type.Object({
    name: name("Variable name"),
    value: Type.Optional(Type.String({ maxLength: 32_768 })),
    valueFrom: Type.Optional(valueFrom),
  }, {
    "x-kubernetes-validations": [{
      rule: "!(has(self.value) && has(self.valueFrom))",
      message: "set value or valueFrom, not both",
    }],
  }),
  {
    description: "Environment variables of the nodes, as in a container's env",
    maxItems: 128,
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": ["name"],
  },
);

/** ResourceRequirements as in a container: quantities by resource name. */
const resources = Type.Object({
  limits: Type.Optional(quantities),
  requests: Type.Optional(quantities),
}, { description: "Compute resources of each node, as in a container's resources" });

const nodeCount = (description: string) => Type.Integer({ minimum: 1, maximum: maxNodesPerSet, description });

/**
 * What every set of nodes has: how many, their environment and their compute resources. A
 * partition group lists the three itself, to keep its partitions next to its size.
 */
const nodeSet = (sizeDescription: string) => ({
  size: Type.Optional(nodeCount(sizeDescription)),
  env: Type.Optional(env),
  resources: Type.Optional(resources),
});

const immutable = (what: string) => [{
  rule: "self == oldSelf",
  message:
    `${what} cannot change once the volumes exist (a StatefulSet's claim templates are fixed): remove the group and add it back, or create a new cluster`,
}];
const memorySize = (description: string) =>
  Type.String({
    maxLength: 64,
    pattern: "^[0-9]+(B|K|KB|Ki|KiB|M|MB|Mi|MiB|G|GB|Gi|GiB)?$",
    description,
  });

const storage = (defaultLevel: string) =>
  Type.Object({
    size: Type.Optional(Type.String({
      maxLength: 64,
      pattern: quantityPattern,
      description: "Volume size, a quantity such as 2G or 10Gi; default 2G",
      "x-kubernetes-validations": immutable("storage.size"),
    })),
    className: Type.Optional(Type.String({
      maxLength: 253,
      pattern: "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$",
      description: "StorageClass of the volumes; unset means the cluster's default class",
      "x-kubernetes-validations": immutable("storage.className"),
    })),
    segmentSize: Type.Optional(memorySize("Log segment size, e.g. 64M; Atomix's default when unset")),
    entrySize: Type.Optional(memorySize("Largest log entry, e.g. 1M; Atomix's default when unset")),
    level: Type.Optional(
      Type.Union([Type.Literal("disk"), Type.Literal("mapped")], {
        description: `How the log is written; default ${defaultLevel}`,
      }),
    ),
    flushOnCommit: Type.Optional(Type.Boolean()),
  }, { description: "A volume per node, and how Atomix writes to it" });

const memberGroupStrategy = Type.Union(
  [Type.Literal("node_aware"), Type.Literal("rack_aware"), Type.Literal("zone_aware")],
  { description: "How primaries and backups are spread; default node_aware" },
);

const partitionGroup = Type.Object({
  name: Type.String({
    minLength: 1,
    maxLength: 63,
    pattern: dnsLabel,
    description: "The group's name (a DNS label); its objects are <cluster>-<name>",
  }),
  size: Type.Optional(nodeCount("Nodes in the group; default 1")),
  partitions: Type.Optional(
    Type.Integer({ minimum: 1, maximum: maxPartitions, description: "Partitions; default the group's size" }),
  ),
  env: Type.Optional(env),
  resources: Type.Optional(resources),
  raft: Type.Optional(Type.Object({
    partitionSize: Type.Optional(Type.Integer({
      minimum: 1,
      maximum: maxNodesPerSet,
      description: "Replicas of each partition; default 3, at most the group's size",
    })),
    storage: Type.Optional(storage("mapped")),
    compaction: Type.Optional(Type.Object({
      dynamic: Type.Optional(Type.Boolean()),
      freeDiskBuffer: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
      freeMemoryBuffer: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    })),
  }, { description: "Raft consensus partitions, kept on a volume per node" })),
  primaryBackup: Type.Optional(Type.Object({
    memberGroupStrategy: Type.Optional(memberGroupStrategy),
  }, { description: "Primary-backup partitions, in memory" })),
  log: Type.Optional(Type.Object({
    storage: Type.Optional(storage("mapped")),
    memberGroupStrategy: Type.Optional(memberGroupStrategy),
  }, { description: "Distributed log partitions, kept on a volume per node" })),
}, {
  "x-kubernetes-validations": [
    {
      rule: "(has(self.raft) ? 1 : 0) + (has(self.primaryBackup) ? 1 : 0) + (has(self.log) ? 1 : 0) == 1",
      message: "set exactly one protocol: raft, primaryBackup or log",
    },
    {
      rule: `!(self.name in ${JSON.stringify(reservedGroupNames)})`,
      messageExpression: `'partition group name "' + self.name + '" is reserved (${
        reservedGroupNames.join(", ")
      } would share names with the management group\\'s or the benchmark\\'s objects): rename the group'`,
      reason: "FieldValueForbidden",
      fieldPath: ".name",
    },
    {
      rule:
        "!has(self.raft) || !has(self.raft.partitionSize) || self.raft.partitionSize <= (has(self.size) ? self.size : 1)",
      message: "raft.partitionSize cannot be more than the group's size",
    },
    {
      rule:
        "has(self.raft) == has(oldSelf.raft) && has(self.primaryBackup) == has(oldSelf.primaryBackup) && has(self.log) == has(oldSelf.log)",
      message: "a partition group's protocol cannot change: remove the group, then add it back",
    },
  ],
});

const spec = Type.Object({
  version: Type.Optional(Type.String({
    default: defaultAtomixVersion,
    maxLength: 128,
    pattern: "^[A-Za-z0-9_][A-Za-z0-9_.-]*$",
    description: "Tag of the atomix/atomix image",
  })),
  managementGroup: Type.Optional(Type.Object({
    ...nodeSet("Nodes; default 1"),
    storage: Type.Optional(storage("disk")),
  }, { description: "The Raft group that manages the cluster (one partition on every member)" })),
  partitionGroups: Type.Optional(Type.Array(partitionGroup, {
    maxItems: maxPartitionGroups,
    description: "Partition groups, each its own StatefulSet; a merge patch replaces the whole list",
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": ["name"],
  })),
  benchmark: Type.Optional(Type.Object({
    ...nodeSet("Workers; default 1"),
    ingress: Type.Optional(Type.Object({
      path: Type.Optional(
        Type.String({ pattern: "^/", maxLength: 1024, description: "Path prefix; default /atomix-bench" }),
      ),
      host: Type.Optional(Type.String({ maxLength: 253 })),
      className: Type.Optional(
        Type.String({ maxLength: 253, description: "IngressClass; the cluster's default when unset" }),
      ),
    }, { description: "The Ingress to the coordinator's API" })),
  }, { description: "atomix-bench workers and a coordinator; remove to remove them" })),
});

/** A set of nodes as the status counts it. */
const replicaCounts = {
  size: Type.Optional(Type.Integer()),
  readyReplicas: Type.Optional(Type.Integer()),
};

const status = Type.Object({
  serviceName: Type.Optional(
    Type.String({ description: "The discovery Service clients name in cluster.discovery" }),
  ),
  managementGroup: Type.Optional(Type.Object(replicaCounts)),
  partitionGroups: Type.Optional(Type.Array(
    Type.Object({
      name: Type.String(),
      protocol: Type.Optional(Type.String()),
      partitions: Type.Optional(Type.Integer()),
      ...replicaCounts,
    }),
    { "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"] },
  )),
  benchmark: Type.Optional(Type.Object({
    ...replicaCounts,
    coordinatorReady: Type.Optional(Type.Boolean()),
  })),
  groups: Type.Optional(Type.Integer({ description: "Partition groups" })),
  replicas: Type.Optional(Type.Integer({ description: "Pods the cluster should have" })),
  readyReplicas: Type.Optional(Type.Integer()),
  ready: Type.Optional(Type.String({ description: "Ready pods / pods" })),
});

/** The AtomixCluster kind: these schemas are the CRD (crdOf), the spec's type, and what the runtime checks each cluster against before a sync. */
export const AtomixClusterKind = customKind({
  categories: ["atomix"],
  group: "agent.atomix.io",
  version: "v1alpha1",
  plural: "atomixclusters",
  kind: "AtomixCluster",
  shortNames: ["ac"],
  spec,
  status,
  columns: [
    { name: "Version", type: "string", jsonPath: ".spec.version" },
    { name: "Groups", type: "integer", jsonPath: ".status.groups" },
    { name: "Ready", type: "string", jsonPath: ".status.ready" },
  ],
});

export const atomixClusterCrd = crdOf(AtomixClusterKind);
