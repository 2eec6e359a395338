// Which parents a watch event concerns. A parent's own changes queue it; a child's changes
// queue its controller owner; a related object's changes queue every parent whose last
// request matched it; and an object that held a name a parent wanted queues that parent as
// soon as it is deleted or loses its controller. (controller-runtime's handler package
// does this job there.)
import type { Informers } from "../cache/informers.ts";
import type { Change } from "../cache/informer.ts";
import type { ControllerDefinition, RelatedRequest } from "../controller.ts";
import { groupOf, type Kind, kindKey } from "../kube/kinds.ts";
import { controllerOf, type KubeObject, objectKey, splitKey } from "../kube/objects.ts";
import { everyNamespace, relatedMatches } from "./observe.ts";

/**
 * Queues a parent for a change. `batch` is true for a change to a child or a related object
 * that is not a deletion: one the controller's batch period may hold back.
 */
export type Enqueue = (key: string, change: Change, batch: boolean) => void;

/** The parent key a child's change concerns: its controller owner, if that is of the parent kind. */
export function ownerKey(parent: Kind, child: KubeObject): string | undefined {
  const owner = controllerOf(child);
  if (!owner || owner.kind !== parent.kind || groupOf(owner.apiVersion) !== groupOf(parent.apiVersion)) {
    return undefined;
  }
  const namespace = parent.namespaced ? child.metadata.namespace : undefined;
  return namespace ? `${namespace}/${owner.name}` : owner.name;
}

export class Triggers {
  readonly #definition: ControllerDefinition<any>;
  readonly #informers: Informers;
  readonly #enqueue: Enqueue;
  /** The related() requests of each parent's last sync, indexed by what they can match. */
  readonly #related = new RelatedIndex();
  /** Unsubscribes from the informers. */
  readonly #subscriptions: Array<() => unknown> = [];
  /** Child names another controller holds, by "Kind.apiVersion/namespace/name", and the parents waiting for them. */
  readonly #blocked = new Map<string, Set<string>>();

  constructor(definition: ControllerDefinition<any>, informers: Informers, enqueue: Enqueue) {
    this.#definition = definition;
    this.#informers = informers;
    this.#enqueue = enqueue;
  }

  /** Subscribes to the parent, child and related informers; call before they start. */
  register(): void {
    const { parent, children, related } = this.#definition;
    const on = (kind: Kind, handler: (change: Change) => void) =>
      this.#subscriptions.push(this.#informers.for(kind).onChange(handler));
    on(parent, (change) => this.#enqueue(objectKey(change.object), change, false));
    for (const kind of children) {
      on(kind, (change) => {
        const freed = change.type === "deleted" || !controllerOf(change.object);
        const waiting = freed ? this.#blocked.get(`${kindKey(kind)}/${objectKey(change.object)}`) : undefined;
        for (const key of waiting ?? []) this.#enqueue(key, change, false);
        const key = ownerKey(parent, change.object);
        if (key) this.#enqueue(key, change, change.type !== "deleted");
      });
    }
    for (const kind of related?.kinds ?? []) this.watchRelated(kind);
  }

  /**
   * Queues the parents whose last related requests match a change to an object of this kind, as
   * it is now or as it was (an object whose labels no longer match must leave the parent too).
   */
  watchRelated(kind: Kind): void {
    const handler = (change: Change) => {
      const versions = change.old ? [change.object, change.old] : [change.object];
      for (const key of this.#related.matching(kind, versions)) {
        this.#enqueue(key, change, change.type !== "deleted");
      }
    };
    this.#subscriptions.push(this.#informers.for(kind).onChange(handler));
  }

  unregister(): void {
    for (const unsubscribe of this.#subscriptions.splice(0)) unsubscribe();
  }

  /** Records what a parent asked for, so changes to those objects queue it. */
  asked(key: string, requests: readonly RelatedRequest[]): void {
    this.#related.set(key, requests);
  }

  /** The parent is gone or no longer this controller's: nothing it asked for concerns it. */
  forget(key: string): void {
    this.#related.delete(key);
  }

  /** Queues the parent again when the object holding `childKey` is deleted or loses its controller. */
  block(childKey: string, key: string): void {
    let parents = this.#blocked.get(childKey);
    if (!parents) this.#blocked.set(childKey, parents = new Set());
    parents.add(key);
  }

  /** Each sync starts unblocked; it blocks again if a name is still taken. */
  unblock(key: string): void {
    if (this.#blocked.size === 0) return;
    for (const [childKey, parents] of this.#blocked) {
      if (parents.delete(key) && parents.size === 0) this.#blocked.delete(childKey);
    }
  }
}

/**
 * Parents' related requests, found by the objects they can match: a change to one object
 * checks only the parents whose requests name it, or select in its namespace (or in every
 * namespace), not every parent's. With a request per parent naming one object (a
 * StatefulSet, a storage class), checking them all made each change cost as much as there
 * are parents: quadratic in the parents, since their children's changes grow with them.
 */
export class RelatedIndex {
  /** Each parent's requests, and the index entries they were filed under. */
  readonly #byParent = new Map<string, { requests: readonly RelatedRequest[]; entries: string[] }>();
  /** Parent keys by index entry (see entry below). */
  readonly #entries = new Map<string, Set<string>>();

  set(key: string, requests: readonly RelatedRequest[]): void {
    this.delete(key);
    if (requests.length === 0) return;
    const parentNamespace = splitKey(key).namespace;
    const entries = new Set<string>();
    for (const request of requests) {
      // The namespace relatedMatches compares, "*" when it compares none; and, for a kind
      // that turns out cluster-scoped (where no namespace is compared), the name alone.
      const namespace = everyNamespace(request) ? "*" : request.namespace || parentNamespace || "*";
      for (const name of request.names ?? [""]) {
        entries.add(entry(request, namespace, name));
        entries.add(entry(request, undefined, name));
      }
    }
    for (const filed of entries) {
      let parents = this.#entries.get(filed);
      if (!parents) this.#entries.set(filed, parents = new Set());
      parents.add(key);
    }
    this.#byParent.set(key, { requests, entries: [...entries] });
  }

  delete(key: string): void {
    const filed = this.#byParent.get(key);
    if (!filed) return;
    this.#byParent.delete(key);
    for (const name of filed.entries) {
      const parents = this.#entries.get(name)!;
      parents.delete(key);
      if (parents.size === 0) this.#entries.delete(name);
    }
  }

  /** The parents whose requests match an object of `kind` in any of its versions (as it is, as it was). */
  matching(kind: Kind, versions: readonly KubeObject[]): string[] {
    if (this.#byParent.size === 0) return [];
    const candidates = new Set<string>();
    const add = (filed: string) => {
      for (const key of this.#entries.get(filed) ?? []) candidates.add(key);
    };
    for (const object of versions) {
      for (const name of [object.metadata.name, ""]) {
        if (!kind.namespaced) {
          add(entry(kind, undefined, name));
          continue;
        }
        add(entry(kind, object.metadata.namespace ?? "", name));
        add(entry(kind, "*", name));
      }
    }
    const matched: string[] = [];
    for (const key of candidates) {
      const { requests } = this.#byParent.get(key)!;
      const parentNamespace = splitKey(key).namespace;
      const matches = (object: KubeObject) =>
        requests.some((request) => relatedMatches(request, kind, object, parentNamespace));
      if (versions.some(matches)) matched.push(key);
    }
    return matched;
  }
}

/** An index entry: a kind, a namespace ("*" every one; undefined for a kind without), a name ("" any). */
const entry = (kind: Pick<Kind, "apiVersion" | "kind">, namespace: string | undefined, name: string) =>
  namespace === undefined ? `${kindKey(kind)}||${name}` : `${kindKey(kind)}|${namespace}/|${name}`;
