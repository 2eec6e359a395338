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
