// The writes a sync makes to its parent: labels and annotations, status (and taking back a
// failure condition), and the finalizer, each through the write gate and remembered in the
// cache.
import type { ControllerDefinition } from "../controller.ts";
import type { KubeObject } from "../kube/objects.ts";
import { rfc3339 } from "../kube/time.ts";
import type { ValidResponse } from "./validate.ts";
import { finalizerApply } from "./finalizers.ts";
import type { Condition } from "./conditions.ts";
import { failureRemoval, type JsonPatch } from "./failures.ts";
import { nextStatus } from "./status.ts";
import { mayWrite, type SyncContext, wrote } from "./context.ts";
import { noTrace, SpanKind, type TraceContext, traced } from "../trace.ts";

export class ParentWrites<P extends KubeObject = KubeObject> {
  readonly #definition: ControllerDefinition<P>;
  readonly #context: SyncContext;

  constructor(definition: ControllerDefinition<P>, context: SyncContext) {
    this.#definition = definition;
    this.#context = context;
  }

  /** Runs a write to the parent through the write gate, in a span "<what> <Kind>". */
  #write<T>(trigger: number | undefined, what: string, trace: TraceContext, write: () => Promise<T>): Promise<T> {
    const { kind, apiVersion } = this.#definition.parent;
    const attributes = { "kubefn.object.kind": kind, "kubefn.object.api_version": apiVersion };
    return traced(`${what} ${kind}`, trace, attributes, async () => {
      mayWrite(this.#context);
      const result = await write();
      wrote(this.#context, this.#definition.name, trigger);
      return result;
    }, SpanKind.CLIENT);
  }

  /**
   * Writes a status and remembers the answer: by server-side apply under this controller's
   * status manager, or with Metacontroller's semantics by replacing the status (merging it into
   * a shared one), which the API server prunes to what the schema declares.
   */
  async applyStatus(parent: P, status: Record<string, unknown>): Promise<void> {
    const { client, informers, statusManager } = this.#context;
    if (this.#definition.writes === "metacontroller") {
      const { namespace, name } = parent.metadata;
      const written = this.#definition.parentStatus === "shared"
        ? await client.patch<P>(this.#definition.parent, namespace, name, { status }, "merge", "status")
        : await client.patch<P>(
          this.#definition.parent,
          namespace,
          name,
          [{ op: "add", path: "/status", value: status }],
          "json",
          "status",
        );
      informers.for(this.#definition.parent).remember(written);
      return;
    }
    const body = {
      apiVersion: parent.apiVersion,
      kind: parent.kind,
      metadata: { name: parent.metadata.name, namespace: parent.metadata.namespace },
      status,
    };
    informers.for(this.#definition.parent).remember(
      await client.apply(this.#definition.parent, body, { fieldManager: statusManager, subresource: "status" }),
    );
  }

  /** Takes back a failure condition if it is still there as read. Returns the parent as it is now. */
  removeFailure(parent: P, failure: Condition, trigger: number | undefined, trace: TraceContext = noTrace): Promise<P> {
    const patch = failureRemoval(parent, failure);
    return patch ? this.#applyPatch(parent, patch, trigger, trace) : Promise.resolve(parent);
  }

  async #applyPatch(parent: P, patch: JsonPatch, trigger: number | undefined, trace: TraceContext): Promise<P> {
    const { client, informers } = this.#context;
    const patched = await this.#write(
      trigger,
      "status",
      trace,
      () =>
        client.patch<P>(
          this.#definition.parent,
          parent.metadata.namespace,
          parent.metadata.name,
          patch,
          "json",
          "status",
        ).catch((error) => {
          // 422: the test op failed, the list changed since this sync read it.
          if ((error as { status?: number }).status === 422) return undefined;
          throw error;
        }),
    );
    if (!patched) return parent;
    informers.for(this.#definition.parent).remember(patched);
    return patched;
  }

  async writeStatus(
    parent: P,
    desired: Record<string, unknown> | undefined,
    trigger: number | undefined,
    trace: TraceContext = noTrace,
  ): Promise<void> {
    const step = nextStatus(parent, desired, this.#context.writer, rfc3339(this.#context.now()));
    if (step.kind === "remove-failure") {
      const patched = await this.#applyPatch(parent, step.patch, trigger, trace);
      // Unchanged: the condition moved or changed meanwhile; the watch brings that and a resync.
      if (patched !== parent) await this.writeStatus(patched, desired, trigger, trace);
    } else if (step.kind === "write") {
      await this.#write(trigger, "status", trace, () => this.applyStatus(parent, step.status));
    }
  }

  /** Sets (or with null removes) the labels and annotations the function answered, by merge patch, when any differ. */
  async writeMetadata(
    parent: P,
    metadata: ValidResponse["metadata"],
    trigger: number | undefined,
    trace: TraceContext = noTrace,
  ): Promise<P> {
    const differs = (wanted: Record<string, string | null> | undefined, current: Record<string, string> | undefined) =>
      Object.entries(wanted ?? {}).some((
        [key, value],
      ) => (value === null ? current?.[key] !== undefined : current?.[key] !== value));
    if (
      !differs(metadata.labels, parent.metadata.labels) && !differs(metadata.annotations, parent.metadata.annotations)
    ) return parent;
    const { client, informers } = this.#context;
    const patched = await this.#write(
      trigger,
      "metadata",
      trace,
      () =>
        client.patch<P>(this.#definition.parent, parent.metadata.namespace, parent.metadata.name, {
          metadata: metadata,
        }, "merge"),
    );
    informers.for(this.#definition.parent).remember(patched);
    return patched;
  }

  async setFinalizer(
    parent: P,
    present: boolean,
    trigger: number | undefined,
    trace: TraceContext = noTrace,
  ): Promise<P> {
    const { client, informers, statusManager, finalizer } = this.#context;
    const applied = await this.#write(
      trigger,
      "finalizer",
      trace,
      () =>
        client.apply<P>(this.#definition.parent, finalizerApply(parent, finalizer, present), {
          fieldManager: statusManager,
        }),
    );
    informers.for(this.#definition.parent).remember(applied);
    return applied;
  }
}
