// An informer: a store kept equal to the API server's objects of one kind (and selector) by
// one list/watch loop per watched namespace. Readers get objects and changes from the store;
// writers tell it what they wrote so the next read sees it.
import type { KubeClient } from "../kube/client.ts";
import type { Kind } from "../kube/kinds.ts";
import type { KubeObject } from "../kube/objects.ts";
import type { Logger } from "../log.ts";
import { type ChangeHandler, Store } from "./store.ts";
import { listAndWatch, type RestartReason } from "./watcher.ts";

export type { Change, ChangeHandler, ChangeType } from "./store.ts";

/** What an Informer watches, through which client, and how. */
export interface InformerOptions {
  /** The kind to list and watch. */
  kind: Kind;
  /** The client its lists and watches go through. */
  client: KubeClient;
  /** Where its watches log restarts and failures. */
  log: Logger;
  /** Namespaces to watch, or "all"; ignored for cluster-scoped kinds. */
  namespaces: readonly string[] | "all";
  /** Only objects with these labels, e.g. "app=web"; default: every object. */
  labelSelector?: string | undefined;
  /** Only objects with these fields, e.g. "metadata.name=leader"; default: every object. */
  fieldSelector?: string | undefined;
  /** Overrides the watcher's inactivity timeout (tests). */
  inactivityTimeoutMs?: number;
  /**
   * Keep metadata.managedFields in the cache. Off by default: nothing reads them client-side
   * (server-side apply tracks ownership on the server), and they are often the largest part
   * of an object's metadata.
   */
  keepManagedFields?: boolean;
  /**
   * Whether remember() may keep a written object: one the watch's selectors would not deliver
   * must not be cached, as no event would ever update or remove it. Default: every object.
   */
  admits?: ((object: KubeObject) => boolean) | undefined;
  /** Observes each (re)list and watch restart, for metrics and tests. */
  onRestart?: (reason: RestartReason) => void;
}

/**
 * The cache of one kind (and selector): a store kept equal to the API server's objects by one
 * list-then-watch loop per watched namespace, with handlers told of each change. Get one from
 * Informers.for rather than making one, so every reader shares it.
 */
export class Informer {
  /** The kind it holds. */
  readonly kind: Kind;
  readonly #options: InformerOptions;
  readonly #store: Store;
  readonly #abort = new AbortController();
  #running: Promise<void>[] = [];
  #synced!: () => void;
  /** Resolves once every watched namespace has been listed (see hasSynced); never rejects. */
  readonly synced: Promise<void>;
  #hasSynced = false;

  /** Makes an informer that does nothing until start(). */
  constructor(options: InformerOptions) {
    this.kind = options.kind;
    this.#options = options;
    this.#store = new Store({
      kind: `${options.kind.kind}.${options.kind.apiVersion}`,
      log: options.log,
      keepManagedFields: options.keepManagedFields,
    });
    this.synced = new Promise((resolve) => (this.#synced = resolve));
  }

  /** True once every watched namespace has been listed. */
  get hasSynced(): boolean {
    return this.#hasSynced;
  }

  /** How many objects it holds now. */
  get size(): number {
    return this.#store.size;
  }

  /** Calls `handler` with every change from now on; returns a function that unsubscribes it. */
  onChange(handler: ChangeHandler): () => void {
    return this.#store.onChange(handler);
  }

  /** The object with this key ("namespace/name", or "name" if cluster-scoped), if the cache holds it. */
  get(key: string): KubeObject | undefined {
    return this.#store.get(key);
  }

  /** The objects it holds, all or one namespace's, in a new array; the objects are shared: do not change them. */
  list(namespace?: string): KubeObject[] {
    return this.#store.list(namespace);
  }

  /** Objects whose controller owner has this UID. */
  ownedBy(uid: string): KubeObject[] {
    return this.#store.ownedBy(uid);
  }

  /**
   * Records an object the caller just wrote, so the next read sees it. Handlers hear about
   * it now; the watch event with the same resourceVersion is then recognised and dropped.
   * A write answered after the object's deletion was already seen is not brought back, and a
   * write that removed the last finalizer of a deleting object counts as its deletion. An object
   * the informer's selectors no longer admit leaves the cache, as its watch event would say.
   */
  remember(object: KubeObject): void {
    if (this.#options.admits && !this.#options.admits(object)) {
      this.#store.forget(object);
      return;
    }
    this.#store.remember(object);
  }

  /**
   * Records that the caller deleted an object. It may live on for a while (finalizers, graceful
   * deletion), in which case the watch brings it back; so its UID is not buried here.
   */
  forget(object: KubeObject): void {
    this.#store.forget(object);
  }

  /** Starts listing and watching; calling it again does nothing. */
  start(): void {
    if (this.#running.length) return;
    const { kind, namespaces } = this.#options;
    const scopes: Array<string | undefined> = !kind.namespaced || namespaces === "all" ? [undefined] : [...namespaces];
    const unlisted = new Set(scopes);
    this.#running = scopes.map((namespace) =>
      listAndWatch(
        { ...this.#options, namespace, signal: this.#abort.signal },
        {
          listed: (scope, items) => {
            this.#store.replace(scope, items);
            if (unlisted.delete(scope) && unlisted.size === 0) {
              this.#hasSynced = true;
              this.#synced();
            }
          },
          received: (event, observedAt) => this.#store.receive(event, observedAt),
          restarted: this.#options.onRestart,
        },
      )
    );
  }

  /** Ends its watches; resolves once they have stopped. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.allSettled(this.#running);
  }
}
