// Pure: Kubernetes conditions as the runtime writes them. Functions read no clock, so this is
// where a condition gets its lastTransitionTime.
import type { KubeObject } from "../kube/objects.ts";

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
  [field: string]: unknown;
}

export const conditionsOf = (parent: KubeObject): unknown =>
  (parent.status as { conditions?: unknown } | undefined)?.conditions;

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
    const lastTransitionTime = before && before.status === condition.status && before.lastTransitionTime
      ? before.lastTransitionTime
      : now;
    return {
      ...condition,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      lastTransitionTime,
    };
  });
}

/** Replaces (or adds) one condition in a list, keeping the others. */
export function withCondition(conditions: unknown, condition: Condition): Condition[] {
  const list = Array.isArray(conditions) ? (conditions as Condition[]) : [];
  return [...list.filter((c) => c?.type !== condition.type), condition];
}
