// The Kubernetes API access a program built on the runtime needs, derived from what it runs:
// each controller's parent, children and related kinds get the verbs the runtime uses on
// them, RPC handlers declare their own, and the manager adds Events and its Lease. The
// result is the rules of the program's ClusterRole, so the deploy manifest never keeps a
// hand-made copy.
import type { ControllerDefinition } from "./controller.ts";
import type { Access, Verb } from "./kube/access.ts";
import { builtinKinds, groupOf } from "./kube/kinds.ts";

export type { Access, Verb };

/** One rule of a ClusterRole, as RBAC writes it. */
export interface PolicyRule {
  /** The API group, "" for the core group; policyRules() puts exactly one in each rule. */
  apiGroups: string[];
  /** The resource (plural), or "<plural>/<subresource>"; policyRules() puts exactly one in each rule. */
  resources: string[];
  /** The verbs allowed; policyRules() lists them in the order get, list, watch, create, update, patch, delete. */
  verbs: Verb[];
}

/** The verbs on every kind the shared cache holds: it lists and watches each. */
export const cachedVerbs: readonly Verb[] = ["list", "watch"];
/**
 * The verbs on each child kind: the cache's, plus "create" and "patch" (server-side apply needs
 * both when the object does not exist yet) and "delete" (children left out of an answer are pruned).
 */
export const childVerbs: readonly Verb[] = [...cachedVerbs, "create", "patch", "delete"];

/**
 * The API access the runtime needs to run a controller: list and watch its parent kind (and
 * patch it, for a finalizer), patch the parent's status, update its finalizers subresource
 * (for blockOwnerDeletion on children), write and prune children, and list and watch related kinds.
 */
export function controllerAccess(definition: ControllerDefinition<any>): Access[] {
  const { name, parent, children, related, finalize, effects } = definition;
  return [
    // A controller with a finalize() hook adds and removes its finalizer by server-side apply.
    { kind: parent, verbs: finalize ? [...cachedVerbs, "patch"] : cachedVerbs, why: `${name}: parent` },
    { kind: parent, subresource: "status", verbs: ["patch"], why: `${name}: status and failure conditions` },
    // Children carry blockOwnerDeletion; where the OwnerReferencesPermissionEnforcement
    // admission plugin runs (OpenShift), setting it needs update on the owner's finalizers.
    { kind: parent, subresource: "finalizers", verbs: ["update"], why: `${name}: blockOwnerDeletion on children` },
    ...children.map((kind): Access => ({ kind, verbs: childVerbs, why: `${name}: child` })),
    ...(related?.kinds ?? []).map((kind): Access => ({ kind, verbs: cachedVerbs, why: `${name}: related` })),
    // A pods/exec WebSocket is a GET; since Kubernetes 1.35 it also needs create.
    ...(effects?.commands
      ? [{ kind: builtinKinds.Pod, subresource: "exec", verbs: ["get", "create"], why: `${name}: commands in pods` }]
      : []) as Access[],
    ...(effects?.httpSecrets
      ? [{ kind: builtinKinds.Secret, verbs: ["get"], why: `${name}: HTTP request headers from Secrets` }]
      : []) as Access[],
  ];
}

/**
 * What the manager itself does: record Events, (with leader election) hold its Lease, and
 * (when its RPC callers may be checked, --api-auth=kubernetes) create TokenReviews and
 * SubjectAccessReviews.
 */
export function managerAccess(options: { leaderElection: boolean; apiAuth?: boolean }): Access[] {
  return [
    { kind: builtinKinds.Event, verbs: ["create"], why: "events about parents" },
    ...(options.leaderElection
      ? [{
        kind: builtinKinds.Lease,
        verbs: [...cachedVerbs, "get", "create", "update"] as Verb[],
        why: "leader election",
      }]
      : []),
    ...(options.apiAuth
      ? [
        {
          kind: builtinKinds.TokenReview,
          verbs: ["create"] as Verb[],
          why: "--api-auth=kubernetes: who a bearer token is",
        },
        {
          kind: builtinKinds.SubjectAccessReview,
          verbs: ["create"] as Verb[],
          why: "--api-auth=kubernetes: whether the caller may do what an RPC does",
        },
      ]
      : []),
  ];
}

const verbOrder: readonly Verb[] = ["get", "list", "watch", "create", "update", "patch", "delete"];

/** One rule per API group and resource, with the union of the verbs every access asks for, in a stable order. */
export function policyRules(accesses: readonly Access[]): PolicyRule[] {
  const byResource = new Map<string, { group: string; resource: string; verbs: Set<Verb> }>();
  for (const access of accesses) {
    const group = groupOf(access.kind.apiVersion);
    const resource = access.subresource ? `${access.kind.plural}/${access.subresource}` : access.kind.plural;
    const key = `${group}/${resource}`;
    let entry = byResource.get(key);
    if (!entry) byResource.set(key, entry = { group, resource, verbs: new Set() });
    for (const verb of access.verbs) entry.verbs.add(verb);
  }
  return [...byResource.values()]
    .sort((a, b) => a.group.localeCompare(b.group) || a.resource.localeCompare(b.resource))
    .map(({ group, resource, verbs }) => ({
      apiGroups: [group],
      resources: [resource],
      verbs: verbOrder.filter((verb) => verbs.has(verb)),
    }));
}
