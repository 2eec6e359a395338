// One informer per kind: it lists, then watches from the list's resourceVersion with
// bookmarks and a server-side timeout, keeps every object in memory, indexes objects by
// their controller owner's UID, and tells its handlers about each change exactly once per
// resourceVersion. It never stops by itself: 410 Gone relists, any other failure restarts
// the watch with backoff, and a watch that goes quiet for longer than the bookmark cadence
// allows is restarted.
import { isGone, type KubeClient } from "../kube/client.ts";
import type { Kind } from "../kube/kinds.ts";
import { controllerOf, isNewer, objectKey, type KubeObject } from "../kube/objects.ts";
import type { Logger } from "../log.ts";

/** Server-side watch timeout: between 5 and 10 minutes, randomised as client-go does. */
export const minWatchTimeoutSeconds = 300;
/** The API server sends a bookmark about once a minute; a watch silent for longer is presumed dead. */
export const watchInactivityTimeoutMs = 75_000;
export const initialRetryDelayMs = 200;
export const maxRetryDelayMs = 30_000;

/** How long the UID of a deleted object is remembered, so a late remember() cannot revive it. */
export const tombstoneTtlMs = 10 * 60_000;

export type ChangeType = "added" | "updated" | "deleted";

export interface Change {
  type: ChangeType;
  object: KubeObject;
  old?: KubeObject | undefined;
  /** performance.now() when the change was observed, for event-to-apply latency. */
  observedAt: number;
}

export type ChangeHandler = (change: Change) => void;

export interface InformerOptions {
  kind: Kind;
  client: KubeClient;
  log: Logger;
  /** Namespaces to watch, or "all"; ignored for cluster-scoped kinds. */
  namespaces: readonly string[] | "all";
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  /** Overrides watchInactivityTimeoutMs (tests). */
  inactivityTimeoutMs?: number;
  /**
   * Keep metadata.managedFields in the cache. Off by default: nothing reads them client-side
   * (server-side apply tracks ownership on the server), and they are often the largest part
   * of an object's metadata.
   */
  keepManagedFields?: boolean;
  /** Observes each (re)list and watch restart, for metrics and tests. */
  onRestart?: (reason: "list" | "relist-gone" | "watch-ended" | "watch-error" | "inactive") => void;
}

export class Informer {
  readonly kind: Kind;
  readonly #options: InformerOptions;
  readonly #objects = new Map<string, KubeObject>();
  readonly #byOwner = new Map<string, Set<string>>();
  readonly #handlers = new Set<ChangeHandler>();
  /** UIDs of objects seen deleted, oldest first, with when they were deleted. */
  readonly #tombstones = new Map<string, number>();
  readonly #abort = new AbortController();
  #pendingScopes = 0;
  #synced!: () => void;
  readonly synced: Promise<void>;
  #hasSynced = false;
  #running: Promise<void>[] = [];

  constructor(options: InformerOptions) {
    this.kind = options.kind;
    this.#options = options;
    this.synced = new Promise((resolve) => (this.#synced = resolve));
  }

  get hasSynced(): boolean {
    return this.#hasSynced;
  }

  get size(): number {
    return this.#objects.size;
  }

  onChange(handler: ChangeHandler): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  start(): void {
    if (this.#running.length) return;
    const scopes: Array<string | undefined> =
      !this.kind.namespaced || this.#options.namespaces === "all" ? [undefined] : [...this.#options.namespaces];
    this.#pendingScopes = scopes.length;
    this.#running = scopes.map((namespace) => this.#reflect(namespace));
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.allSettled(this.#running);
  }

  get(key: string): KubeObject | undefined {
    return this.#objects.get(key);
  }

  list(namespace?: string): KubeObject[] {
    const all = [...this.#objects.values()];
    return namespace === undefined ? all : all.filter((object) => object.metadata.namespace === namespace);
  }

  /** Objects whose controller owner has this UID. */
  ownedBy(uid: string): KubeObject[] {
    const keys = this.#byOwner.get(uid);
    return keys ? [...keys].map((key) => this.#objects.get(key)!).filter(Boolean) : [];
  }

  /**
   * Records an object the caller just wrote, so the next read sees it. Handlers hear about
   * it now; the watch event with the same resourceVersion is then recognised and dropped.
   * A write answered after the object's deletion was already seen is not brought back, and a
   * write that removed the last finalizer of a deleting object counts as its deletion.
   */
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

  /**
   * Records that the caller deleted an object. It may live on for a while (finalizers, graceful
   * deletion), in which case the watch brings it back; so its UID is not buried here.
   */
  forget(object: KubeObject): void {
    const key = objectKey(object);
    const current = this.#objects.get(key);
    if (current && current.metadata.uid === object.metadata.uid) this.#remove(key, current, performance.now(), false);
  }

  async #reflect(namespace: string | undefined): Promise<void> {
    const { client, log, kind } = this.#options;
    const signal = this.#abort.signal;
    let resourceVersion: string | undefined;
    let retryDelayMs = initialRetryDelayMs;
    let firstList = true;
    while (!signal.aborted) {
      try {
        if (!resourceVersion) {
          const listed = await client.list(kind, {
            namespace,
            labelSelector: this.#options.labelSelector,
            fieldSelector: this.#options.fieldSelector,
          });
          this.#replace(namespace, listed.items);
          resourceVersion = listed.resourceVersion;
          this.#options.onRestart?.("list");
          if (firstList) {
            firstList = false;
            if (--this.#pendingScopes === 0) {
              this.#hasSynced = true;
              this.#synced();
            }
          }
        }
        const watchAbort = new AbortController();
        const stopWatch = () => watchAbort.abort();
        signal.addEventListener("abort", stopWatch, { once: true });
        let inactive = false;
        const inactivityMs = this.#options.inactivityTimeoutMs ?? watchInactivityTimeoutMs;
        let timer = setTimeout(() => ((inactive = true), watchAbort.abort()), inactivityMs);
        try {
          const events = client.watch(kind, {
            namespace,
            resourceVersion,
            timeoutSeconds: Math.floor(minWatchTimeoutSeconds * (1 + Math.random())),
            allowWatchBookmarks: true,
            labelSelector: this.#options.labelSelector,
            fieldSelector: this.#options.fieldSelector,
            signal: watchAbort.signal,
          });
          for await (const event of events) {
            clearTimeout(timer);
            timer = setTimeout(() => ((inactive = true), watchAbort.abort()), inactivityMs);
            const observedAt = performance.now();
            const version = event.object.metadata?.resourceVersion;
            if (version) resourceVersion = version;
            retryDelayMs = initialRetryDelayMs;
            if (event.type === "BOOKMARK") continue;
            const key = objectKey(event.object);
            const current = this.#objects.get(key);
            if (event.type === "DELETED") {
              // The cache may already hold a successor of the same name (a write remembered
              // before this event arrived); only the deleted object itself goes.
              const deletedUid = event.object.metadata?.uid;
              if (current && (!deletedUid || current.metadata.uid === deletedUid)) this.#remove(key, current, observedAt);
              else this.#bury(deletedUid);
            } else if (!current || isNewer(version, current.metadata.resourceVersion)) {
              this.#set(key, event.object, current, observedAt);
            }
          }
          this.#options.onRestart?.("watch-ended");
        } catch (error) {
          if (signal.aborted) break;
          if (inactive) {
            log.warn("watch went quiet; restarting it", { kind: kind.kind, namespace, afterMs: inactivityMs });
            this.#options.onRestart?.("inactive");
            continue;
          }
          throw error;
        } finally {
          clearTimeout(timer);
          signal.removeEventListener("abort", stopWatch);
        }
      } catch (error) {
        if (signal.aborted) break;
        if (isGone(error)) {
          log.info("watch resourceVersion expired (410 Gone); listing again", { kind: kind.kind, namespace });
          this.#options.onRestart?.("relist-gone");
          resourceVersion = undefined;
          continue;
        }
        log.warn("list/watch failed; retrying", {
          kind: kind.kind,
          namespace,
          error: (error as Error).message,
          retryInMs: retryDelayMs,
        });
        this.#options.onRestart?.("watch-error");
        await sleep(retryDelayMs, signal);
        retryDelayMs = Math.min(retryDelayMs * 2, maxRetryDelayMs);
      }
    }
  }

  /** Makes the store for one scope equal to a fresh list, announcing the differences. */
  #replace(namespace: string | undefined, items: KubeObject[]): void {
    const observedAt = performance.now();
    const fresh = new Map(items.map((object) => [objectKey(object), object]));
    for (const [key, current] of [...this.#objects]) {
      if (namespace !== undefined && current.metadata.namespace !== namespace) continue;
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
    const object = this.#options.keepManagedFields ? received : withoutManagedFields(received);
    if (old) this.#unindex(key, old);
    this.#objects.set(key, object);
    const owner = controllerOf(object)?.uid;
    if (owner) {
      let keys = this.#byOwner.get(owner);
      if (!keys) this.#byOwner.set(owner, (keys = new Set()));
      keys.add(key);
    }
    this.#emit({ type: old ? "updated" : "added", object, old, observedAt });
  }

  #remove(key: string, object: KubeObject, observedAt: number, bury = true): void {
    if (bury) this.#bury(object.metadata.uid);
    this.#objects.delete(key);
    this.#unindex(key, object);
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
        this.#options.log.error("change handler failed", { kind: this.kind.kind, error: (error as Error).message });
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
  const { deletionTimestamp, finalizers, deletionGracePeriodSeconds } = object.metadata as KubeObject["metadata"] & { deletionGracePeriodSeconds?: number };
  const specFinalizers = (object.spec as { finalizers?: unknown[] } | undefined)?.finalizers;
  return Boolean(deletionTimestamp) && !finalizers?.length && !deletionGracePeriodSeconds && !specFinalizers?.length;
}

function withoutManagedFields(object: KubeObject): KubeObject {
  if (!object.metadata || !("managedFields" in object.metadata)) return object;
  const { managedFields: _, ...metadata } = object.metadata;
  return { ...object, metadata };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
