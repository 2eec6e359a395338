// Pure helpers for writing: what the runtime stamps on children, when a write can be
// skipped, and how condition transition times are kept.
import type { DesiredObject } from "./controller.ts";
import type { KubeObject, OwnerReference } from "./kube/objects.ts";

/** The label that tells which controller of a parent manages a child. */
export const managedByLabel = "app.kubernetes.io/managed-by";

export function ownerReference(parent: KubeObject): OwnerReference {
  return {
    apiVersion: parent.apiVersion,
    kind: parent.kind,
    name: parent.metadata.name,
    uid: parent.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The child as it is applied: the function's object plus the controller owner reference and label. */
export function stampChild(child: DesiredObject, parent: KubeObject, controllerName: string): KubeObject {
  const ownerReferences = [...((child.metadata.ownerReferences as OwnerReference[] | undefined) ?? []), ownerReference(parent)];
  return {
    ...child,
    metadata: {
      ...child.metadata,
      labels: { ...child.metadata.labels, [managedByLabel]: controllerName },
      ownerReferences,
    },
  } as KubeObject;
}

/** True when every field of `desired` is present in `actual` with an equal value (lists compare whole). */
export function isSubset(desired: unknown, actual: unknown): boolean {
  if (desired === actual) return true;
  if (typeof desired !== "object" || desired === null || typeof actual !== "object" || actual === null) {
    return false;
  }
  if (Array.isArray(desired)) {
    if (!Array.isArray(actual) || desired.length !== actual.length) return false;
    return desired.every((item, index) => isSubset(item, actual[index]));
  }
  if (Array.isArray(actual)) return false;
  return Object.entries(desired).every(([key, value]) =>
    value === undefined ? true : isSubset(value, (actual as Record<string, unknown>)[key]),
  );
}

interface Condition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
  [field: string]: unknown;
}

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
export function statusToWrite(desired: Record<string, unknown>, parent: KubeObject, now: string): Record<string, unknown> {
  const current = (parent.status ?? {}) as Record<string, unknown>;
  const generation = parent.metadata.generation;
  const status: Record<string, unknown> = { ...desired };
  if (generation !== undefined) status.observedGeneration = generation;
  if (status.conditions !== undefined) status.conditions = stampConditions(status.conditions, current.conditions, now, generation);
  return status;
}

/** Replaces (or adds) one condition in a list, keeping the others. */
export function withCondition(conditions: unknown, condition: Condition): Condition[] {
  const list = Array.isArray(conditions) ? (conditions as Condition[]) : [];
  return [...list.filter((c) => c?.type !== condition.type), condition];
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
export const microTime = (date: Date) => date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");

/** Kubernetes Time: RFC 3339 with seconds. */
export const rfc3339 = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, "Z");
