// The in-memory store behind an informer: every object of one kind (and selector) by
// "namespace/name", indexes by namespace and by controller owner UID (of keys, not copies),
// and the handlers told about each
// change exactly once per resourceVersion. Watch events, fresh lists and the caller's own
// writes all land here; the UIDs of deleted objects are kept for a while so a late answer to
// a write cannot bring an object back.
import { controllerOf, isNewer, type KubeObject, objectKey, type WatchEvent } from "../kube/objects.ts";
import type { Logger } from "../log.ts";

/** How long the UID of a deleted object is remembered, so a late remember() cannot revive it. */
export const tombstoneTtlMs = 10 * 60_000;

/** What happened to an object in the cache. */
export type ChangeType = "added" | "updated" | "deleted";

/** A change to one object in the cache, as change handlers get it. */
export interface Change {
  /** Whether the object appeared, changed or went. */
  type: ChangeType;
  /** The object now; for "deleted", as it was last seen. */
  object: KubeObject;
  /** The object before an "updated" change; undefined otherwise. */
  old?: KubeObject | undefined;
  /** performance.now() when the change was observed, for event-to-apply latency. */
  observedAt: number;
}

/** Called synchronously with each change, once per object version; what it throws is logged, not passed on. */
export type ChangeHandler = (change: Change) => void;

export class Store {
  readonly #objects = new Map<string, KubeObject>();
  readonly #byOwner = new Map<string, Set<string>>();
  /** Keys by namespace (undefined for cluster-scoped objects), so that one namespace's list reads only its own. */
  readonly #byNamespace = new Map<string | undefined, Set<string>>();
  readonly #handlers = new Set<ChangeHandler>();
  /** UIDs of objects seen deleted, oldest first, with when they were deleted. */
  readonly #tombstones = new Map<string, number>();
  readonly #keepManagedFields: boolean;
  readonly #log: Logger;
  readonly #kind: string;

  constructor(options: { kind: string; log: Logger; keepManagedFields?: boolean | undefined }) {
    this.#kind = options.kind;
    this.#log = options.log;
    this.#keepManagedFields = options.keepManagedFields ?? false;
  }

  get size(): number {
    return this.#objects.size;
  }

  onChange(handler: ChangeHandler): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  get(key: string): KubeObject | undefined {
    return this.#objects.get(key);
  }

  list(namespace?: string): KubeObject[] {
    if (namespace === undefined) return [...this.#objects.values()];
    const keys = this.#byNamespace.get(namespace);
    return keys ? [...keys].map((key) => this.#objects.get(key)!) : [];
  }

  /** Objects whose controller owner has this UID. */
  ownedBy(uid: string): KubeObject[] {
    const keys = this.#byOwner.get(uid);
    return keys ? [...keys].map((key) => this.#objects.get(key)!).filter(Boolean) : [];
  }

  /** See Informer.remember. */
  remember(object: KubeObject): void {
    const uid = object.metadata.uid;
    if (uid && this.#tombstones.has(uid)) return;
    if (alreadyGone(object)) {
      this.forget(object);
      this.#bury(uid);
      return;
    }
    const key = objectKey(object);
    const current = this.#objects.get(key);
    if (current && !isNewer(object.metadata.resourceVersion, current.metadata.resourceVersion)) return;
    this.#set(key, object, current, performance.now());
  }

  /** See Informer.forget. */
  forget(object: KubeObject): void {
    const key = objectKey(object);
    const current = this.#objects.get(key);
    if (current && current.metadata.uid === object.metadata.uid) this.#remove(key, current, performance.now(), false);
  }

  /** Applies one watch event (not a bookmark). */
  receive(event: WatchEvent, observedAt: number): void {
    const key = objectKey(event.object);
    const current = this.#objects.get(key);
    if (event.type === "DELETED") {
      // The store may already hold a successor of the same name (a write remembered
      // before this event arrived); only the deleted object itself goes.
      const deletedUid = event.object.metadata?.uid;
      if (current && (!deletedUid || current.metadata.uid === deletedUid)) this.#remove(key, current, observedAt);
      else this.#bury(deletedUid);
    } else if (!current || isNewer(event.object.metadata?.resourceVersion, current.metadata.resourceVersion)) {
      this.#set(key, event.object, current, observedAt);
    }
  }

  /** Makes the objects of one scope (a namespace, or all) equal to a fresh list, announcing the differences. */
  replace(namespace: string | undefined, items: KubeObject[]): void {
    const observedAt = performance.now();
    const fresh = new Map(items.map((object) => [objectKey(object), object]));
    for (const current of this.list(namespace)) {
      const key = objectKey(current);
      if (!fresh.has(key)) this.#remove(key, current, observedAt);
    }
    for (const [key, object] of fresh) {
      const current = this.#objects.get(key);
      if (!current || current.metadata.resourceVersion !== object.metadata.resourceVersion) {
        this.#set(key, object, current, observedAt);
      }
    }
  }

  #set(key: string, received: KubeObject, old: KubeObject | undefined, observedAt: number): void {
    const object = this.#keepManagedFields ? received : withoutManagedFields(received);
    if (old) this.#unindex(key, old);
    this.#objects.set(key, object);
    // The key names the namespace, so an update stays where it was (lists keep their order).
    if (!old) {
      const namespace = object.metadata.namespace;
      let inNamespace = this.#byNamespace.get(namespace);
      if (!inNamespace) this.#byNamespace.set(namespace, inNamespace = new Set());
      inNamespace.add(key);
    }
    const owner = controllerOf(object)?.uid;
    if (owner) {
      let keys = this.#byOwner.get(owner);
      if (!keys) this.#byOwner.set(owner, keys = new Set());
      keys.add(key);
    }
    this.#emit({ type: old ? "updated" : "added", object, old, observedAt });
  }

  #remove(key: string, object: KubeObject, observedAt: number, bury = true): void {
    if (bury) this.#bury(object.metadata.uid);
    this.#objects.delete(key);
    this.#unindex(key, object);
    const namespace = object.metadata.namespace;
    const inNamespace = this.#byNamespace.get(namespace);
    inNamespace?.delete(key);
    if (inNamespace?.size === 0) this.#byNamespace.delete(namespace);
    this.#emit({ type: "deleted", object, observedAt });
  }

  #bury(uid: string | undefined): void {
    if (!uid) return;
    const now = performance.now();
    this.#tombstones.delete(uid);
    this.#tombstones.set(uid, now);
    for (const [old, at] of this.#tombstones) {
      if (now - at < tombstoneTtlMs) break;
      this.#tombstones.delete(old);
    }
  }

  #unindex(key: string, object: KubeObject): void {
    const owner = controllerOf(object)?.uid;
    if (!owner) return;
    const keys = this.#byOwner.get(owner);
    keys?.delete(key);
    if (keys?.size === 0) this.#byOwner.delete(owner);
  }

  #emit(change: Change): void {
    for (const handler of this.#handlers) {
      try {
        handler(change);
      } catch (error) {
        this.#log.error("change handler failed", { kind: this.#kind, error: (error as Error).message });
      }
    }
  }
}

/**
 * Whether a write's answer shows the object already gone: being deleted, no finalizers left,
 * and no grace period still running (a terminating Pod lives on until its kubelet confirms;
 * a Namespace waits on spec.finalizers).
 */
function alreadyGone(object: KubeObject): boolean {
  const { deletionTimestamp, finalizers, deletionGracePeriodSeconds } = object.metadata as KubeObject["metadata"] & {
    deletionGracePeriodSeconds?: number;
  };
  const specFinalizers = (object.spec as { finalizers?: unknown[] } | undefined)?.finalizers;
  return Boolean(deletionTimestamp) && !finalizers?.length && !deletionGracePeriodSeconds && !specFinalizers?.length;
}

function withoutManagedFields(object: KubeObject): KubeObject {
  if (!object.metadata || !("managedFields" in object.metadata)) return object;
  const { managedFields: _, ...metadata } = object.metadata;
  return { ...object, metadata };
}
