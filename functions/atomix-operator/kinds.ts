// The Atomix operator's kind (agent.atomix.io), as the AtomixCluster CRD types it.
import { builtinKinds, type KubeObject } from "../../runtime/mod.ts";

/** The protocols a partition group may run. */
export type ProtocolName = "raft" | "primaryBackup" | "log";

// The Atomix 3 operator generation (agent.atomix.io): one AtomixCluster holds a management
// group, partition groups and an optional benchmark.
export const IngressKind = builtinKinds.Ingress;

/** Kubernetes' EnvVar, as far as the CRD types it. */
export type EnvVar = { name: string; value?: string; valueFrom?: Record<string, unknown> };
/** Kubernetes' ResourceRequirements: quantities by resource name. */
export type Resources = { limits?: Record<string, string | number>; requests?: Record<string, string | number> };
export type MemberGroupStrategy = "node_aware" | "rack_aware" | "zone_aware";

export interface AtomixStorage {
  /** The volume size (a Kubernetes quantity). */
  size?: string;
  className?: string;
  segmentSize?: string;
  entrySize?: string;
  level?: "disk" | "mapped";
  flushOnCommit?: boolean;
}

export interface AtomixNodeSet {
  size?: number;
  env?: EnvVar[];
  resources?: Resources;
}

export interface AtomixPartitionGroupSpec extends AtomixNodeSet {
  name: string;
  partitions?: number;
  raft?: {
    storage?: AtomixStorage;
    compaction?: { dynamic?: boolean; freeDiskBuffer?: number; freeMemoryBuffer?: number };
    partitionSize?: number;
  };
  primaryBackup?: { memberGroupStrategy?: MemberGroupStrategy };
  log?: { storage?: AtomixStorage; memberGroupStrategy?: MemberGroupStrategy };
}

export interface AtomixClusterSpec {
  version?: string;
  managementGroup?: AtomixNodeSet & { storage?: AtomixStorage };
  partitionGroups?: AtomixPartitionGroupSpec[];
  benchmark?: AtomixNodeSet & { ingress?: { path?: string; host?: string; className?: string } };
}

export type AtomixCluster = KubeObject & { spec?: AtomixClusterSpec };
