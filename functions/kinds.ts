// The Atomix resource kinds the functions own or read.
import { kind } from "../runtime/kube/kinds.ts";
import type { KubeObject } from "../runtime/kube/objects.ts";

export const PartitionGroupKind = kind("k8s.atomix.io/v1alpha1", "PartitionGroup", "partitiongroups");
export const PartitionKind = kind("k8s.atomix.io/v1alpha1", "Partition", "partitions");

/** Options of one protocol, as the CRDs accept them. */
export interface ProtocolSpec {
  image?: string;
  imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
  electionTimeout?: string;
  heartbeatInterval?: string;
  storage?: { className?: string; size?: string; maxEntrySize?: number; segmentSize?: number; level?: "DISK" | "MAPPED"; flushOnCommit?: boolean };
  compaction?: { dynamic?: boolean; freeDiskBuffer?: number };
  backups?: number;
  replication?: "SYNCHRONOUS" | "ASYNCHRONOUS";
  memberGroupStrategy?: "HOST_AWARE" | "RACK_AWARE" | "ZONE_AWARE";
}

export interface ProtocolChoice {
  raft?: ProtocolSpec;
  primaryBackup?: ProtocolSpec;
  log?: ProtocolSpec;
}

export interface GroupTemplate extends ProtocolChoice {
  version?: string;
  partitionSize?: number;
  env?: Array<Record<string, unknown>>;
  resources?: Record<string, unknown>;
}

export type PartitionGroup = KubeObject & { spec?: GroupTemplate & { partitions?: number } };
export type Partition = KubeObject & { spec?: GroupTemplate & { group?: string; partitionId?: number } };

// The Database generation (cloud.atomix.io) and its storage classes.
export const DatabaseKind = kind("cloud.atomix.io/v1beta2", "Database", "databases");
export const DatabasePartitionKind = kind("cloud.atomix.io/v1beta2", "Partition", "partitions");
export const MemberKind = kind("cloud.atomix.io/v1beta2", "Member", "members");
export const PrimitiveKind = kind("cloud.atomix.io/v1beta2", "Primitive", "primitives");
export const RaftStorageClassKind = kind("storage.cloud.atomix.io/v1beta1", "RaftStorageClass", "raftstorageclasses");

/** A reference from a Database to its storage class; an empty namespace means the Database's. */
export interface StorageReference {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

export type Database = KubeObject & {
  spec?: { clusters?: number; template?: { spec?: { partitions?: number; storage?: StorageReference } } };
};
export type DatabasePartition = KubeObject & {
  spec?: { database?: string; cluster?: number; partitionId?: number; serviceName?: string };
  status?: { ready?: boolean; readyReplicas?: number };
};
export type RaftStorageClass = KubeObject & {
  spec?: { image?: string; imagePullPolicy?: "Always" | "IfNotPresent" | "Never"; replicas?: number; volumeClaimTemplate?: Record<string, unknown> };
};
export type Member = KubeObject & { spec?: { group?: string; member?: string; host?: string; port?: number } };
export type Primitive = KubeObject & { spec?: { database?: string; scope?: string; name?: string; type?: string } };

// The Atomix 3 operator generation (agent.atomix.io): one AtomixCluster holds a management
// group, partition groups and an optional benchmark.
export const AtomixClusterKind = kind("agent.atomix.io/v1alpha1", "AtomixCluster", "atomixclusters");
export const IngressKind = kind("networking.k8s.io/v1", "Ingress", "ingresses");

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
  raft?: { storage?: AtomixStorage; compaction?: { dynamic?: boolean; freeDiskBuffer?: number; freeMemoryBuffer?: number }; partitionSize?: number };
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
