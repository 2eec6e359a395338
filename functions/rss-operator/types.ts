// The ReplicatedStatefulSet kind (clusterlabs.org/v1alpha1, from beekhof/rss-operator): its
// spec and status as the functions read and write them, names, labels and defaults.
import type { KubeObject } from "../../runtime/mod.ts";

/** The command keys of spec.pod.commands; the first four are required. */
export const requiredCommands = ["sequence", "status", "stop", "primary"] as const;
export const optionalCommands = ["seed", "secondary"] as const;
export type CommandName = (typeof requiredCommands)[number] | (typeof optionalCommands)[number];

export interface ReplicationCommand {
  command: string[];
  /** A Kubernetes-style duration ("30s", "2m"); default defaultCommandTimeoutSeconds. */
  timeout?: string;
  /** The container to run it in; default the first of spec.pod.containers. */
  container?: string;
}

export interface PodPolicy {
  antiAffinity?: boolean;
  automountServiceAccountToken?: boolean;
  containers?: Array<Record<string, unknown> & { name: string; env?: unknown[]; volumeMounts?: unknown[] }>;
  volumes?: Array<Record<string, unknown>>;
  volumeClaimTemplates?: Array<Record<string, unknown>>;
  commands?: Partial<Record<CommandName, ReplicationCommand>>;
  securityContext?: Record<string, unknown>;
}

export interface RssSpec {
  replicas?: number;
  primaries?: number;
  reconcileInterval?: string;
  paused?: boolean;
  pod?: PodPolicy;
  servicePorts?: Array<Record<string, unknown>>;
  nodeSelector?: Record<string, string>;
  serviceAccountName?: string;
  secrets?: string[];
  affinity?: Record<string, unknown>;
  tolerations?: Array<Record<string, unknown>>;
}

/** What the operator knows of a member's application: Unknown until its status command answers. */
export type PeerState = "Unknown" | "Stopped" | "Primary" | "Secondary" | "Failed";

export interface Peer {
  /** The pod's name: rss-<name>-<ordinal>. */
  name: string;
  /** The pod this knowledge is about; a new pod of the same name starts over. */
  uid?: string;
  state: PeerState;
  /** The last sequence number the member reported, as decimal digits. */
  sequence?: string;
  /** Commands that failed on this pod. */
  failures: number;
  /** The last failure: the command and what it returned (kept until a pass ends without failures). */
  lastError?: string;
}

export type Step = "check" | "recover" | "sequence" | "start";

/** One pass of the replication algorithm: its steps run in order, each waiting for its commands. */
export interface Pass {
  number: number;
  step: Step;
  /** The running pods the pass works on, by name → uid; a change starts a new pass. */
  pods: Record<string, string>;
  /** The set's metadata.generation the pass works for; a spec change starts a new pass. */
  generation?: number;
  /** The start, promotion or demotion in flight (one at a time). */
  action?: string;
  /** Seconds the pass's status checks waited before starting. */
  delaySeconds?: number;
  /** A command of this pass failed (the next pass comes sooner). */
  failed?: boolean;
}

export type RssStatus = {
  phase?: "Running" | "Paused";
  replicas?: number;
  readyReplicas?: number;
  primaries?: number;
  members?: { ready: string[]; unready: string[]; primary: string[]; secondary: string[]; failed: string[] };
  peers?: Peer[];
  pass?: Pass;
  /** The member the set was last bootstrapped from. */
  seed?: string;
  /** Passes in a row in which a command failed: the next pass comes sooner (1, 2, 4 ... s, up to the interval). */
  failedPasses?: number;
  conditions?: Array<Record<string, unknown>>;
};

export type ReplicatedStatefulSet = KubeObject & { spec?: RssSpec; status?: RssStatus };

/** The original's defaults: 3 replicas, a status pass every minute when no interval is set. */
export const defaultReplicas = 3;
export const defaultReconcileIntervalSeconds = 60;
export const defaultCommandTimeoutSeconds = 60;
export const maxCommandTimeoutSeconds = 3_600;
/** Stop attempts on deletion before the set is let go anyway. */
export const destroyStopAttempts = 3;

export const statefulSetName = (name: string) => `rss-${name}`;
export const serviceName = (name: string) => `${name}-svc`;
export const podName = (name: string, ordinal: number) => `rss-${name}-${ordinal}`;
/** A peer's address for the others: <pod>.<service>. */
export const peerAddress = (name: string, pod: string) => `${pod}.${serviceName(name)}`;

export const managedLabel = "rss-operator-managed";
export const selectorLabels = (name: string): Record<string, string> => ({ app: name, [managedLabel]: "true" });

/** The ordinal of rss-<name>-<n>, or undefined for another name. */
export function ordinalOf(name: string, pod: string): number | undefined {
  const prefix = `${podName(name, 0).slice(0, -1)}`;
  if (!pod.startsWith(prefix)) return undefined;
  const rest = pod.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

const durationUnits: Record<string, number> = { h: 3_600, m: 60, s: 1, ms: 0.001 };
/** Kubernetes-style durations: one or more <number><unit>, units h, m, s, ms ("30s", "1m30s", "1.5h"). */
export const durationPattern = "^([0-9]+(\\.[0-9]+)?(h|m|s|ms))+$";

/** Seconds in a duration string, or undefined when it does not parse. */
export function durationSeconds(text: string | undefined): number | undefined {
  if (typeof text !== "string" || !new RegExp(durationPattern).test(text)) return undefined;
  let seconds = 0;
  for (const [, value, , unit] of text.matchAll(/([0-9]+(\.[0-9]+)?)(ms|h|m|s)/g)) {
    seconds += Number(value) * durationUnits[unit!]!;
  }
  return seconds;
}

/** spec.replicas (default 3, negative as 0) and spec.primaries (default every member, at most replicas). */
export function desiredCounts(spec: RssSpec): { replicas: number; primaries: number } {
  const replicas = spec.replicas === undefined ? defaultReplicas : Math.max(0, Math.floor(spec.replicas));
  const asked = spec.primaries === undefined ? replicas : Math.max(1, Math.floor(spec.primaries));
  return { replicas, primaries: Math.min(asked, replicas) };
}
