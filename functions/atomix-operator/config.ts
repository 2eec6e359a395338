// The Atomix 3 configuration (atomix.conf, HOCON) each node set of an AtomixCluster reads,
// and the defaults of the spec. A node learns its own id and host from the environment
// (ATOMIX_NODE_ID, ATOMIX_NODE_HOST, set in its pod), which HOCON substitutions fall back to;
// everything else is written out here. Atomix refuses unknown keys, so only keys its config
// classes have are rendered, and optional ones only when the spec sets them. Pure.
import type { AtomixPartitionGroupSpec, AtomixStorage, MemberGroupStrategy, ProtocolName } from "./kinds.ts";

export { defaultAtomixVersion } from "./crd.ts";
export const defaultManagementSize = 1;
export const defaultGroupSize = 1;
/** Raft replicas per partition, capped at the group's size. */
export const defaultRaftPartitionSize = 3;
export const defaultStorageSize = "2G";
/** The management group keeps its Raft log on disk; partition groups memory-map theirs. */
export const managementStorageLevel = "disk";
export const defaultGroupStorageLevel = "mapped";
export const defaultMemberGroupStrategy: MemberGroupStrategy = "node_aware";

/** Atomix's client (HTTP API) and node-to-node ports. */
export const clientPort = 5678;
export const nodePort = 5679;

export const nodeIdVariable = "ATOMIX_NODE_ID";
export const nodeHostVariable = "ATOMIX_NODE_HOST";

export const configFileName = "atomix.conf";

/** An environment variable read by Atomix when it resolves the config. */
type Substitution = { substitute: string };
type Hocon = string | number | boolean | Substitution | Hocon[] | { [key: string]: Hocon | undefined };

const substitute = (variable: string): Substitution => ({ substitute: variable });

/** The protocol a partition group chose: the first of raft, primaryBackup, log that is set. */
export function groupProtocol(group: AtomixPartitionGroupSpec): ProtocolName | undefined {
  const set = (["raft", "primaryBackup", "log"] as const).filter((name) =>
    group[name] !== undefined && group[name] !== null
  );
  return set.length === 1 ? set[0] : undefined;
}

export const groupSize = (group: AtomixPartitionGroupSpec) => group.size ?? defaultGroupSize;
export const groupPartitions = (group: AtomixPartitionGroupSpec) => group.partitions ?? groupSize(group);
export const raftPartitionSize = (group: AtomixPartitionGroupSpec) =>
  group.raft?.partitionSize ?? Math.min(defaultRaftPartitionSize, groupSize(group));

/** The `cluster` block every node shares: who it is, and how it finds the others (DNS of the discovery Service). */
function clusterBlock(discoveryHost: string): Hocon {
  return {
    node: { id: substitute(nodeIdVariable), host: substitute(nodeHostVariable), port: nodePort },
    discovery: { type: "dns", service: discoveryHost },
  };
}

function storageBlock(storage: AtomixStorage | undefined, defaultLevel: string): Hocon {
  return {
    level: storage?.level ?? defaultLevel,
    segmentSize: storage?.segmentSize,
    maxEntrySize: storage?.entrySize,
    flushOnCommit: storage?.flushOnCommit,
  };
}

export function managementConfig(discoveryHost: string, members: string[], storage: AtomixStorage | undefined): string {
  return render({
    cluster: clusterBlock(discoveryHost),
    managementGroup: { type: "raft", partitions: 1, members, storage: storageBlock(storage, managementStorageLevel) },
  });
}

export function partitionGroupConfig(
  discoveryHost: string,
  group: AtomixPartitionGroupSpec,
  members: string[],
): string {
  const protocol = groupProtocol(group);
  const partitions = groupPartitions(group);
  let config: Hocon;
  if (protocol === "raft") {
    const compaction = group.raft?.compaction;
    config = {
      type: "raft",
      partitions,
      partitionSize: raftPartitionSize(group),
      members,
      storage: storageBlock(group.raft?.storage, defaultGroupStorageLevel),
      compaction: compaction &&
        {
          dynamic: compaction.dynamic,
          freeDiskBuffer: compaction.freeDiskBuffer,
          freeMemoryBuffer: compaction.freeMemoryBuffer,
        },
    };
  } else if (protocol === "primaryBackup") {
    config = {
      type: "primary-backup",
      partitions,
      memberGroupStrategy: group.primaryBackup?.memberGroupStrategy ?? defaultMemberGroupStrategy,
    };
  } else if (protocol === "log") {
    config = {
      type: "log",
      partitions,
      memberGroupStrategy: group.log?.memberGroupStrategy ?? defaultMemberGroupStrategy,
      storage: storageBlock(group.log?.storage, defaultGroupStorageLevel),
    };
  } else {
    throw new Error(`partition group ${group.name} has no single protocol`);
  }
  return render({ cluster: clusterBlock(discoveryHost), partitionGroups: { [group.name]: config } });
}

/** Benchmark workers and the coordinator only join the cluster. */
export function memberConfig(discoveryHost: string): string {
  return render({ cluster: clusterBlock(discoveryHost) });
}

const plainKey = /^[A-Za-z][A-Za-z0-9]*$/;

/** HOCON text: top-level keys without braces, two-space indents, strings quoted, substitutions bare. */
export function render(config: { [key: string]: Hocon | undefined }): string {
  return entries(config, "");
}

function entries(object: { [key: string]: Hocon | undefined }, indent: string): string {
  return Object.entries(object)
    .filter(([, value]) => value !== undefined && !isEmptyObject(value))
    .map(([key, value]) =>
      `${indent}${plainKey.test(key) ? key : JSON.stringify(key)}${isObject(value!) ? " " : ": "}${
        valueText(value!, indent)
      }\n`
    )
    .join("");
}

function valueText(value: Hocon, indent: string): string {
  if (Array.isArray(value)) return `[${value.map((item) => valueText(item, indent)).join(", ")}]`;
  if (typeof value === "object" && "substitute" in value && typeof value.substitute === "string") {
    return `\${${value.substitute}}`;
  }
  if (isObject(value)) return `{\n${entries(value as { [key: string]: Hocon }, `${indent}  `)}${indent}}`;
  return JSON.stringify(value);
}

function isObject(value: Hocon): boolean {
  return typeof value === "object" && !Array.isArray(value) &&
    !("substitute" in value && typeof value.substitute === "string");
}

function isEmptyObject(value: Hocon | undefined): boolean {
  return value !== undefined && isObject(value) && Object.values(value as object).every((v) => v === undefined);
}
