// Pure: what a good sync writes to its parent's status. The function's status gains
// observedGeneration and condition transition times; a failure the runtime recorded is taken
// back first (failures.ts says which are this controller's).
import type { KubeObject } from "../kube/objects.ts";
import { type Condition, stampConditions, withCondition } from "./conditions.ts";
import { failureCondition, failureRemoval, type JsonPatch, ownFailure, type Writer } from "./failures.ts";
import { isSubset } from "./plan.ts";

export type StatusStep =
  | { kind: "none" }
  /** Take back this controller's failure first (then plan again from the patched parent). */
  | { kind: "remove-failure"; patch: JsonPatch }
  | { kind: "write"; status: Record<string, unknown> };

/** The status to write: the function's status, observedGeneration, and stamped conditions. */
export function statusToWrite(
  desired: Record<string, unknown>,
  parent: KubeObject,
  now: string,
  shared = false,
): Record<string, unknown> {
  const current = (parent.status ?? {}) as Record<string, unknown>;
  const generation = parent.metadata.generation;
  const status: Record<string, unknown> = { ...desired };
  if (generation !== undefined && !shared) status.observedGeneration = generation;
  if (status.conditions !== undefined) {
    status.conditions = stampConditions(status.conditions, current.conditions, now, generation);
  }
  return status;
}

/** What to write to the parent's status after a successful sync that answered `desired`. */
export function nextStatus(
  parent: KubeObject,
  desired: Record<string, unknown> | undefined,
  writer: Writer,
  now: string,
): StatusStep {
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
  const unchanged = isSubset(status, current) &&
    (writer.siblings.length > 0 || writer.shared || isSubset(current, status));
  return unchanged ? { kind: "none" } : { kind: "write", status };
}
