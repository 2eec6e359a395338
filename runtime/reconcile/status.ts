// Pure: what a sync writes to its parent's status. The function's status gains
// observedGeneration and condition transition times; a failure the runtime recorded is taken
// back once a sync succeeds; and controllers sharing a parent kind ("siblings") never
// overwrite each other's failure: each takes back only its own, and the first to fail keeps
// Ready=False until it recovers.
import type { KubeObject } from "../kube/objects.ts";
import { isSubset } from "./plan.ts";

/** Condition reasons the runtime writes when a sync fails; cleared by the next good sync. */
export const failureReasons = ["SyncFailed", "InvalidResponse", "ApplyFailed"] as const;
export type FailureReason = (typeof failureReasons)[number];

/** Longest failure message written to a condition. */
export const maxFailureMessageLength = 32_768;

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
  [field: string]: unknown;
}

/** Who is asking: the controller's name and the other controllers of the same parent kind. */
export interface Writer {
  name: string;
  siblings: readonly string[];
  /** The parent's status belongs to another controller: write only what the function answers. */
  shared?: boolean;
}

/** A JSON patch (RFC 6902) against the status subresource. */
export type JsonPatch = Array<{ op: "test" | "remove"; path: string; value?: unknown }>;

export type StatusStep =
  | { kind: "none" }
  /** Take back this controller's failure first (then plan again from the patched parent). */
  | { kind: "remove-failure"; patch: JsonPatch }
  | { kind: "write"; status: Record<string, unknown> };

const conditionsOf = (parent: KubeObject): unknown => (parent.status as { conditions?: unknown } | undefined)?.conditions;

/**
 * Gives each condition a lastTransitionTime: kept from the current condition of the same
 * type when its status did not change, `now` otherwise. Functions read no clock; this is where
 * time enters.
 */
export function stampConditions(desired: unknown, current: unknown, now: string, generation?: number): unknown {
  if (!Array.isArray(desired)) return desired;
  const previous = new Map((Array.isArray(current) ? (current as Condition[]) : []).map((c) => [c.type, c]));
  return (desired as Condition[]).map((condition) => {
    if (!condition || typeof condition !== "object" || condition.lastTransitionTime) return condition;
    const before = previous.get(condition.type);
    const lastTransitionTime = before && before.status === condition.status && before.lastTransitionTime ? before.lastTransitionTime : now;
    return { ...condition, ...(generation !== undefined ? { observedGeneration: generation } : {}), lastTransitionTime };
  });
}

/** The status to write: the function's status, observedGeneration, and stamped conditions. */
export function statusToWrite(desired: Record<string, unknown>, parent: KubeObject, now: string, shared = false): Record<string, unknown> {
  const current = (parent.status ?? {}) as Record<string, unknown>;
  const generation = parent.metadata.generation;
  const status: Record<string, unknown> = { ...desired };
  if (generation !== undefined && !shared) status.observedGeneration = generation;
  if (status.conditions !== undefined) status.conditions = stampConditions(status.conditions, current.conditions, now, generation);
  return status;
}

/** Replaces (or adds) one condition in a list, keeping the others. */
export function withCondition(conditions: unknown, condition: Condition): Condition[] {
  const list = Array.isArray(conditions) ? (conditions as Condition[]) : [];
  return [...list.filter((c) => c?.type !== condition.type), condition];
}

/** The Ready=False condition the runtime wrote for a failed sync, if the parent has one. */
export function failureCondition(conditions: unknown): Condition | undefined {
  if (!Array.isArray(conditions)) return undefined;
  return conditions.find(
    (c) => c?.type === "Ready" && c.status === "False" && (failureReasons as readonly string[]).includes(c.reason),
  );
}

/** The runtime's failure on the parent if this controller wrote it (any failure, without siblings). */
export function ownFailure(parent: KubeObject, writer: Writer): Condition | undefined {
  const failure = failureCondition(conditionsOf(parent));
  return failure && !writer.siblings.some((sibling) => failure.message?.startsWith(`${sibling}: `)) ? failure : undefined;
}

/** With siblings, failure messages name their controller so each can tell its own. */
export function failureMessage(writer: Writer, message: string): string {
  return `${writer.siblings.length ? `${writer.name}: ` : ""}${message}`.slice(0, maxFailureMessageLength);
}

/**
 * Removes a failure condition if it is still where and what it was when read: a JSON patch
 * guarded by a test op removes it whoever co-owns it (a sibling that carried it in its own
 * applies would keep an apply without it from removing it).
 */
export function failureRemoval(parent: KubeObject, failure: Condition): JsonPatch | undefined {
  const conditions = (conditionsOf(parent) ?? []) as unknown[];
  const index = conditions.indexOf(failure);
  if (index < 0) return undefined;
  return [
    { op: "test", path: `/status/conditions/${index}/message`, value: failure.message },
    { op: "remove", path: `/status/conditions/${index}` },
  ];
}

/** What to write to the parent's status after a successful sync that answered `desired`. */
export function nextStatus(parent: KubeObject, desired: Record<string, unknown> | undefined, writer: Writer, now: string): StatusStep {
  const current = (parent.status ?? {}) as Record<string, unknown>;
  const failure = failureCondition(current.conditions);
  const own = ownFailure(parent, writer);
  const reportsItself = ((desired?.conditions as Condition[] | undefined) ?? []).some(
    (c) => c?.type === "Ready" && c.status === "False" && c.reason === own?.reason,
  );
  if (own && !reportsItself) {
    const patch = failureRemoval(parent, own);
    if (patch) return { kind: "remove-failure", patch };
  }
  if (desired === undefined || (writer.shared && Object.keys(desired).length === 0)) return { kind: "none" };
  const status = statusToWrite(desired, parent, now, writer.shared);
  if (failure && !own && Array.isArray(status.conditions)) {
    // Another controller of this parent is failing; its Ready=False stands until it recovers.
    status.conditions = withCondition(status.conditions, failure);
  }
  // Unchanged when everything is already there and, without siblings (whose fields the status
  // also holds), nothing is there that the function no longer reports.
  const unchanged = isSubset(status, current) && (writer.siblings.length > 0 || writer.shared || isSubset(current, status));
  return unchanged ? { kind: "none" } : { kind: "write", status };
}

/**
 * The status recording a failed sync, or undefined when nothing should be written: the same
 * failure is already there, or a sibling's failure stands (taking turns would have each
 * failure's write trigger the other's retry, in a loop; the Event still tells).
 */
export function failureStatus(parent: KubeObject, reason: FailureReason, message: string, writer: Writer, now: string): Record<string, unknown> | undefined {
  const current = (parent.status ?? {}) as Record<string, unknown>;
  const previous = failureCondition(current.conditions);
  if (previous && previous.reason === reason && previous.message === message) return undefined;
  if (previous && previous !== ownFailure(parent, writer)) return undefined;
  const condition: Condition = { type: "Ready", status: "False", reason, message, observedGeneration: parent.metadata.generation };
  return { ...current, conditions: withCondition(current.conditions, { ...condition, lastTransitionTime: now }) };
}
