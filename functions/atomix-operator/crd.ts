// The AtomixCluster CRD (agent.atomix.io/v1alpha1): a structural schema that refuses what
// cannot work before it is stored, with CEL rules for what a schema alone cannot say.
import { defaultAtomixVersion } from "./config.ts";
import { reservedGroupNames } from "./names.ts";
import { crdOf } from "../../runtime/manifests.ts";
import { customKind } from "../../runtime/mod.ts";
import { Type } from "../../runtime/schema.ts";
import type { AtomixClusterSpec } from "./kinds.ts";

/** Most partition groups one cluster may have. */
export const maxPartitionGroups = 64;
export const maxNodesPerSet = 99;
export const maxPartitions = 1024;

/** resource.Quantity, as Kubernetes' own CRDs declare it. */
const quantity = {
  "x-kubernetes-int-or-string": true,
  anyOf: [{ type: "integer" }, { type: "string" }],
  pattern:
    "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$",
};
const name = (description: string) => ({ type: "string", minLength: 1, maxLength: 253, description });

const keyRef = (what: string) => ({
  type: "object",
  required: ["key"],
  description: `A key of a ${what}`,
  properties: { key: name("The key"), name: name(`The ${what}'s name`), optional: { type: "boolean" } },
});

/** []EnvVar as in a container: a list keyed by name; valueFrom names exactly one source. */
const env = {
  type: "array",
  description: "Environment variables of the nodes, as in a container's env",
  maxItems: 128,
  "x-kubernetes-list-type": "map",
  "x-kubernetes-list-map-keys": ["name"],
  items: {
    type: "object",
    required: ["name"],
    properties: {
      name: name("Variable name"),
      value: { type: "string", maxLength: 32_768 },
      valueFrom: {
        type: "object",
        properties: {
          fieldRef: {
            type: "object",
            required: ["fieldPath"],
            properties: { apiVersion: { type: "string" }, fieldPath: { type: "string", minLength: 1 } },
          },
          resourceFieldRef: {
            type: "object",
            required: ["resource"],
            properties: {
              containerName: { type: "string" },
              divisor: quantity,
              resource: { type: "string", minLength: 1 },
            },
          },
          configMapKeyRef: keyRef("ConfigMap"),
          secretKeyRef: keyRef("Secret"),
        },
        "x-kubernetes-validations": [
          {
            rule:
              "(has(self.fieldRef) ? 1 : 0) + (has(self.resourceFieldRef) ? 1 : 0) + (has(self.configMapKeyRef) ? 1 : 0) + (has(self.secretKeyRef) ? 1 : 0) == 1",
            message: "valueFrom takes exactly one of fieldRef, resourceFieldRef, configMapKeyRef or secretKeyRef",
          },
        ],
      },
    },
    "x-kubernetes-validations": [{
      rule: "!(has(self.value) && has(self.valueFrom))",
      message: "set value or valueFrom, not both",
    }],
  },
};

/** ResourceRequirements as in a container: quantities by resource name. */
const resources = {
  type: "object",
  description: "Compute resources of each node, as in a container's resources",
  properties: {
    limits: { type: "object", additionalProperties: quantity },
    requests: { type: "object", additionalProperties: quantity },
  },
};

const immutable = (
  what: string,
) => [{
  rule: "self == oldSelf",
  message:
    `${what} cannot change once the volumes exist (a StatefulSet's claim templates are fixed): remove the group and add it back, or create a new cluster`,
}];
const memorySize = { type: "string", maxLength: 64, pattern: "^[0-9]+(B|K|KB|Ki|KiB|M|MB|Mi|MiB|G|GB|Gi|GiB)?$" };

const storage = (defaultLevel: string) => ({
  type: "object",
  description: "A volume per node, and how Atomix writes to it",
  properties: {
    size: {
      type: "string",
      maxLength: 64,
      pattern: quantity.pattern,
      description: "Volume size, a quantity such as 2G or 10Gi; default 2G",
      "x-kubernetes-validations": immutable("storage.size"),
    },
    className: {
      type: "string",
      maxLength: 253,
      pattern: "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$",
      description: "StorageClass of the volumes; unset means the cluster's default class",
      "x-kubernetes-validations": immutable("storage.className"),
    },
    segmentSize: { ...memorySize, description: "Log segment size, e.g. 64M; Atomix's default when unset" },
    entrySize: { ...memorySize, description: "Largest log entry, e.g. 1M; Atomix's default when unset" },
    level: { type: "string", enum: ["disk", "mapped"], description: `How the log is written; default ${defaultLevel}` },
    flushOnCommit: { type: "boolean" },
  },
});

const memberGroupStrategy = {
  type: "string",
  enum: ["node_aware", "rack_aware", "zone_aware"],
  description: "How primaries and backups are spread; default node_aware",
};
const nodeCount = (description: string) => ({ type: "integer", minimum: 1, maximum: maxNodesPerSet, description });

const partitionGroup = {
  type: "object",
  required: ["name"],
  properties: {
    name: {
      type: "string",
      minLength: 1,
      maxLength: 63,
      pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
      description: "The group's name (a DNS label); its objects are <cluster>-<name>",
    },
    size: nodeCount("Nodes in the group; default 1"),
    partitions: {
      type: "integer",
      minimum: 1,
      maximum: maxPartitions,
      description: "Partitions; default the group's size",
    },
    env,
    resources,
    raft: {
      type: "object",
      description: "Raft consensus partitions, kept on a volume per node",
      properties: {
        partitionSize: {
          type: "integer",
          minimum: 1,
          maximum: maxNodesPerSet,
          description: "Replicas of each partition; default 3, at most the group's size",
        },
        storage: storage("mapped"),
        compaction: {
          type: "object",
          properties: {
            dynamic: { type: "boolean" },
            freeDiskBuffer: { type: "number", minimum: 0, maximum: 1 },
            freeMemoryBuffer: { type: "number", minimum: 0, maximum: 1 },
          },
        },
      },
    },
    primaryBackup: {
      type: "object",
      description: "Primary-backup partitions, in memory",
      properties: { memberGroupStrategy },
    },
    log: {
      type: "object",
      description: "Distributed log partitions, kept on a volume per node",
      properties: { storage: storage("mapped"), memberGroupStrategy },
    },
  },
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
};

/** The AtomixCluster kind: these schemas are the CRD (crdOf), the spec's type, and what the runtime checks each cluster against before a sync. */
export const AtomixClusterKind = customKind({
  categories: ["atomix"],
  group: "agent.atomix.io",
  version: "v1alpha1",
  plural: "atomixclusters",
  kind: "AtomixCluster",
  shortNames: ["ac"],
  spec: Type.Unsafe<AtomixClusterSpec>({
    type: "object",
    properties: {
      version: {
        type: "string",
        default: defaultAtomixVersion,
        maxLength: 128,
        pattern: "^[A-Za-z0-9_][A-Za-z0-9_.-]*$",
        description: "Tag of the atomix/atomix image",
      },
      managementGroup: {
        type: "object",
        description: "The Raft group that manages the cluster (one partition on every member)",
        properties: { size: nodeCount("Nodes; default 1"), env, resources, storage: storage("disk") },
      },
      partitionGroups: {
        type: "array",
        maxItems: maxPartitionGroups,
        description: "Partition groups, each its own StatefulSet; a merge patch replaces the whole list",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
        items: partitionGroup,
      },
      benchmark: {
        type: "object",
        description: "atomix-bench workers and a coordinator; remove to remove them",
        properties: {
          size: nodeCount("Workers; default 1"),
          env,
          resources,
          ingress: {
            type: "object",
            description: "The Ingress to the coordinator's API",
            properties: {
              path: {
                type: "string",
                pattern: "^/",
                maxLength: 1024,
                description: "Path prefix; default /atomix-bench",
              },
              host: { type: "string", maxLength: 253 },
              className: {
                type: "string",
                maxLength: 253,
                description: "IngressClass; the cluster's default when unset",
              },
            },
          },
        },
      },
    },
  }),
  status: Type.Unsafe<Record<string, unknown>>({
    type: "object",
    properties: {
      serviceName: { type: "string", description: "The discovery Service clients name in cluster.discovery" },
      managementGroup: {
        type: "object",
        properties: { size: { type: "integer" }, readyReplicas: { type: "integer" } },
      },
      partitionGroups: {
        type: "array",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
        items: {
          type: "object",
          required: ["name"],
          properties: {
            name: { type: "string" },
            protocol: { type: "string" },
            partitions: { type: "integer" },
            size: { type: "integer" },
            readyReplicas: { type: "integer" },
          },
        },
      },
      benchmark: {
        type: "object",
        properties: {
          size: { type: "integer" },
          readyReplicas: { type: "integer" },
          coordinatorReady: { type: "boolean" },
        },
      },
      groups: { type: "integer", description: "Partition groups" },
      replicas: { type: "integer", description: "Pods the cluster should have" },
      readyReplicas: { type: "integer" },
      ready: { type: "string", description: "Ready pods / pods" },
    },
  }),
  columns: [
    { name: "Version", type: "string", jsonPath: ".spec.version" },
    { name: "Groups", type: "integer", jsonPath: ".status.groups" },
    { name: "Ready", type: "string", jsonPath: ".status.ready" },
  ],
});

export const atomixClusterCrd = crdOf(AtomixClusterKind);
