// The Atomix controller's kinds and the types of their objects: the PartitionGroup generation
// (k8s.atomix.io) and the Database generation (cloud.atomix.io, storage.cloud.atomix.io). The
// kinds are declared in crds.ts; every type here follows from their schemas.
import type { ObjectOf } from "../../runtime/mod.ts";
import {
  DatabaseKind,
  DatabasePartitionKind,
  MemberKind,
  PartitionGroupKind,
  PartitionKind,
  PrimitiveKind,
  RaftStorageClassKind,
} from "./crds.ts";

export {
  DatabaseKind,
  DatabasePartitionKind,
  MemberKind,
  PartitionGroupKind,
  PartitionKind,
  PrimitiveKind,
  RaftStorageClassKind,
};

export type PartitionGroup = ObjectOf<typeof PartitionGroupKind>;
export type Partition = ObjectOf<typeof PartitionKind>;

/** What a PartitionGroup passes on to each of its Partitions: everything but the partition count. */
export type GroupTemplate = Omit<PartitionGroup["spec"], "partitions">;
/** The protocol a group or partition runs: exactly one of these is set (a CEL rule of the CRD says so). */
export type ProtocolChoice = Pick<GroupTemplate, "raft" | "primaryBackup" | "log">;
/** Options of one protocol, as the CRDs accept them. */
export type ProtocolSpec = NonNullable<ProtocolChoice["raft"]>;

export type Database = ObjectOf<typeof DatabaseKind>;
export type DatabasePartition = ObjectOf<typeof DatabasePartitionKind>;
export type Member = ObjectOf<typeof MemberKind>;
export type Primitive = ObjectOf<typeof PrimitiveKind>;
export type RaftStorageClass = ObjectOf<typeof RaftStorageClassKind>;

/** A reference from a Database to its storage class; an empty namespace means the Database's. */
export type StorageReference = Database["spec"]["template"]["spec"]["storage"];
