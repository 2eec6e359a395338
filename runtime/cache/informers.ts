// The shared informer registry: one informer per kind and selector, however many
// controllers, handlers or the leader elector need it, so every watch shows in readiness
// and metrics and none is opened twice.
import type { KubeClient } from "../kube/client.ts";
import { type Kind, kindKey } from "../kube/kinds.ts";
import type { KubeObject } from "../kube/objects.ts";
import { type LabelSelector, labelsSelected, selectorProblem, selectorString } from "../kube/labels.ts";
import type { Logger } from "../log.ts";
import { Informer, type InformerOptions } from "./informer.ts";

/** What narrows an informer: selectors, and namespaces other than the registry's. */
export type InformerScope = Partial<
  Pick<InformerOptions, "labelSelector" | "fieldSelector" | "namespaces" | "inactivityTimeoutMs" | "keepManagedFields">
>;

/**
 * Narrows what the cache holds of one kind, for every reader in the process (controllers,
 * RPC services, components): only objects with these labels are listed, watched and kept,
 * as controller-runtime's cache.Options.ByObject does. A reader that names a label selector
 * of its own gets its own informer, as before.
 */
export interface CacheSelector {
  /** The kind whose cache it narrows. */
  kind: Kind;
  /** The labels an object needs to be cached, e.g. managedBy(controllers) (../program/cache-selectors.ts). */
  labels: LabelSelector;
}

/**
 * The shared informer registry: one Informer per kind and scope, however many controllers, RPC
 * handlers or components ask for it, so no watch is opened twice and each shows in readiness and
 * metrics. The manager owns one; services and components get it in their context.
 */
export class Informers {
  readonly #client: KubeClient;
  readonly #log: Logger;
  readonly #namespaces: readonly string[] | "all";
  readonly #informers = new Map<string, Informer>();
  readonly #onRestart: ((kind: Kind, reason: string) => void) | undefined;
  /** Cache selectors by kind: the labels, as a query, and as a test of written objects. */
  readonly #selectors: ReadonlyMap<string, { query: string; admits: (object: KubeObject) => boolean }>;
  #started = false;

  /**
   * Makes an empty registry.
   *
   * @param options the client, the logger, the namespaces every informer watches unless its
   *   scope says otherwise ("all", or a list), a callback told of each watch restart, and the
   *   label selectors that narrow what the cache holds of some kinds (see CacheSelector).
   * @throws Error when two selectors name the same kind, or a selector is malformed.
   */
  constructor(options: {
    client: KubeClient;
    log: Logger;
    namespaces: readonly string[] | "all";
    onRestart?: (kind: Kind, reason: string) => void;
    selectors?: readonly CacheSelector[] | undefined;
  }) {
    this.#client = options.client;
    this.#log = options.log;
    this.#namespaces = options.namespaces;
    this.#onRestart = options.onRestart;
    const selectors = new Map<string, { query: string; admits: (object: KubeObject) => boolean }>();
    for (const { kind, labels } of options.selectors ?? []) {
      const problem = selectorProblem(labels);
      if (problem) throw new Error(`the cache selector for ${kindKey(kind)} ${problem}`);
      if (selectors.has(kindKey(kind))) throw new Error(`two cache selectors for ${kindKey(kind)}`);
      selectors.set(kindKey(kind), {
        query: selectorString(labels),
        admits: (object) => labelsSelected(labels, object.metadata.labels),
      });
    }
    this.#selectors = selectors;
  }

  /**
   * The informer for a kind (and scope), created on first use (and started at once if the
   * registry runs). A scope without a label selector takes the kind's cache selector, if any.
   */
  for(kind: Kind, scope: InformerScope = {}): Informer {
    const selector = scope.labelSelector === undefined ? this.#selectors.get(kindKey(kind)) : undefined;
    if (selector !== undefined) scope = { ...scope, labelSelector: selector.query };
    const key = registryKey(kind, scope);
    let informer = this.#informers.get(key);
    if (!informer) {
      informer = new Informer({
        kind,
        client: this.#client,
        log: this.#log,
        namespaces: this.#namespaces,
        onRestart: (reason) => this.#onRestart?.(kind, reason),
        ...(selector ? { admits: selector.admits } : {}),
        ...scope,
      });
      this.#informers.set(key, informer);
      if (this.#started) informer.start();
    }
    return informer;
  }

  /** Every informer made so far. */
  get all(): Informer[] {
    return [...this.#informers.values()];
  }

  /** True when every informer has listed what it watches. */
  get hasSynced(): boolean {
    return this.all.every((informer) => informer.hasSynced);
  }

  /** Starts every informer, and every one made from now on. */
  start(): void {
    this.#started = true;
    for (const informer of this.#informers.values()) informer.start();
  }

  /** Resolves once every informer made so far has synced. */
  async waitForSync(): Promise<void> {
    await Promise.all(this.all.map((informer) => informer.synced));
  }

  /** Stops every informer; resolves once their watches have ended. */
  async stop(): Promise<void> {
    await Promise.all(this.all.map((informer) => informer.stop()));
  }
}

function registryKey(kind: Kind, scope: InformerScope): string {
  const parts = [kindKey(kind)];
  if (scope.labelSelector) parts.push(`labels=${scope.labelSelector}`);
  if (scope.fieldSelector) parts.push(`fields=${scope.fieldSelector}`);
  if (scope.namespaces) {
    parts.push(`namespaces=${scope.namespaces === "all" ? "all" : [...scope.namespaces].sort().join(",")}`);
  }
  return parts.join(" ");
}
