// The Atomix controller's kinds: the PartitionGroup generation (k8s.atomix.io) and the
// Database generation (cloud.atomix.io, storage.cloud.atomix.io).
import { kind, type KubeObject } from "../../runtime/mod.ts";

export const PartitionGroupKind = kind("k8s.atomix.io/v1alpha1", "PartitionGroup", "partitiongroups");
export const PartitionKind = kind("k8s.atomix.io/v1alpha1", "Partition", "partitions");

/** Options of one protocol, as the CRDs accept them. */
export interface ProtocolSpec {
  image?: string;
  imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
  electionTimeout?: string;
  heartbeatInterval?: string;
  storage?: {
    className?: string;
    size?: string;
    maxEntrySize?: number;
    segmentSize?: number;
    level?: "DISK" | "MAPPED";
    flushOnCommit?: boolean;
  };
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
  spec?: {
    image?: string;
    imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
    replicas?: number;
    volumeClaimTemplate?: Record<string, unknown>;
  };
};
export type Member = KubeObject & { spec?: { group?: string; member?: string; host?: string; port?: number } };
export type Primitive = KubeObject & { spec?: { database?: string; scope?: string; name?: string; type?: string } };
