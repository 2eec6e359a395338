// One sync of one parent, in the order the data flows: read the parent and what it owns from
// the cache, call the function, validate its answer, plan the child writes, make them a few
// at a time, then write status and finalizers. Every write goes through the write gate and
// is remembered in the cache, so the next sync reads its own writes.
import type { Informers } from "../cache/informers.ts";
import type { ControllerDefinition, RelatedRequest, SyncRequest } from "../controller.ts";
import type { EventRecorder } from "../events.ts";
import { isConflict, isNotFound, type KubeClient } from "../kube/client.ts";
import { kindKey, type Kind } from "../kube/kinds.ts";
import { objectKey, type KubeObject } from "../kube/objects.ts";
import type { Logger } from "../log.ts";
import { rfc3339 } from "../kube/time.ts";
import type { Metrics } from "../metrics.ts";
import { validateResponse, type ValidResponse } from "../validate.ts";
import type { ActionPort } from "./actions.ts";
import { NameTakenError, NotLeaderError } from "./errors.ts";
import { callSync } from "./call.ts";
import { finalizerApply, finalizerStep } from "./finalizers.ts";
import { observedChildren, relatedObjects, relatedRequests } from "./observe.ts";
import { planChildren, summarize, type ChildApply, type ChildWrite } from "./plan.ts";
import { failureRemoval, nextStatus, ownFailure, type Condition, type JsonPatch, type Writer } from "./status.ts";
import type { Triggers } from "./triggers.ts";

/** Child writes one sync keeps in flight at once. */
export const writesInFlight = 8;

export interface WriteGate {
  /** False when this replica must not write (not the leader, or the lease could not be renewed in time). */
  canWrite(): boolean;
}

export interface SyncContext {
  client: KubeClient;
  informers: Informers;
  metrics: Metrics;
  events: EventRecorder;
  gate: WriteGate;
  triggers: Triggers;
  /** Field manager of children. */
  fieldManager: string;
  /** Field manager of status and finalizers: "<fieldManager>.<controller>". */
  statusManager: string;
  finalizer: string;
  writer: Writer;
  actions: ActionPort;
  log: Logger;
  now(): Date;
}

export class ParentSync<P extends KubeObject = KubeObject> {
  readonly #definition: ControllerDefinition<P>;
  readonly #context: SyncContext;
  readonly #childKinds: Map<string, Kind>;
  readonly #relatedKinds: Map<string, Kind>;
  readonly #resolvedKinds = new Map<string, Kind>();

  constructor(definition: ControllerDefinition<P>, context: SyncContext) {
    const related = definition.related;
    const resolve = related?.resolve;
    // Kinds a remote customize hook names are resolved on the way; remember them to watch them.
    this.#definition = resolve
      ? { ...definition, related: { ...related!, resolve: async (apiVersion, resource) => this.#resolved(await resolve(apiVersion, resource)) } }
      : definition;
    this.#context = context;
    this.#childKinds = new Map(definition.children.map((kind) => [kindKey(kind), kind]));
    this.#relatedKinds = new Map((definition.related?.kinds ?? []).map((kind) => [kindKey(kind), kind]));
  }

  /** Syncs the parent with this key. `trigger` is when the change that queued it was seen. Returns the resync delay asked for. */
  async run(key: string, trigger: number | undefined): Promise<number | undefined> {
    const { informers, triggers, finalizer } = this.#context;
    const definition = this.#definition;
    triggers.unblock(key);
    let parent = informers.for(definition.parent).get(key) as P | undefined;
    if (!parent) {
      triggers.forget(key);
      this.#context.actions.forget(key);
      return undefined;
    }
    if (definition.filter && !passes(definition, parent, this.#context.log)) {
      triggers.forget(key);
      this.#context.actions.forget(key);
      // A failure this controller recorded must not outlive its interest in the parent.
      const own = ownFailure(parent, this.#context.writer);
      if (own) await this.removeFailure(parent, own, trigger);
      return undefined;
    }
    const step = finalizerStep(parent, finalizer, definition);
    if (!step.hook) return undefined;
    if (step.addFinalizer) parent = await this.#setFinalizer(parent, true, trigger);
    const finalizing = step.hook === "finalize";

    const children = observedChildren(parent, this.#childKinds, informers, definition.name);
    let related = {};
    if (definition.related) {
      const requests = await relatedRequests(definition, parent);
      for (const request of requests) this.#watchRelated(request);
      triggers.asked(key, requests);
      related = relatedObjects(parent, requests, this.#relatedKinds, informers);
    }
    const results = this.#context.actions.results(key);
    const request: SyncRequest<P> = structuredClone({ parent, children, related, finalizing, results });
    const response = await callSync(definition, finalizing, request);
    const valid = validateResponse(definition, parent, response, finalizing);

    const plan = planChildren({
      parent,
      controllerName: definition.name,
      childKinds: this.#childKinds,
      desired: valid.children,
      observed: children,
      lookup: (kind, objectKey) => informers.for(kind).get(objectKey),
      updateStrategy: definition.updateStrategy,
    });
    if (plan.taken.length) {
      for (const taken of plan.taken) triggers.block(taken.childKey, key);
      throw new NameTakenError(plan.taken[0]!.message);
    }
    const created = (await inBatches(plan.applies.map((apply) => () => this.#apply(apply, trigger)), writesInFlight)).filter(
      (name): name is string => name !== undefined,
    );
    const deleted = await inBatches(plan.deletes.map((write) => () => this.#delete(write, trigger)), writesInFlight);
    if (created.length) this.#context.events.record(parent, "Normal", "Created", "Create", `Created ${summarize(created)}`);
    if (deleted.length) this.#context.events.record(parent, "Normal", "Deleted", "Delete", `Deleted ${summarize(deleted)}`);

    parent = await this.#writeMetadata(parent, valid.metadata, trigger);
    await this.#writeStatus(parent, valid.status, trigger);
    if (finalizing && valid.finalized) await this.#setFinalizer(parent, false, trigger);
    // Only now: what the function recorded about these actions (in status) is written first.
    this.#context.actions.submit(key, parent, valid.actions);
    return valid.resyncAfterSeconds;
  }

  #resolved(kind: Kind): Kind {
    this.#resolvedKinds.set(kindKey(kind), kind);
    return kind;
  }

  /** A related kind first named by a remote customize hook: watched from now on. */
  #watchRelated(request: RelatedRequest): void {
    const key = kindKey(request);
    if (this.#relatedKinds.has(key) || !this.#definition.related?.resolve) return;
    const kind = this.#resolvedKinds.get(key);
    if (!kind) return;
    this.#relatedKinds.set(key, kind);
    this.#context.triggers.watchRelated(kind);
  }

  /** Runs a write if this replica may write, and observes event-to-apply latency. */
  async write<T>(trigger: number | undefined, write: () => Promise<T>): Promise<T> {
    if (!this.#context.gate.canWrite()) throw new NotLeaderError();
    const result = await write();
    if (trigger !== undefined) this.#context.metrics.eventToApply.observe({ controller: this.#definition.name }, (performance.now() - trigger) / 1000);
    return result;
  }

  /** Applies a status under this controller's status manager and remembers the answer. */
  async applyStatus(parent: P, status: Record<string, unknown>): Promise<void> {
    const { client, informers, statusManager } = this.#context;
    const body = { apiVersion: parent.apiVersion, kind: parent.kind, metadata: { name: parent.metadata.name, namespace: parent.metadata.namespace }, status };
    informers.for(this.#definition.parent).remember(await client.apply(this.#definition.parent, body, { fieldManager: statusManager, subresource: "status" }));
  }

  /** Takes back a failure condition if it is still there as read. Returns the parent as it is now. */
  removeFailure(parent: P, failure: Condition, trigger: number | undefined): Promise<P> {
    const patch = failureRemoval(parent, failure);
    return patch ? this.#applyPatch(parent, patch, trigger) : Promise.resolve(parent);
  }

  async #applyPatch(parent: P, patch: JsonPatch, trigger: number | undefined): Promise<P> {
    const { client, informers } = this.#context;
    const patched = await this.write(trigger, () =>
      client.patch<P>(this.#definition.parent, parent.metadata.namespace, parent.metadata.name, patch, "json", "status").catch((error) => {
        // 422: the test op failed, the list changed since this sync read it.
        if ((error as { status?: number }).status === 422) return undefined;
        throw error;
      }),
    );
    if (!patched) return parent;
    informers.for(this.#definition.parent).remember(patched);
    return patched;
  }

  async #writeStatus(parent: P, desired: Record<string, unknown> | undefined, trigger: number | undefined): Promise<void> {
    const step = nextStatus(parent, desired, this.#context.writer, rfc3339(this.#context.now()));
    if (step.kind === "remove-failure") {
      const patched = await this.#applyPatch(parent, step.patch, trigger);
      // Unchanged: the condition moved or changed meanwhile; the watch brings that and a resync.
      if (patched !== parent) await this.#writeStatus(patched, desired, trigger);
    } else if (step.kind === "write") {
      await this.write(trigger, () => this.applyStatus(parent, step.status));
    }
  }

  /** Sets (or with null removes) the labels and annotations the function answered, by merge patch, when any differ. */
  async #writeMetadata(parent: P, metadata: ValidResponse["metadata"], trigger: number | undefined): Promise<P> {
    const differs = (wanted: Record<string, string | null> | undefined, current: Record<string, string> | undefined) =>
      Object.entries(wanted ?? {}).some(([key, value]) => (value === null ? current?.[key] !== undefined : current?.[key] !== value));
    if (!differs(metadata.labels, parent.metadata.labels) && !differs(metadata.annotations, parent.metadata.annotations)) return parent;
    const { client, informers } = this.#context;
    const patched = await this.write(trigger, () =>
      client.patch<P>(this.#definition.parent, parent.metadata.namespace, parent.metadata.name, { metadata: metadata }, "merge"),
    );
    informers.for(this.#definition.parent).remember(patched);
    return patched;
  }

  async #setFinalizer(parent: P, present: boolean, trigger: number | undefined): Promise<P> {
    const { client, informers, statusManager, finalizer } = this.#context;
    const applied = await this.write(trigger, () =>
      client.apply<P>(this.#definition.parent, finalizerApply(parent, finalizer, present), { fieldManager: statusManager }),
    );
    informers.for(this.#definition.parent).remember(applied);
    return applied;
  }

  async #apply({ kind, object, creates }: ChildApply, trigger: number | undefined): Promise<string | undefined> {
    const { client, informers, fieldManager } = this.#context;
    let applied: KubeObject;
    try {
      applied = await this.write(trigger, () => client.apply(kind, object, { fieldManager }));
    } catch (error) {
      if (error instanceof NotLeaderError || isConflict(error)) throw error;
      throw new Error(`applying ${object.kind} ${object.metadata.name}: ${(error as Error).message}`);
    }
    informers.for(kind).remember(applied);
    return creates ? `${object.kind} ${object.metadata.name}` : undefined;
  }

  async #delete({ kind, object }: ChildWrite, trigger: number | undefined): Promise<string> {
    const { client, informers } = this.#context;
    try {
      await this.write(trigger, () => client.delete(kind, object.metadata.namespace, object.metadata.name, { uid: object.metadata.uid }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    informers.for(kind).forget(object);
    return `${object.kind} ${object.metadata.name}`;
  }
}

/** Whether the definition's filter accepts the parent; a filter that throws accepts nothing. */
export function passes<P extends KubeObject>(definition: ControllerDefinition<P>, parent: P, log: Logger): boolean {
  try {
    return definition.filter!(structuredClone(parent));
  } catch (error) {
    log.warn("filter threw; skipping parent", { parent: objectKey(parent), error: (error as Error).message });
    return false;
  }
}

/** Runs tasks with at most `limit` in flight; rejects with the first failure after all settle. */
export async function inBatches<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
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
