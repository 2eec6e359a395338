// The Atomix operator's kind (agent.atomix.io) and the types of its objects. The AtomixCluster
// kind is declared in crd.ts; every type here follows from its schema. A type-only import:
// this file loads no TypeBox.
import { builtinKinds, type ObjectOf } from "../../runtime/mod.ts";
import type { AtomixClusterKind } from "./crd.ts";

// The Atomix 3 operator generation (agent.atomix.io): one AtomixCluster holds a management
// group, partition groups and an optional benchmark.
export const IngressKind = builtinKinds.Ingress;

export type AtomixCluster = ObjectOf<typeof AtomixClusterKind>;
export type AtomixClusterSpec = AtomixCluster["spec"];
export type AtomixPartitionGroupSpec = NonNullable<AtomixClusterSpec["partitionGroups"]>[number];

/** What every set of nodes (management group, partition group, benchmark workers) has. */
export type AtomixNodeSet = Pick<AtomixPartitionGroupSpec, "size" | "env" | "resources">;
/** Kubernetes' EnvVar, as far as the CRD types it. */
export type EnvVar = NonNullable<AtomixNodeSet["env"]>[number];
/** Kubernetes' ResourceRequirements: quantities by resource name. */
export type Resources = NonNullable<AtomixNodeSet["resources"]>;

/** A volume per node and how Atomix writes to it; the same under the management group, raft and log. */
export type AtomixStorage = NonNullable<NonNullable<AtomixClusterSpec["managementGroup"]>["storage"]>;
export type MemberGroupStrategy = NonNullable<
  NonNullable<AtomixPartitionGroupSpec["primaryBackup"]>["memberGroupStrategy"]
>;

/** The protocols a partition group may run: exactly one is set (a CEL rule of the CRD says so). */
export type ProtocolName = keyof Pick<AtomixPartitionGroupSpec, "raft" | "primaryBackup" | "log">;
