// Runs one controller: maps watch events to parent keys, calls the pure function with what
// the cache holds, validates the answer, and writes the difference: children by server-side
// apply, pruning, status, finalizers and events. Failures become a Ready=False condition,
// an Event and per-key backoff; nothing a function does can stop the process.
import { isSubset, managedByLabel, rfc3339, stampChild, statusToWrite, withCondition } from "./apply.ts";
import type { Informers } from "./cache/informers.ts";
import type { Change } from "./cache/informer.ts";
import type { ControllerDefinition, ObjectsByKind, RelatedRequest, SyncRequest } from "./controller.ts";
import type { EventRecorder } from "./events.ts";
import { isConflict, isNotFound, type KubeClient } from "./kube/client.ts";
import { groupOf, kindKey, type Kind } from "./kube/kinds.ts";
import { controllerOf, objectKey, type KubeObject } from "./kube/objects.ts";
import type { Logger } from "./log.ts";
import type { Metrics } from "./metrics.ts";
import { WorkQueue } from "./queue.ts";
import { InvalidResponseError, validateResponse } from "./validate.ts";

/** Workers per controller unless configured. */
export const defaultConcurrency = 4;
/** Child writes one sync keeps in flight at once. */
export const writesInFlight = 8;
/** How soon a sync refused for want of a renewed Lease runs again (without counting as a failure). */
export const notLeaderRetryMs = 500;
/** How long a stopping controller waits for in-flight syncs. */
export const defaultDrainTimeoutMs = 5_000;
/** Condition reasons the runtime writes when a sync fails; cleared by the next good sync. */
export const failureReasons = ["SyncFailed", "InvalidResponse", "ApplyFailed"] as const;

export interface WriteGate {
  /** False when this replica must not write (not the leader, or the lease could not be renewed in time). */
  canWrite(): boolean;
}

export class NotLeaderError extends Error {
  constructor() {
    super("this replica is not the leader; write refused");
    this.name = "NotLeaderError";
  }
}

class FunctionError extends Error {
  constructor(hook: string, cause: unknown) {
    super(`${hook} threw: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "FunctionError";
  }
}

export interface ReconcilerOptions {
  client: KubeClient;
  informers: Informers;
  metrics: Metrics;
  log: Logger;
  events: EventRecorder;
  /** Field manager for children (and the prefix of per-controller managers for status and finalizers). */
  fieldManager: string;
  /** Finalizers are "<finalizerDomain>/<controller name>". */
  finalizerDomain: string;
  gate: WriteGate;
  /**
   * Names of the other controllers of the same parent kind. With siblings, the runtime's
   * failure messages start with "<controller>: ", so each controller clears only its own
   * failure and leaves a sibling's in place instead of overwriting it.
   */
  siblings?: readonly string[];
  concurrency?: number;
  now?: () => Date;
}


export class Reconciler<P extends KubeObject = KubeObject> {
  readonly definition: ControllerDefinition<P>;
  readonly #options: ReconcilerOptions;
  readonly #log: Logger;
  readonly #childKinds: Map<string, Kind>;
  readonly #relatedKinds: Map<string, Kind>;
  readonly #relatedRequests = new Map<string, RelatedRequest[]>();
  readonly #triggers = new Map<string, number>();
  /** Children another controller holds, by "Kind.apiVersion/namespace/name", and the parents waiting for them. */
  readonly #blocked = new Map<string, Set<string>>();
  #queue: WorkQueue | undefined;
  #workers: Promise<void>[] = [];

  constructor(definition: ControllerDefinition<P>, options: ReconcilerOptions) {
    this.definition = definition;
    this.#options = options;
    this.#log = options.log.with({ controller: definition.name });
    this.#childKinds = new Map(definition.children.map((kind) => [kindKey(kind), kind]));
    this.#relatedKinds = new Map((definition.related?.kinds ?? []).map((kind) => [kindKey(kind), kind]));
  }

  get name(): string {
    return this.definition.name;
  }

  get finalizer(): string {
    return `${this.#options.finalizerDomain}/${this.definition.name}`;
  }

  get #statusManager(): string {
    return `${this.#options.fieldManager}.${this.definition.name}`;
  }

  /** Subscribes to the informers this controller needs; call before they start. */
  register(): void {
    const { informers } = this.#options;
    const parent = this.definition.parent;
    informers.for(parent).onChange((change) => this.#enqueue(objectKey(change.object), change));
    for (const kind of this.#childKinds.values()) {
      informers.for(kind).onChange((change) => {
        const freed = change.type === "deleted" || !controllerOf(change.object);
        const waiting = freed ? this.#blocked.get(`${kindKey(kind)}/${objectKey(change.object)}`) : undefined;
        for (const key of waiting ?? []) this.#enqueue(key, change);
        const owner = controllerOf(change.object);
        if (!owner || owner.kind !== parent.kind || groupOf(owner.apiVersion) !== groupOf(parent.apiVersion)) return;
        const namespace = parent.namespaced ? change.object.metadata.namespace : undefined;
        this.#enqueue(namespace ? `${namespace}/${owner.name}` : owner.name, change);
      });
    }
    for (const kind of this.#relatedKinds.values()) {
      informers.for(kind).onChange((change) => {
        for (const [key, requests] of this.#relatedRequests) {
          const parentNamespace = key.includes("/") ? key.slice(0, key.indexOf("/")) : undefined;
          if (requests.some((request) => relatedMatches(request, kind, change.object, parentNamespace))) this.#enqueue(key, change);
        }
      });
    }
  }

  get running(): boolean {
    return this.#queue !== undefined && !this.#queue.shuttingDown;
  }

  /** Starts workers and queues every parent in the cache. */
  start(): void {
    if (this.running) return;
    const { metrics } = this.#options;
    const queue = new WorkQueue({ observer: metrics.queueObserver(this.name) });
    this.#queue = queue;
    const concurrency = this.#options.concurrency ?? defaultConcurrency;
    metrics.maxWorkers.set({ controller: this.name }, concurrency);
    for (const parent of this.#options.informers.for(this.definition.parent).list()) queue.add(objectKey(parent));
    this.#workers = Array.from({ length: concurrency }, () => this.#work(queue));
    this.#log.info("controller started", { workers: concurrency });
  }

  /** Stops taking work and waits (bounded) for in-flight syncs. Returns whether they all finished. */
  async stop(drainTimeoutMs = defaultDrainTimeoutMs): Promise<boolean> {
    const queue = this.#queue;
    if (!queue) return true;
    const drained = await queue.shutDownWithDrain(drainTimeoutMs);
    if (drained) await Promise.all(this.#workers);
    this.#log.info("controller stopped", { drained });
    return drained;
  }

  #enqueue(key: string, change: Change): void {
    const queue = this.#queue;
    if (!queue || queue.shuttingDown) return;
    if (change.object.kind === this.definition.parent.kind && change.type !== "deleted" && this.definition.filter) {
      if (!this.#passes(change.object as P)) return;
    }
    if (!this.#triggers.has(key)) this.#triggers.set(key, change.observedAt);
    queue.add(key);
  }

  #passes(parent: P): boolean {
    try {
      return this.definition.filter!(structuredClone(parent));
    } catch (error) {
      this.#log.warn("filter threw; skipping parent", { parent: objectKey(parent), error: (error as Error).message });
      return false;
    }
  }

  async #work(queue: WorkQueue): Promise<void> {
    const { metrics } = this.#options;
    for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
      metrics.activeWorkers.inc({ controller: this.name });
      const started = performance.now();
      try {
        const resyncAfterSeconds = await this.reconcile(key);
        queue.forget(key);
        metrics.reconcileTotal.inc({ controller: this.name, result: resyncAfterSeconds !== undefined ? "requeue_after" : "success" });
        if (resyncAfterSeconds !== undefined) queue.addAfter(key, resyncAfterSeconds * 1000);
      } catch (error) {
        if (error instanceof NotLeaderError) {
          // The renew deadline passed (a long pause, a slow API server). Keep the key: either
          // the next renewal succeeds and it runs again, or leadership is lost, this queue is
          // shut down, and a new term starts by queueing every parent anyway.
          this.#log.debug("sync interrupted: not allowed to write until the Lease is renewed; requeueing", { key });
          queue.addAfter(key, notLeaderRetryMs);
        } else if (isConflict(error)) {
          metrics.reconcileTotal.inc({ controller: this.name, result: "requeue" });
          this.#log.debug("conflict; requeueing", { key, error: (error as Error).message });
          queue.addRateLimited(key);
        } else {
          metrics.reconcileTotal.inc({ controller: this.name, result: "error" });
          metrics.reconcileErrors.inc({ controller: this.name });
          const delayMs = queue.addRateLimited(key);
          await this.#reportFailure(key, error as Error, delayMs);
        }
      } finally {
        metrics.reconcileTime.observe({ controller: this.name }, (performance.now() - started) / 1000);
        metrics.activeWorkers.dec({ controller: this.name });
        queue.done(key);
      }
    }
  }

  /** One sync of one parent. Returns the resync delay the function asked for, if any. */
  async reconcile(key: string): Promise<number | undefined> {
    const { informers, client } = this.#options;
    const definition = this.definition;
    const trigger = this.#triggers.get(key);
    this.#triggers.delete(key);
    this.#unblock(key);
    let parent = informers.for(definition.parent).get(key) as P | undefined;
    if (!parent) {
      this.#relatedRequests.delete(key);
      return undefined;
    }
    if (definition.filter && !this.#passes(parent)) {
      this.#relatedRequests.delete(key);
      // A failure this controller recorded must not outlive its interest in the parent.
      const own = this.#ownFailure(parent);
      if (own) await this.#removeFailure(parent, own, trigger);
      return undefined;
    }
    const finalizing = Boolean(parent.metadata.deletionTimestamp);
    const hasFinalizer = parent.metadata.finalizers?.includes(this.finalizer) ?? false;
    if (finalizing && (!definition.finalize || !hasFinalizer)) return undefined;
    if (!finalizing && definition.finalize && !hasFinalizer) {
      parent = await this.#setFinalizer(parent, true, trigger);
    }

    const children = this.#children(parent);
    const related = this.#related(parent, key);
    const request: SyncRequest<P> = structuredClone({ parent, children, related, finalizing });
    let response: unknown;
    try {
      response = finalizing ? definition.finalize!(request) : definition.sync(request);
    } catch (error) {
      throw new FunctionError(finalizing ? "finalize" : "sync", error);
    }
    if (response instanceof Promise) throw new InvalidResponseError(["the function returned a Promise; sync and finalize must be synchronous and pure"]);
    const valid = validateResponse(definition, parent, response, finalizing);

    // Children: apply what differs, then delete what is no longer desired, a few writes at a time.
    const desiredKeys = new Set<string>();
    const applies: Array<() => Promise<string | undefined>> = [];
    for (const child of valid.children) {
      const kind = this.#childKinds.get(`${child.kind}.${child.apiVersion}`)!;
      const stamped = stampChild(child, parent, this.name);
      desiredKeys.add(`${kindKey(kind)}/${objectKey(stamped)}`);
      const existing = children[kindKey(kind)]?.[stamped.metadata.name];
      if (existing && isSubset(stamped, existing)) continue;
      if (!existing) this.#refuseTakeover(kind, stamped, parent, key);
      applies.push(async () => {
        let applied: KubeObject;
        try {
          applied = await this.#write(trigger, () => client.apply(kind, stamped, { fieldManager: this.#options.fieldManager }));
        } catch (error) {
          if (error instanceof NotLeaderError || isConflict(error)) throw error;
          throw new Error(`applying ${child.kind} ${stamped.metadata.name}: ${(error as Error).message}`);
        }
        informers.for(kind).remember(applied);
        return existing ? undefined : `${child.kind} ${stamped.metadata.name}`;
      });
    }
    const created = (await inBatches(applies, writesInFlight)).filter((name): name is string => name !== undefined);
    const deletes: Array<() => Promise<string>> = [];
    for (const [group, byName] of Object.entries(children)) {
      const kind = this.#childKinds.get(group)!;
      for (const child of Object.values(byName)) {
        if (desiredKeys.has(`${group}/${objectKey(child)}`)) continue;
        deletes.push(async () => {
          try {
            await this.#write(trigger, () => client.delete(kind, child.metadata.namespace, child.metadata.name, { uid: child.metadata.uid }));
          } catch (error) {
            if (!isNotFound(error)) throw error;
          }
          informers.for(kind).forget(child);
          return `${child.kind} ${child.metadata.name}`;
        });
      }
    }
    const deleted = await inBatches(deletes, writesInFlight);
    if (created.length) this.#options.events.record(parent, "Normal", "Created", "Create", `Created ${summarize(created)}`);
    if (deleted.length) this.#options.events.record(parent, "Normal", "Deleted", "Delete", `Deleted ${summarize(deleted)}`);

    await this.#writeStatus(parent, valid.status, trigger);
    if (finalizing && valid.finalized) await this.#setFinalizer(parent, false, trigger);
    return valid.resyncAfterSeconds;
  }

  /**
   * A desired child whose name is taken by an object another controller owns is an error the
   * user must resolve (the API server would refuse a second controller reference anyway).
   * The parent is queued again as soon as that object is deleted. Objects with no controller
   * are adopted by the apply, as controller-runtime and Metacontroller do.
   */
  #refuseTakeover(kind: Kind, child: KubeObject, parent: P, key: string): void {
    const childKey = `${kindKey(kind)}/${objectKey(child)}`;
    const found = this.#options.informers.for(kind).get(objectKey(child));
    const owner = found && controllerOf(found);
    if (!owner || owner.uid === parent.metadata.uid) return;
    let parents = this.#blocked.get(childKey);
    if (!parents) this.#blocked.set(childKey, (parents = new Set()));
    parents.add(key);
    throw new Error(
      `${child.kind} ${child.metadata.name} already exists and is controlled by ${owner.kind} ${owner.name}; ` +
        `rename or delete one of them (${parent.kind} ${parent.metadata.name} will not take it over)`,
    );
  }

  get #failurePrefix(): string {
    return this.#options.siblings?.length ? `${this.name}: ` : "";
  }

  /** The runtime's failure condition on the parent if it was written for this controller (any, without siblings). */
  #ownFailure(parent: P): ReturnType<typeof failureCondition> {
    const failure = failureCondition((parent.status as { conditions?: unknown } | undefined)?.conditions);
    const siblings = this.#options.siblings ?? [];
    return failure && !siblings.some((sibling) => failure.message?.startsWith(`${sibling}: `)) ? failure : undefined;
  }

  /** Removes a failure condition from the parent's status, if it is still there as seen. */
  async #removeFailure(parent: P, failure: { message?: string }, trigger: number | undefined): Promise<P> {
    const conditions = ((parent.status as { conditions?: unknown } | undefined)?.conditions ?? []) as unknown[];
    const index = conditions.indexOf(failure);
    if (index < 0) return parent;
    const patched = await this.#write(trigger, () =>
      this.#options.client
        .patch<P>(
        this.definition.parent,
        parent.metadata.namespace,
        parent.metadata.name,
        [
          { op: "test", path: `/status/conditions/${index}/message`, value: failure.message },
          { op: "remove", path: `/status/conditions/${index}` },
        ],
        "json",
        "status",
      )
        .catch((error) => {
          // 422: the test op failed, the list changed since this sync read it.
          if ((error as { status?: number }).status === 422) return undefined;
          throw error;
        }),
    );
    if (!patched) return parent;
    this.#options.informers.for(this.definition.parent).remember(patched);
    return patched;
  }

  #unblock(key: string): void {
    if (this.#blocked.size === 0) return;
    for (const [childKey, parents] of this.#blocked) {
      if (parents.delete(key) && parents.size === 0) this.#blocked.delete(childKey);
    }
  }

  /** The children this controller controls, grouped like Metacontroller's request. */
  #children(parent: P): ObjectsByKind {
    const children: ObjectsByKind = {};
    for (const [group, kind] of this.#childKinds) {
      const byName: Record<string, KubeObject> = {};
      for (const child of this.#options.informers.for(kind).ownedBy(parent.metadata.uid!)) {
        if (child.kind !== kind.kind) continue;
        const label = child.metadata.labels?.[managedByLabel];
        if (label !== undefined && label !== this.name) continue;
        byName[child.metadata.name] = child;
      }
      children[group] = byName;
    }
    return children;
  }

  #related(parent: P, key: string): ObjectsByKind {
    const hook = this.definition.related;
    if (!hook) return {};
    let requests: RelatedRequest[];
    try {
      requests = hook.select(structuredClone(parent));
    } catch (error) {
      throw new FunctionError("related", error);
    }
    if (!Array.isArray(requests)) throw new InvalidResponseError(["related() must return an array of requests"]);
    const related: ObjectsByKind = {};
    for (const kind of this.#relatedKinds.keys()) related[kind] = {};
    for (const [index, request] of requests.entries()) {
      const group = `${request?.kind}.${request?.apiVersion}`;
      const kind = this.#relatedKinds.get(group);
      if (!kind) throw new InvalidResponseError([`related()[${index}] asks for ${group}, which controller ${this.name} does not declare as related`]);
      const informer = this.#options.informers.for(kind);
      const namespace = kind.namespaced ? (request.namespace || parent.metadata.namespace) : undefined;
      const found = request.names
        ? request.names.map((name) => informer.get(namespace ? `${namespace}/${name}` : name)).filter((o): o is KubeObject => o !== undefined)
        : informer.list(namespace).filter((object) => labelsMatch(request.matchLabels ?? {}, object));
      for (const object of found) related[group]![objectKey(object)] = object;
    }
    this.#relatedRequests.set(key, requests);
    return related;
  }

  async #writeStatus(parent: P, desired: Record<string, unknown> | undefined, trigger: number | undefined): Promise<void> {
    const current = (parent.status ?? {}) as Record<string, unknown>;
    const failure = failureCondition(current.conditions);
    const own = this.#ownFailure(parent);
    const reportsItself = ((desired?.conditions as Array<Record<string, unknown>> | undefined) ?? []).some(
      (c) => c?.type === "Ready" && c.status === "False" && c.reason === own?.reason,
    );
    if (own && !reportsItself) {
      // A failure the runtime wrote goes once a sync succeeds. A guarded JSON patch removes it
      // whoever co-owns it: a sibling that carried it in its own applies would keep an apply
      // without it from removing it.
      const patched = await this.#removeFailure(parent, own, trigger);
      // Unchanged: the condition moved or changed meanwhile; the watch brings that and a resync.
      if (patched === parent) return;
      return this.#writeStatus(patched, desired, trigger);
    }
    if (desired === undefined) return;
    const status = statusToWrite(desired, parent, rfc3339(this.#now()));
    if (failure && !own && Array.isArray(status.conditions)) {
      // Another controller of this parent is failing; its Ready=False stands until it recovers.
      status.conditions = withCondition(status.conditions, failure as Parameters<typeof withCondition>[1]);
    }
    if (isSubset(status, current)) return;
    const applied = await this.#write(trigger, () =>
      this.#options.client.apply(
        this.definition.parent,
        { apiVersion: parent.apiVersion, kind: parent.kind, metadata: { name: parent.metadata.name, namespace: parent.metadata.namespace }, status },
        { fieldManager: this.#statusManager, subresource: "status" },
      ),
    );
    this.#options.informers.for(this.definition.parent).remember(applied);
  }

  async #setFinalizer(parent: P, present: boolean, trigger: number | undefined): Promise<P> {
    const applied = await this.#write(trigger, () =>
      this.#options.client.apply<P>(
        this.definition.parent,
        {
          apiVersion: parent.apiVersion,
          kind: parent.kind,
          metadata: { name: parent.metadata.name, namespace: parent.metadata.namespace, finalizers: present ? [this.finalizer] : [] },
        },
        { fieldManager: this.#statusManager },
      ),
    );
    this.#options.informers.for(this.definition.parent).remember(applied);
    return applied;
  }

  async #reportFailure(key: string, error: Error, retryInMs: number): Promise<void> {
    const reason = error instanceof InvalidResponseError ? "InvalidResponse" : error instanceof FunctionError ? "SyncFailed" : "ApplyFailed";
    const message = `${this.#failurePrefix}${error.message}`.slice(0, 32_768);
    this.#log.warn("sync failed", { key, reason, error: error.message, retryInMs });
    const parent = this.#options.informers.for(this.definition.parent).get(key) as P | undefined;
    if (!parent || !this.#options.gate.canWrite()) return;
    this.#options.events.record(parent, "Warning", reason, "Sync", message);
    const current = (parent.status ?? {}) as Record<string, unknown>;
    const condition = {
      type: "Ready",
      status: "False",
      reason,
      message,
      observedGeneration: parent.metadata.generation,
    };
    const previous = failureCondition(current.conditions);
    if (previous && previous.reason === reason && previous.message === condition.message) return;
    // The first sibling to fail keeps the condition until it recovers; taking turns would have
    // each failure's write trigger the other's retry, in a loop. The Event above still tells.
    if (previous && previous !== this.#ownFailure(parent)) return;
    const status = { ...current, conditions: withCondition(current.conditions, { ...condition, lastTransitionTime: rfc3339(this.#now()) }) };
    try {
      const applied = await this.#options.client.apply(
        this.definition.parent,
        { apiVersion: parent.apiVersion, kind: parent.kind, metadata: { name: parent.metadata.name, namespace: parent.metadata.namespace }, status },
        { fieldManager: this.#statusManager, subresource: "status" },
      );
      this.#options.informers.for(this.definition.parent).remember(applied);
    } catch (statusError) {
      this.#log.warn("could not record the failure on the parent's status", { key, error: (statusError as Error).message });
    }
  }

  async #write<T>(trigger: number | undefined, write: () => Promise<T>): Promise<T> {
    if (!this.#options.gate.canWrite()) throw new NotLeaderError();
    const result = await write();
    if (trigger !== undefined) this.#options.metrics.eventToApply.observe({ controller: this.name }, (performance.now() - trigger) / 1000);
    return result;
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }
}

/** Runs tasks with at most `limit` in flight; rejects with the first failure after all settle. */
async function inBatches<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  let failure: unknown;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length && failure === undefined) {
        const index = next++;
        try {
          results[index] = await tasks[index]!();
        } catch (error) {
          failure ??= error;
        }
      }
    }),
  );
  if (failure !== undefined) throw failure;
  return results;
}

function summarize(names: string[]): string {
  return names.length <= 5 ? names.join(", ") : `${names.slice(0, 5).join(", ")} and ${names.length - 5} more`;
}

function failureCondition(conditions: unknown): { type: string; status: string; reason?: string; message?: string } | undefined {
  if (!Array.isArray(conditions)) return undefined;
  return conditions.find(
    (c) => c?.type === "Ready" && c.status === "False" && (failureReasons as readonly string[]).includes(c.reason),
  );
}

function labelsMatch(selector: Record<string, string>, object: KubeObject): boolean {
  const labels = object.metadata.labels ?? {};
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

function relatedMatches(request: RelatedRequest, kind: Kind, object: KubeObject, parentNamespace: string | undefined): boolean {
  if (request.kind !== kind.kind || request.apiVersion !== kind.apiVersion) return false;
  if (kind.namespaced && object.metadata.namespace !== (request.namespace || parentNamespace)) return false;
  if (request.names) return request.names.includes(object.metadata.name);
  return labelsMatch(request.matchLabels ?? {}, object);
}
