// Pure: from the children a function wants and the children that exist, the writes one sync
// makes. Each desired child is stamped with the controller owner reference and the
// managed-by label; it is applied unless what exists already has every field it sets (or,
// by its kind's update strategy, deleted to be recreated, or left until someone deletes it);
// controlled children left out are deleted; a name another controller's object holds is
// refused rather than taken over.
import type { DesiredObject, ObjectsByKind, RollingUpdate, StatusCheck, UpdateMethod } from "../controller.ts";
import { type Kind, kindKey } from "../kube/kinds.ts";
import { controllerOf, type KubeObject, objectKey, type OwnerReference } from "../kube/objects.ts";

/** The label that tells which controller of a parent manages a child. */
export const managedByLabel = "app.kubernetes.io/managed-by";

export interface ChildWrite {
  kind: Kind;
  object: KubeObject;
}

export interface ChildApply extends ChildWrite {
  /** True when no such child exists yet (it is reported as created). */
  creates: boolean;
}

/** A desired child whose name an object controlled by someone else holds. */
export interface TakenName {
  /** "Kind.apiVersion/namespace/name" of the held object. */
  childKey: string;
  message: string;
}

export interface ChildPlan {
  applies: ChildApply[];
  deletes: ChildWrite[];
  taken: TakenName[];
  /** Rolling updates that wait on a changed child's status checks. */
  waiting: RolloutWait[];
  /** "Kind name" of each child a rolling update changes (or deletes to make again) in this plan. */
  rolling: string[];
}

export interface PlanInput {
  parent: KubeObject;
  controllerName: string;
  /** The declared child kinds, by "Kind.apiVersion". */
  childKinds: ReadonlyMap<string, Kind>;
  /** The function's children, already validated. */
  desired: readonly DesiredObject[];
  /** The children this controller controls now, as given to the function. */
  observed: ObjectsByKind;
  /** Any object of a kind by "namespace/name", whoever owns it (the cache). */
  lookup(kind: Kind, key: string): KubeObject | undefined;
  /** How differing children of each kind ("Kind.apiVersion") are changed; InPlace when absent. */
  updateStrategy?: Readonly<Record<string, UpdateMethod | RollingUpdate>> | undefined;
  /**
   * Children ("Kind.apiVersion/namespace/name") that the API server says an apply would leave
   * as they are, though they lack a field or list item of the desired object: lists the server
   * adds to (a Pod's token volume) or merges by key.
   */
  unchanged?: ReadonlySet<string> | undefined;
}

/** Why a rolling update of a kind waits: the first child already changed that fails its checks. */
export interface RolloutWait {
  /** "Kind.apiVersion". */
  kind: string;
  message: string;
}

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

/**
 * A child's key among its kind's children: its name, or "namespace/name" when the parent is
 * cluster-scoped and the child namespaced (children in different namespaces may share a name).
 */
export function childName(parent: KubeObject, child: KubeObject): string {
  return parent.metadata.namespace || !child.metadata.namespace ? child.metadata.name : objectKey(child);
}

/** The child as it is applied: the function's object plus the controller owner reference and label. */
export function stampChild(child: DesiredObject, parent: KubeObject, controllerName: string): KubeObject {
  const ownerReferences = [
    ...((child.metadata.ownerReferences as OwnerReference[] | undefined) ?? []),
    ownerReference(parent),
  ];
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
    value === undefined ? true : isSubset(value, (actual as Record<string, unknown>)[key])
  );
}

/**
 * Whether two copies of an object hold the same content, but for what every write changes
 * (resourceVersion, generation, managedFields) and the status, which children are not written.
 */
export function sameObject(a: KubeObject, b: KubeObject): boolean {
  const content = ({ status: _status, metadata, ...rest }: KubeObject & { status?: unknown }) => {
    const { resourceVersion: _v, generation: _g, managedFields: _m, ...kept } = metadata as KubeObject["metadata"] & {
      generation?: number;
      managedFields?: unknown;
    };
    return { ...rest, metadata: kept };
  };
  const left = content(a), right = content(b);
  return isSubset(left, right) && isSubset(right, left);
}

/**
 * What a dry-run apply says of a cached child: "unchanged" when the apply would leave it as it
 * is; "changed" when it would not; "stale" when the server's copy is newer than the cached one
 * (another writer, such as the scheduler binding a Pod, got there first), so the two cannot be
 * compared. A dry run changes no resourceVersion, so the result carries the server's current one.
 */
export function dryRunVerdict(result: KubeObject, cached: KubeObject): "unchanged" | "changed" | "stale" {
  if (sameObject(result, cached)) return "unchanged";
  const current = result.metadata.resourceVersion;
  return current !== undefined && current !== cached.metadata.resourceVersion ? "stale" : "changed";
}

/** Whether a child shows every condition the checks ask for. */
export function passesChecks(child: KubeObject, checks: readonly StatusCheck[]): boolean {
  const conditions = ((child as { status?: { conditions?: unknown } }).status?.conditions ?? []) as Array<
    Record<string, unknown>
  >;
  if (!Array.isArray(conditions)) return checks.length === 0;
  return checks.every((check) =>
    conditions.some((condition) =>
      condition.type === check.type && (check.status === undefined || condition.status === check.status) &&
      (check.reason === undefined || condition.reason === check.reason)
    )
  );
}

/** The method and checks of a kind's strategy. */
function strategyOf(
  strategy: UpdateMethod | RollingUpdate | undefined,
): { method: UpdateMethod; checks: StatusCheck[] } {
  if (strategy === undefined) return { method: "InPlace", checks: [] };
  if (typeof strategy === "string") return { method: strategy, checks: [] };
  return { method: strategy.method, checks: strategy.statusChecks?.conditions ?? [] };
}

/** Whether a kind's children are changed one at a time (RollingInPlace or RollingRecreate). */
export function isRolling(strategy: UpdateMethod | RollingUpdate | undefined): boolean {
  const { method } = strategyOf(strategy);
  return method === "RollingInPlace" || method === "RollingRecreate";
}

/**
 * Metacontroller's "Updated" condition of a parent whose child kinds roll: False with reason
 * RolloutWaiting (what the rollout waits on) or RolloutProgressing (the child it changes now),
 * else True with reason OnLatestRevision.
 */
export function updatedCondition(
  plan: ChildPlan,
): { type: "Updated"; status: string; reason: string; message: string } {
  if (plan.waiting.length) {
    return { type: "Updated", status: "False", reason: "RolloutWaiting", message: plan.waiting[0]!.message };
  }
  if (plan.rolling.length) {
    return { type: "Updated", status: "False", reason: "RolloutProgressing", message: `updating ${plan.rolling[0]}` };
  }
  return {
    type: "Updated",
    status: "True",
    reason: "OnLatestRevision",
    message: "every child is as the latest sync asks",
  };
}

/** Whether a child's kind changes differing children by deleting them or one at a time. */
export function comparesOnServer(strategy: UpdateMethod | RollingUpdate | undefined): boolean {
  const { method } = strategyOf(strategy);
  return method === "Recreate" || method === "RollingRecreate" || method === "RollingInPlace";
}

/** The key PlanInput.unchanged holds for a child. */
export function childKey(kind: Kind, object: KubeObject): string {
  return `${kindKey(kind)}/${objectKey(object)}`;
}

export function planChildren(input: PlanInput): ChildPlan {
  const { parent, controllerName, childKinds, observed } = input;
  const plan: ChildPlan = { applies: [], deletes: [], taken: [], waiting: [], rolling: [] };
  const matches = (kind: Kind, object: KubeObject, existing: KubeObject) =>
    isSubset(object, existing) || (input.unchanged?.has(childKey(kind, object)) ?? false);
  const desiredKeys = new Set<string>();
  // Rolling kinds: whether a child of the kind is already being changed in this plan, or waits.
  const rolling = new Map<string, "busy" | "open">();
  const rollingState = (key: string, checks: StatusCheck[]): "busy" | "open" => {
    let state = rolling.get(key);
    if (state) return state;
    state = "open";
    // Children already changed (they match the answer) must pass the checks first, and a
    // missing one (being made again, or new) must first be there.
    for (const child of input.desired) {
      if (kindKey(child) !== key) continue;
      const object = stampChild(child, parent, controllerName);
      const existing = observed[key]?.[childName(parent, object)];
      if (!existing) {
        plan.waiting.push({ kind: key, message: `waiting for ${object.kind} ${object.metadata.name} to be created` });
        state = "busy";
        break;
      }
      if (matches(childKinds.get(key)!, object, existing) && !passesChecks(existing, checks)) {
        plan.waiting.push({
          kind: key,
          message: `waiting for ${existing.kind} ${existing.metadata.name} to pass its status checks (${
            checks.map((check) => [check.type, check.status, check.reason].filter(Boolean).join("=")).join(", ")
          })`,
        });
        state = "busy";
        break;
      }
    }
    rolling.set(key, state);
    return state;
  };
  for (const child of input.desired) {
    const kind = childKinds.get(kindKey(child))!;
    const object = stampChild(child, parent, controllerName);
    const key = childKey(kind, object);
    desiredKeys.add(key);
    const existing = observed[kindKey(kind)]?.[childName(parent, object)];
    if (existing && matches(kind, object, existing)) continue;
    const { method, checks } = strategyOf(input.updateStrategy?.[kindKey(kind)]);
    if (existing && method === "OnDelete") continue;
    if (existing && (method === "RollingInPlace" || method === "RollingRecreate")) {
      // One differing child at a time, once those already changed pass their checks.
      if (rollingState(kindKey(kind), checks) === "busy") continue;
      rolling.set(kindKey(kind), "busy");
      plan.rolling.push(`${object.kind} ${object.metadata.name}`);
      if (method === "RollingRecreate") plan.deletes.push({ kind, object: existing });
      else plan.applies.push({ kind, object, creates: false });
      continue;
    }
    if (existing && method === "Recreate") {
      plan.deletes.push({ kind, object: existing });
      continue;
    }
    if (!existing) {
      const holder = heldBy(input.lookup(kind, objectKey(object)), parent);
      if (holder) {
        plan.taken.push({ childKey: key, message: takenMessage(object, holder, parent) });
        continue;
      }
    }
    plan.applies.push({ kind, object, creates: !existing });
  }
  for (const [group, byName] of Object.entries(observed)) {
    const kind = childKinds.get(group)!;
    for (const child of Object.values(byName)) {
      if (!desiredKeys.has(`${group}/${objectKey(child)}`)) plan.deletes.push({ kind, object: child });
    }
  }
  return plan;
}

/** The controller of an object, when it is someone other than this parent. */
function heldBy(found: KubeObject | undefined, parent: KubeObject): OwnerReference | undefined {
  const owner = found && controllerOf(found);
  return owner && owner.uid !== parent.metadata.uid ? owner : undefined;
}

function takenMessage(child: KubeObject, holder: OwnerReference, parent: KubeObject): string {
  return (
    `${child.kind} ${child.metadata.name} already exists and is controlled by ${holder.kind} ${holder.name}; ` +
    `rename or delete one of them (${parent.kind} ${parent.metadata.name} will not take it over)`
  );
}

/** "A, B, C" or "A, B, C, D, E and 3 more", for Events. */
export function summarize(names: readonly string[]): string {
  return names.length <= 5 ? names.join(", ") : `${names.slice(0, 5).join(", ")} and ${names.length - 5} more`;
}
