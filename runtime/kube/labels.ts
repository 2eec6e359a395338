// Kubernetes label selectors in their structured form (metav1.LabelSelector): matchLabels and
// matchExpressions, all of which must hold. Pure.

/** One requirement of a selector: In and NotIn take values, Exists and DoesNotExist none. */
export interface LabelSelectorRequirement {
  /** The label's key. */
  key: string;
  /** How the label's value is tested. */
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  /** The values In and NotIn compare with; none for Exists and DoesNotExist. */
  values?: string[];
}

/** A label selector; an empty one (or none) selects everything. */
export interface LabelSelector {
  /** Labels that must be present with these values. */
  matchLabels?: Record<string, string>;
  /** Requirements that must all hold. */
  matchExpressions?: LabelSelectorRequirement[];
}

/** Whether labels satisfy every part of the selector (no selector: yes). */
export function labelsSelected(selector: LabelSelector | undefined, labels: Record<string, string> = {}): boolean {
  const has = (key: string) => Object.hasOwn(labels, key);
  return Object.entries(selector?.matchLabels ?? {}).every(([key, value]) => has(key) && labels[key] === value) &&
    (selector?.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      switch (operator) {
        case "In":
          return has(key) && values.includes(labels[key]!);
        case "NotIn":
          return !has(key) || !values.includes(labels[key]!);
        case "Exists":
          return has(key);
        case "DoesNotExist":
          return !has(key);
        default:
          return false;
      }
    });
}

/**
 * The selector as the API's labelSelector query parameter, e.g. "app=web,tier in (a,b),!legacy".
 * An empty selector gives "", which selects everything.
 */
export function selectorString(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    if (operator === "In") parts.push(`${key} in (${values.join(",")})`);
    else if (operator === "NotIn") parts.push(`${key} notin (${values.join(",")})`);
    else if (operator === "Exists") parts.push(key);
    else if (operator === "DoesNotExist") parts.push(`!${key}`);
    else {throw new Error(
        `label selector operator ${JSON.stringify(operator)} is not one of In, NotIn, Exists, DoesNotExist`,
      );}
  }
  return parts.join(",");
}

/** What is wrong with a selector's shape (the API server's rules), or undefined. */
export function selectorProblem(selector: unknown): string | undefined {
  if (typeof selector !== "object" || selector === null || Array.isArray(selector)) return "is not an object";
  const { matchLabels, matchExpressions } = selector as Record<string, unknown>;
  if (matchLabels !== undefined && matchLabels !== null) {
    if (typeof matchLabels !== "object" || Array.isArray(matchLabels)) return "has matchLabels that is not an object";
    for (const [key, value] of Object.entries(matchLabels)) {
      if (typeof value !== "string") return `has matchLabels.${key} that is not a string`;
    }
  }
  if (matchExpressions === undefined || matchExpressions === null) return undefined;
  if (!Array.isArray(matchExpressions)) return "has matchExpressions that is not an array";
  for (const [index, requirement] of matchExpressions.entries()) {
    const { key, operator, values } = (requirement ?? {}) as Record<string, unknown>;
    const where = `matchExpressions[${index}]`;
    if (typeof key !== "string" || !key) return `has ${where} without a key`;
    if (operator === "In" || operator === "NotIn") {
      if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== "string")) {
        return `has ${where} (${operator}) without values`;
      }
    } else if (operator === "Exists" || operator === "DoesNotExist") {
      if (Array.isArray(values) && values.length) {
        return `has ${where} (${operator}) with values, which it may not have`;
      }
    } else return `has ${where} with operator ${String(operator)}, not In, NotIn, Exists or DoesNotExist`;
  }
  return undefined;
}
