// The shapes of Kubernetes objects the runtime reads, kept loose on purpose: controllers
// see plain JSON.

/**
 * A link from an object to one that owns it (metadata.ownerReferences): the garbage collector
 * deletes the object once every owner is gone.
 */
export interface OwnerReference {
  /** The owner's apiVersion. */
  apiVersion: string;
  /** The owner's kind. */
  kind: string;
  /** The owner's name; owners are in the same namespace, or cluster-scoped. */
  name: string;
  /** The owner's UID: a reference to a deleted and recreated owner of the same name does not match. */
  uid: string;
  /** True for the one owner that manages the object; the runtime sets it on the children it writes. */
  controller?: boolean;
  /** True when foreground deletion of the owner waits for this object to be deleted first. */
  blockOwnerDeletion?: boolean;
}

/** An object's metadata: the fields the runtime reads, plus whatever else the API server sent. */
export interface ObjectMeta {
  /** Unique per kind within the namespace (or the cluster, for cluster-scoped kinds). */
  name: string;
  /** Absent for cluster-scoped objects. */
  namespace?: string;
  /** Set by the API server at creation; a recreated object gets a new one. */
  uid?: string;
  /** Opaque version the API server sets on every write; used for watches and compare-and-swap updates. */
  resourceVersion?: string;
  /** Counts changes to the spec (for kinds with a status subresource); status.observedGeneration echoes it. */
  generation?: number;
  /** When the object was created (RFC 3339), set by the API server. */
  creationTimestamp?: string;
  /** Set once deletion was asked for and finalizers still hold the object (RFC 3339). */
  deletionTimestamp?: string;
  /** Key-value pairs that selectors match. */
  labels?: Record<string, string>;
  /** Key-value pairs for tools and people; not selectable. */
  annotations?: Record<string, string>;
  /** Names of the finalizers that must be removed before the object is deleted. */
  finalizers?: string[];
  /** The objects that own this one; see OwnerReference. */
  ownerReferences?: OwnerReference[];
  /** Any other metadata field (managedFields, generateName, ...), as the API server sent it. */
  [field: string]: unknown;
}

/**
 * Any Kubernetes object as plain JSON: apiVersion, kind and metadata typed, everything else
 * left open. Kinds made by customKind() narrow spec and status (see ObjectOf).
 */
export interface KubeObject {
  /** "v1" for the core group, "group/version" otherwise. */
  apiVersion: string;
  /** The kind, e.g. "ConfigMap". */
  kind: string;
  /** Name, namespace, labels and the rest of the object's metadata. */
  metadata: ObjectMeta;
  /** The desired state, for kinds that have one; its shape is the kind's. */
  spec?: unknown;
  /** The observed state, for kinds that have one; its shape is the kind's. */
  status?: unknown;
  /** Any other top-level field (data, rules, ...), as the kind defines it. */
  [field: string]: unknown;
}

/** Every object of a list request (all pages), and the resourceVersion to start a watch from. */
export interface ObjectList<T extends KubeObject = KubeObject> {
  /** The objects, each with its apiVersion and kind filled in. */
  items: T[];
  /** The list's resourceVersion: a watch from it sees every change after the list. */
  resourceVersion: string;
}

/** One event of a watch, as the API server streams it. */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  /**
   * ADDED, MODIFIED and DELETED carry the object; BOOKMARK carries only a newer resourceVersion
   * in its metadata; ERROR carries a Status (KubeClient.watch throws it as a KubeError).
   */
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  /** The object as of this event (for DELETED, as last stored). */
  object: T;
}

/** "namespace/name", or "name" for cluster-scoped objects: the work queue's key. */
export const objectKey = (object: { metadata: { namespace?: string | undefined; name: string } }): string =>
  object.metadata.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : object.metadata.name;

/** The inverse of objectKey: "namespace/name" to its parts, "name" to a name with no namespace. */
export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf("/");
  return slash < 0
    ? { namespace: undefined, name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The owner reference marked controller: true, if the object has one. */
export const controllerOf = (object: KubeObject): OwnerReference | undefined =>
  object.metadata.ownerReferences?.find((owner) => owner.controller);

/**
 * Orders resourceVersions. They are opaque strings by contract, but every kube-apiserver
 * backed by etcd issues increasing integers; anything else compares as "not newer".
 */
export function isNewer(candidate: string | undefined, current: string | undefined): boolean {
  if (!candidate) return false;
  if (!current) return true;
  if (!/^\d+$/.test(candidate) || !/^\d+$/.test(current)) return candidate !== current;
  return candidate.length !== current.length ? candidate.length > current.length : candidate > current;
}

/**
 * A deep copy of JSON data (what the API server sends, parsed): objects, arrays and primitives.
 * A sync hands each function its own copy of cached objects; walking the tree is several
 * times cheaper than structuredClone, which serializes the whole graph and reads it back.
 * Anything else (a Date, a Map) is not JSON data and is copied as the reference it is.
 */
export function copyJson<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    const copy = new Array(value.length);
    for (let index = 0; index < value.length; index++) copy[index] = copyJson(value[index]);
    return copy as T;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = copyJson((value as Record<string, unknown>)[key]);
    // JSON.parse makes "__proto__" an own key; assigning it would set the copy's prototype.
    if (key === "__proto__") Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true });
    else copy[key] = item;
  }
  return copy as T;
}
