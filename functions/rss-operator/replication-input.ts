// What the replication algorithm reads: the set's spec, its pods and what the status recorded.
import type { ActionResult } from "../../runtime/mod.ts";
import type { Commands } from "./commands.ts";
import type { Pass, Peer } from "./types.ts";

export interface PodView {
  name: string;
  ordinal: number;
  uid: string;
  /** Running and not being deleted: commands can run there. */
  online: boolean;
}

export interface ReplicationInput {
  name: string;
  /** The set's metadata.generation: a spec change starts a new pass at once. */
  generation?: number | undefined;
  replicas: number;
  primaries: number;
  commands: Commands;
  intervalSeconds: number;
  /** Members 0..expected-1 are expected (the StatefulSet's current replicas). */
  expected: number;
  pods: PodView[];
  peers: Peer[];
  pass?: Pass | undefined;
  failedPasses: number;
  seed?: string | undefined;
  results: Record<string, ActionResult>;
}
