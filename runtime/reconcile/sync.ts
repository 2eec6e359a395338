// One sync of one parent, in the order the data flows: read the parent and what it owns from
// the cache, call the function, validate its answer, plan the child writes, make them a few
// at a time, then write the parent's metadata, status and finalizers (parent-writes.ts). Every
// write goes through the write gate and is remembered in the cache, so the next sync reads its
// own writes.
import type { Informers } from "../cache/informers.ts";
import type { ControllerDefinition, DesiredObject, ObjectsByKind, RelatedRequest, SyncRequest } from "../controller.ts";
import type { EventRecorder } from "../events.ts";
import { isConflict, isInvalid, isNotFound, type KubeClient } from "../kube/client.ts";
import { type Kind, kindKey } from "../kube/kinds.ts";
import { copyJson, type KubeObject, objectKey } from "../kube/objects.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import { validateResponse } from "./validate.ts";
import type { ActionPort } from "../exec/actions.ts";
import { mayWrite, type SyncContext, wrote } from "./context.ts";
import { NameTakenError, NotLeaderError } from "./failures.ts";
import { checkParent } from "../schema/check.ts";
import { ParentWrites } from "./parent-writes.ts";
import { callSync } from "./call.ts";
import { finalizerStep } from "./finalizers.ts";
import { observedChildren, relatedObjects, relatedRequests } from "./observe.ts";
import {
  type ChildApply,
  childKey,
  childName,
  type ChildPlan,
  type ChildWrite,
  comparesOnServer,
  dryRunVerdict,
  isRolling,
  isSubset,
  planChildren,
  stampChild,
  summarize,
  updatedCondition,
} from "./plan.ts";
import { ownFailure, type Writer } from "./failures.ts";
import type { Triggers } from "./triggers.ts";
import { noTrace, SpanKind, type TraceContext, traced } from "../trace.ts";

/** Child writes one sync keeps in flight at once. */
export const writesInFlight = 8;

export class ParentSync<P extends KubeObject = KubeObject> {
  readonly #definition: ControllerDefinition<P>;
  readonly #context: SyncContext;
  readonly #childKinds: Map<string, Kind>;
  readonly #relatedKinds: Map<string, Kind>;
  readonly #resolvedKinds = new Map<string, Kind>();
  readonly #parentWrites: ParentWrites<P>;
  /** Whether the parent's status gets Metacontroller's Updated condition: its writes, and a kind that rolls. */
  readonly #reportsRollout: boolean;

  constructor(definition: ControllerDefinition<P>, context: SyncContext) {
    this.#reportsRollout = definition.writes === "metacontroller" &&
      Object.values(definition.updateStrategy ?? {}).some(isRolling);
    const related = definition.related;
    const resolve = related?.resolve;
    // Kinds a remote customize hook names are resolved on the way; remember them to watch them.
    this.#definition = resolve
      ? {
        ...definition,
        related: {
          ...related!,
          resolve: async (apiVersion, resource) => this.#resolved(await resolve(apiVersion, resource)),
        },
      }
      : definition;
    this.#context = context;
    this.#parentWrites = new ParentWrites(definition, context);
    this.#childKinds = new Map(definition.children.map((kind) => [kindKey(kind), kind]));
    this.#relatedKinds = new Map((definition.related?.kinds ?? []).map((kind) => [kindKey(kind), kind]));
  }

  /**
   * Syncs the parent with this key. `trigger` is when the change that queued it was seen;
   * `trace` holds the sync's span, the parent of the spans of its calls and writes. Returns
   * the resync delay asked for.
   */
  async run(key: string, trigger: number | undefined, trace: TraceContext = noTrace): Promise<number | undefined> {
    const { informers, triggers, finalizer } = this.#context;
    const definition = this.#definition;
    triggers.unblock(key);
    let parent = informers.for(definition.parent).get(key) as P | undefined;
    if (!parent) {
      triggers.forget(key);
      this.#context.actions.forget(key);
      return undefined;
    }
    const selected = !definition.filter || passes(definition, parent, this.#context.log);
    const step = finalizerStep(parent, finalizer, definition, selected);
    if (!selected && !step.hook) {
      triggers.forget(key);
      this.#context.actions.forget(key);
      // A failure this controller recorded must not outlive its interest in the parent.
      const own = ownFailure(parent, this.#context.writer);
      if (own) await this.#parentWrites.removeFailure(parent, own, trigger, trace);
      return undefined;
    }
    if (!step.hook) return undefined;
    if (step.addFinalizer) parent = await this.#parentWrites.setFinalizer(parent, true, trigger, trace);
    const finalizing = step.hook === "finalize";
    // A finalizing parent is let go even when its spec no longer fits.
    if (!finalizing) checkParent(definition.parent, parent);

    const children = observedChildren(parent, this.#childKinds, informers, definition.name);
    let related = {};
    if (definition.related) {
      const requests = await relatedRequests(definition, parent, trace);
      for (const request of requests) this.#watchRelated(request);
      triggers.asked(key, requests);
      related = relatedObjects(parent, requests, this.#relatedKinds, informers);
    }
    const results = this.#context.actions.results(key, parent);
    // The function gets its own copy of the cached objects (results are copies already).
    const request: SyncRequest<P> = { ...copyJson({ parent, children, related }), finalizing, results };
    const response = await callSync(definition, finalizing, request, trace);
    const valid = validateResponse(definition, parent, response, finalizing);

    // Metacontroller never writes a child's status; what a hook answers there is dropped.
    const desired = definition.writes === "metacontroller"
      ? valid.children.map(({ status: _status, ...child }) => child as typeof valid.children[number])
      : valid.children;
    const plan = planChildren({
      parent,
      controllerName: definition.name,
      childKinds: this.#childKinds,
      desired,
      observed: children,
      lookup: (kind, objectKey) => informers.for(kind).get(objectKey),
      updateStrategy: definition.updateStrategy,
      unchanged: await this.#unchangedOnServer(parent, desired, children, trace),
    });
    for (const wait of plan.waiting) this.#context.log.debug("rolling update waits", { key, ...wait });
    if (plan.taken.length) {
      for (const taken of plan.taken) triggers.block(taken.childKey, key);
      throw new NameTakenError(plan.taken[0]!.message);
    }
    const created =
      (await inBatches(plan.applies.map((apply) => () => this.#apply(apply, trigger, trace)), writesInFlight))
        .filter(
          (name): name is string => name !== undefined,
        );
    const deleted = await inBatches(
      plan.deletes.map((write) => () => this.#delete(write, trigger, trace)),
      writesInFlight,
    );
    if (created.length) {
      this.#context.events.record(parent, "Normal", "Created", "Create", `Created ${summarize(created)}`);
    }
    if (deleted.length) {
      this.#context.events.record(parent, "Normal", "Deleted", "Delete", `Deleted ${summarize(deleted)}`);
    }

    parent = await this.#parentWrites.writeMetadata(parent, valid.metadata, trigger, trace);
    await this.#parentWrites.writeStatus(parent, this.#withRolloutCondition(valid.status, plan), trigger, trace);
    if (finalizing && valid.finalized) await this.#parentWrites.setFinalizer(parent, false, trigger, trace);
    // Only now: what the function recorded about these actions (in status) is written first.
    this.#context.actions.submit(key, parent, valid.actions, trace);
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

  /** Applies a status under this controller's status manager (the runner records failures with it). */
  applyStatus(parent: P, status: Record<string, unknown>): Promise<void> {
    return this.#parentWrites.applyStatus(parent, status);
  }

  /**
   * Metacontroller's writes: when a child kind rolls, the status the hook answered plus the
   * "Updated" condition (replacing one of that type), as upstream adds it. Otherwise, or when the
   * hook answered no status (the parent's is then left alone), as answered.
   */
  #withRolloutCondition(
    status: Record<string, unknown> | undefined,
    plan: ChildPlan,
  ): Record<string, unknown> | undefined {
    if (!this.#reportsRollout || !status) return status;
    const given = status.conditions;
    const conditions = (Array.isArray(given) ? given : []).filter((c) => (c as { type?: unknown })?.type !== "Updated");
    return { ...status, conditions: [...conditions, updatedCondition(plan)] };
  }

  /**
   * The children of Recreate and rolling kinds that differ from what the function wants by
   * isSubset alone, but that an apply would leave as they are: the API server adds to some lists
   * (a Pod's token volume and its mount) and merges others by key, which a local comparison
   * cannot know. Each is asked of the server by a dry-run apply; one the server refuses (an
   * immutable field changed) differs. Without this, such a child would be deleted and made
   * again on every sync. A child whose cached copy is older than the server's is counted as
   * unchanged until its newer copy arrives: a Pod just bound by the scheduler is not a Pod whose
   * spec changed.
   */
  async #unchangedOnServer(
    parent: KubeObject,
    desired: readonly DesiredObject[],
    observed: ObjectsByKind,
    trace: TraceContext,
  ): Promise<Set<string>> {
    const unchanged = new Set<string>();
    const { client, fieldManager } = this.#context;
    for (const child of desired) {
      const key = kindKey(child);
      if (!comparesOnServer(this.#definition.updateStrategy?.[key])) continue;
      const kind = this.#childKinds.get(key)!;
      const object = stampChild(child, parent, this.#definition.name);
      const existing = observed[key]?.[childName(parent, object)];
      if (!existing || isSubset(object, existing)) continue;
      const result = await traced(`compare ${kind.kind}`, trace, childAttributes(kind, object), async () => {
        try {
          return await client.apply(kind, object, { fieldManager, dryRun: true });
        } catch (error) {
          if (isInvalid(error)) return undefined;
          throw new Error(
            `comparing ${object.kind} ${object.metadata.name} with the server: ${(error as Error).message}`,
          );
        }
      }, SpanKind.CLIENT);
      const verdict = result ? dryRunVerdict(result, existing) : "changed";
      // A stale cached copy is left alone: its newer version is on its way and syncs the parent again.
      if (verdict !== "changed") unchanged.add(childKey(kind, object));
      if (verdict === "stale") {
        this.#context.log.debug("a child's cached copy is older than the server's; compared on the next sync", {
          child: `${object.kind} ${object.metadata.name}`,
        });
      }
    }
    return unchanged;
  }

  async #apply(
    { kind, object, creates }: ChildApply,
    trigger: number | undefined,
    trace: TraceContext,
  ): Promise<string | undefined> {
    const { client, informers, fieldManager } = this.#context;
    const applied = await traced(`apply ${kind.kind}`, trace, childAttributes(kind, object), async () => {
      try {
        mayWrite(this.#context);
        const applied = await client.apply(kind, object, { fieldManager });
        wrote(this.#context, this.#definition.name, trigger);
        return applied;
      } catch (error) {
        if (error instanceof NotLeaderError || isConflict(error)) throw error;
        throw new Error(`applying ${object.kind} ${object.metadata.name}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }, SpanKind.CLIENT);
    informers.for(kind).remember(applied);
    return creates ? `${object.kind} ${object.metadata.name}` : undefined;
  }

  async #delete({ kind, object }: ChildWrite, trigger: number | undefined, trace: TraceContext): Promise<string> {
    const { client, informers } = this.#context;
    await traced(`delete ${kind.kind}`, trace, childAttributes(kind, object), async () => {
      try {
        mayWrite(this.#context);
        await client.delete(kind, object.metadata.namespace, object.metadata.name, { uid: object.metadata.uid });
        wrote(this.#context, this.#definition.name, trigger);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }, SpanKind.CLIENT);
    informers.for(kind).forget(object);
    return `${object.kind} ${object.metadata.name}`;
  }
}

/** What a child write's span says of the child. */
function childAttributes(kind: Kind, object: KubeObject): Record<string, string> {
  return {
    "kubefn.object.kind": kind.kind,
    "kubefn.object.api_version": kind.apiVersion,
    "kubefn.object.name": object.metadata.name,
    ...(object.metadata.namespace ? { "k8s.namespace.name": object.metadata.namespace } : {}),
  };
}

/** Whether the definition's filter accepts the parent; a filter that throws accepts nothing. */
export function passes<P extends KubeObject>(definition: ControllerDefinition<P>, parent: P, log: Logger): boolean {
  try {
    return definition.filter!(copyJson(parent));
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
