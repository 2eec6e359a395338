// Checks what a sync or finalize function returned before anything is written, so a bad
// answer becomes a clear condition on the parent instead of a half-applied change.
import type { Action, ControllerDefinition, DesiredObject, FinalizeResponse, SyncResponse } from "../controller.ts";
import { kindKey } from "../kube/kinds.ts";
import type { KubeObject } from "../kube/objects.ts";
import { actionProblems } from "./validate-actions.ts";
import { InvalidResponseError } from "./failures.ts";

export { InvalidResponseError } from "./failures.ts";

/** Most children one sync may return. */
export const maxChildren = 2_000;
/** Largest child an answer may hold, in bytes of its JSON (1 MiB); etcd refuses objects much above 1.5 MiB. */
export const maxChildBytes = 1_048_576;
/** Largest status an answer may hold, in bytes of its JSON (256 KiB). */
export const maxStatusBytes = 262_144;
/** Longest resync delay: one day. */
export const maxResyncAfterSeconds = 86_400;

const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** An answer that passed every check, normalized: what the runtime goes on to write. */
export interface ValidResponse {
  /** The desired children, each with its namespace filled in (the parent's, for namespaced kinds). */
  children: DesiredObject[];
  /** The status as answered; undefined when the answer had none (the status is then left alone). */
  status: Record<string, unknown> | undefined;
  /** The resync delay as answered, in seconds; undefined when none was asked for. */
  resyncAfterSeconds: number | undefined;
  /** The actions as answered; empty when none. */
  actions: Action[];
  /** Labels and annotations to set on the parent (null removes); empty when none were answered. */
  metadata: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> };
  /** What finalize answered; always false for a sync. */
  finalized: boolean;
}

/**
 * Checks a function's answer as the runtime does before writing anything, and returns it
 * normalized (children namespaced like the parent).
 *
 * @param definition the controller that answered: its declared child kinds are the only ones allowed.
 * @param parent the parent the answer is for; namespaced children must be in its namespace.
 * @param response the answer, as returned (unknown: it is checked, not trusted).
 * @param finalizing true when the answer came from finalize, which must say `finalized`.
 * @throws InvalidResponseError listing every problem: an undeclared kind, a bad or repeated
 *   name, a wrong namespace, a controller owner reference, a size over maxChildren,
 *   maxChildBytes or maxStatusBytes, resyncAfterSeconds out of range, bad actions, labels or
 *   annotations.
 */
export function validateResponse(
  definition: ControllerDefinition<any>,
  parent: KubeObject,
  response: unknown,
  finalizing: boolean,
): ValidResponse {
  const problems: string[] = [];
  if (typeof response !== "object" || response === null || Array.isArray(response)) {
    throw new InvalidResponseError([`expected an object, got ${describe(response)}`]);
  }
  const { children = [], status, resyncAfterSeconds, actions, labels, annotations } = response as SyncResponse;
  const finalized = (response as FinalizeResponse).finalized;
  if (!Array.isArray(children)) problems.push(`children must be an array, got ${describe(children)}`);
  const list = Array.isArray(children) ? children : [];
  if (list.length > maxChildren) problems.push(`${list.length} children is more than the limit of ${maxChildren}`);

  const declared = new Map(definition.children.map((kind) => [kindKey(kind), kind]));
  const names = new Set<string>();
  const normalised: DesiredObject[] = [];
  // Model classes (client-node's V1Deployment) type every field optional; the checks below
  // require what a child needs.
  (list as DesiredObject[]).forEach((child, index) => {
    const where = `children[${index}]`;
    if (typeof child !== "object" || child === null) {
      problems.push(`${where} must be an object, got ${describe(child)}`);
      return;
    }
    if (typeof child.apiVersion !== "string" || typeof child.kind !== "string") {
      problems.push(
        `${where} needs apiVersion and kind, got apiVersion ${describe(child.apiVersion)} and kind ${
          describe(child.kind)
        }`,
      );
      return;
    }
    const key = `${child.kind}.${child.apiVersion}`;
    const kind = declared.get(key);
    if (!kind) {
      problems.push(
        `${where} is a ${key}, which controller ${definition.name} does not declare as a child (declared: ${
          [...declared.keys()].join(", ") || "none"
        })`,
      );
      return;
    }
    const name = child.metadata?.name;
    if (typeof name !== "string" || name.length > 253 || !dnsSubdomain.test(name)) {
      problems.push(
        `${where} (${child.kind}) has metadata.name ${JSON.stringify(name)}, which is not a valid DNS subdomain`,
      );
      return;
    }
    const namespace = kind.namespaced ? (child.metadata.namespace ?? parent.metadata.namespace) : undefined;
    if (kind.namespaced && !namespace) {
      problems.push(`${where} (${child.kind} ${name}) needs metadata.namespace: the parent is cluster-scoped`);
      return;
    }
    if (kind.namespaced && parent.metadata.namespace && namespace !== parent.metadata.namespace) {
      problems.push(
        `${where} (${child.kind} ${name}) is in namespace ${namespace}, but children must be in the parent's namespace ${parent.metadata.namespace}`,
      );
      return;
    }
    if (!kind.namespaced && child.metadata.namespace) {
      problems.push(`${where} (${child.kind} ${name}) is cluster-scoped and must not set metadata.namespace`);
      return;
    }
    const identity = `${key}/${namespace ?? ""}/${name}`;
    if (names.has(identity)) {
      problems.push(`${where} repeats ${child.kind} ${name}`);
      return;
    }
    names.add(identity);
    const owners = (child.metadata.ownerReferences ?? []) as Array<{ controller?: boolean }>;
    if (owners.some((owner) => owner.controller)) {
      problems.push(`${where} (${child.kind} ${name}) sets a controller ownerReference; the runtime sets it`);
      return;
    }
    const size = JSON.stringify(child).length;
    if (size > maxChildBytes) {
      problems.push(`${where} (${child.kind} ${name}) is ${size} bytes, more than the limit of ${maxChildBytes}`);
      return;
    }
    normalised.push(namespace ? { ...child, metadata: { ...child.metadata, namespace } } : child);
  });

  if (status !== undefined && (typeof status !== "object" || status === null || Array.isArray(status))) {
    problems.push(`status must be an object, got ${describe(status)}`);
  } else if (status !== undefined && JSON.stringify(status).length > maxStatusBytes) {
    problems.push(`status is larger than the limit of ${maxStatusBytes} bytes`);
  }
  if (
    resyncAfterSeconds !== undefined &&
    (typeof resyncAfterSeconds !== "number" || !Number.isFinite(resyncAfterSeconds) || resyncAfterSeconds < 0 ||
      resyncAfterSeconds > maxResyncAfterSeconds)
  ) {
    problems.push(
      `resyncAfterSeconds must be a number from 0 to ${maxResyncAfterSeconds}, got ${describe(resyncAfterSeconds)}`,
    );
  }
  problems.push(
    ...actionProblems(actions),
    ...metadataProblems("labels", labels),
    ...metadataProblems("annotations", annotations),
  );
  if (finalizing && typeof finalized !== "boolean") {
    problems.push(`finalize must return finalized: true or false, got ${describe(finalized)}`);
  }
  if (problems.length) throw new InvalidResponseError(problems);
  const metadata = { ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) };
  return {
    children: normalised,
    status,
    resyncAfterSeconds,
    actions: actions ?? [],
    metadata,
    finalized: finalizing ? finalized : false,
  };
}

/** Labels or annotations for the parent: an object of strings, or null to remove one. */
function metadataProblems(field: "labels" | "annotations", value: unknown): string[] {
  if (value === undefined) return [];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return [`${field} must be an object, got ${describe(value)}`];
  }
  return Object.entries(value)
    .filter(([, entry]) => entry !== null && typeof entry !== "string")
    .map(([key, entry]) => `${field}["${key}"] must be a string, or null to remove it, got ${describe(entry)}`);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value === "object" ? "an object" : `${typeof value} ${String(value)}`;
}
