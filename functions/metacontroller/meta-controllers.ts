// Runs Metacontroller's CompositeControllers and DecoratorControllers as controllers of this
// runtime, started, changed and stopped as the resources are created, edited and deleted, with
// no restart. Each resource's status says whether it runs: Ready=True, or Ready=False with what
// to fix. This is itself a small controller: a component of the manager whose changes go
// through the runtime's work queue (one key per resource, deduplicated, failures backed off),
// and whose controllers, like every controller here, run only on the replica that leads. With
// a target label selector (upstream's --target-label-selector) it runs only the resources whose
// labels match, and leaves the others alone, their status included.
import {
  builtinKinds,
  type ControllerDefinition,
  type Kind,
  type KubeObject,
  objectKey,
  rfc3339,
} from "../../runtime/mod.ts";
import { type Component, type ComponentContext, Discovery, WorkQueue } from "../../runtime/run.ts";
import {
  compositeDefinition,
  decoratorDefinitions,
  labelsSelected,
  MetacontrollerSpecError,
  type ResolvedKinds,
  ruleKey,
} from "./translate.ts";
import type { TargetSelector } from "./upstream-flags.ts";
import { checkConnections, type ReadObject } from "./endpoint-credentials.ts";
import { cachedReader } from "./object-reader.ts";
import {
  type CompositeController,
  CompositeControllerKind,
  type DecoratorController,
  DecoratorControllerKind,
  type ResourceRule,
} from "./types.ts";

/** How soon a resource whose kinds are not served yet is tried again. */
export const retryUnresolvedMs = 5_000;

const kindsByName: Record<string, Kind> = {
  [CompositeControllerKind.kind]: CompositeControllerKind,
  [DecoratorControllerKind.kind]: DecoratorControllerKind,
};
/** The queue's key of a resource: "Kind/name" (both kinds are cluster-scoped). */
const keyOf = (kind: Kind, object: KubeObject) => `${kind.kind}/${objectKey(object)}`;

export class MetaControllers implements Component {
  readonly name = "metacontroller";
  /** The two kinds, and Namespaces: customize hooks' namespaceSelectors read their labels (as upstream's). */
  readonly watch = [CompositeControllerKind, DecoratorControllerKind, builtinKinds.Namespace];
  readonly #target: TargetSelector | undefined;
  readonly #queue = new WorkQueue();
  /** The controllers each resource runs, by key, and the generation they were built from. */
  readonly #running = new Map<string, { names: string[]; generation: number | undefined }>();
  readonly #unsubscribe: Array<() => void> = [];
  #context: ComponentContext | undefined;
  #discovery: Discovery | undefined;
  /** Reads the Secrets and ConfigMaps that webhooks' connection settings name. */
  #read: ReadObject | undefined;
  #worker: Promise<void> | undefined;

  /** @param options.targetLabelSelector runs only the resources whose labels match; default: every one. */
  constructor(options: { targetLabelSelector?: TargetSelector } = {}) {
    this.#target = options.targetLabelSelector;
  }

  /** Follows both kinds: every resource there is now, then each change. */
  start(context: ComponentContext): void {
    this.#context = context;
    if (this.#target) {
      context.log.info("running only the metacontroller resources whose labels match", {
        targetLabelSelector: this.#target.text,
      });
    }
    this.#discovery = new Discovery(context.client);
    this.#read = cachedReader(context.client);
    for (const kind of [CompositeControllerKind, DecoratorControllerKind]) {
      const informer = context.informers.for(kind);
      this.#unsubscribe.push(informer.onChange((change) => this.#queue.add(keyOf(kind, change.object))));
      for (const object of informer.list()) this.#queue.add(keyOf(kind, object));
    }
    this.#worker = this.#work();
  }

  /** Stops taking changes and waits for the one being handled. The controllers stop with the manager. */
  async stop(): Promise<void> {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    this.#queue.shutDown();
    await this.#worker;
  }

  async #work(): Promise<void> {
    for (;;) {
      const key = await this.#queue.get();
      if (key === undefined) return;
      try {
        const retry = await this.#handle(key);
        this.#queue.forget(key);
        if (retry) this.#queue.addAfter(key, retryUnresolvedMs);
      } catch (error) {
        this.#context!.log.error("metacontroller resource not handled", {
          resource: key,
          error: (error as Error).message,
        });
        this.#queue.addRateLimited(key);
      } finally {
        this.#queue.done(key);
      }
    }
  }

  /** Brings the controllers of one resource in line with it; true when it should be tried again later. */
  async #handle(key: string): Promise<boolean> {
    const context = this.#context!;
    const kind = kindsByName[key.slice(0, key.indexOf("/"))]!;
    const resource = context.informers.for(kind).get(key.slice(key.indexOf("/") + 1));
    const current = this.#running.get(key);
    const selected = resource && (!this.#target || labelsSelected(this.#target.selector, resource.metadata.labels));
    if (!resource || !selected) {
      if (resource) {
        // Left alone: no controller, no status.
        const fields = { resource: key, targetLabelSelector: this.#target!.text };
        if (current) context.log.info("metacontroller resource no longer selected; its controllers stop", fields);
        else context.log.debug("metacontroller resource not selected", fields);
      }
      for (const name of current?.names ?? []) await context.controllers.remove(name);
      this.#running.delete(key);
      return false;
    }
    if (current && current.generation === resource.metadata.generation) return false;
    let definitions: ControllerDefinition[];
    try {
      const kinds = await this.#resolve(
        kind === CompositeControllerKind
          ? compositeRules(resource as CompositeController)
          : decoratorRules(resource as DecoratorController),
      );
      const resolve = (apiVersion: string, plural: string) => this.#discovery!.kindOf(apiVersion, plural);
      definitions = kind === CompositeControllerKind
        ? [compositeDefinition(resource as CompositeController, kinds, resolve, this.#read)]
        : decoratorDefinitions(resource as DecoratorController, kinds, resolve, this.#read);
      // A Secret, ConfigMap or key the connection settings name is missing: Ready=False naming
      // it, tried again every 5 s (it may appear with no edit of the resource).
      await checkConnections(definitions);
      const taken = definitions.find((definition) =>
        context.controllers.has(definition.name) && !current?.names.includes(definition.name)
      );
      if (taken) {
        throw new MetacontrollerSpecError(
          `another controller is already named ${taken.name}; rename this ${kind.kind}`,
        );
      }
    } catch (error) {
      const message = (error as Error).message;
      for (const name of current?.names ?? []) await context.controllers.remove(name);
      this.#running.delete(key);
      context.log.warn("metacontroller resource not run", { resource: key, error: message });
      await this.#report(kind, resource, false, "InvalidSpec", message);
      // A spec that is wrong waits for an edit; kinds not served yet may be served soon.
      return !(error instanceof MetacontrollerSpecError);
    }
    for (const name of current?.names ?? []) {
      if (!definitions.some((definition) => definition.name === name)) await context.controllers.remove(name);
    }
    for (const definition of definitions) await context.controllers.put(definition);
    this.#running.set(key, {
      names: definitions.map((definition) => definition.name),
      generation: resource.metadata.generation,
    });
    await this.#report(
      kind,
      resource,
      true,
      "Running",
      `runs ${definitions.map((definition) => definition.name).join(", ")}`,
    );
    return false;
  }

  async #resolve(rules: Array<{ rule: ResourceRule; field: string }>): Promise<ResolvedKinds> {
    const kinds = new Map<string, Kind>();
    for (const { rule, field } of rules) {
      if (!rule?.apiVersion || !rule.resource) {
        throw new MetacontrollerSpecError(`${field} needs apiVersion and resource`);
      }
      kinds.set(ruleKey(rule), await this.#discovery!.kindOf(rule.apiVersion, rule.resource));
    }
    return kinds;
  }

  /** Ready on the resource's status, written by the leader only. */
  async #report(kind: Kind, resource: KubeObject, ready: boolean, reason: string, message: string): Promise<void> {
    const context = this.#context!;
    if (!context.canWrite()) return;
    const condition = {
      type: "Ready",
      status: ready ? "True" : "False",
      reason,
      message,
      observedGeneration: resource.metadata.generation,
      lastTransitionTime: rfc3339(new Date()),
    };
    const previous =
      ((resource.status as { conditions?: Array<Record<string, unknown>> } | undefined)?.conditions ?? []).find((c) =>
        c.type === "Ready"
      );
    if (
      previous?.status === condition.status && previous.message === message &&
      previous.observedGeneration === condition.observedGeneration
    ) return;
    const status = { observedGeneration: resource.metadata.generation, conditions: [condition] };
    try {
      const body = {
        apiVersion: resource.apiVersion,
        kind: resource.kind,
        metadata: { name: resource.metadata.name },
        status,
      };
      context.informers.for(kind).remember(
        await context.client.apply(kind, body, { fieldManager: "metacontroller", subresource: "status" }),
      );
    } catch (error) {
      context.log.warn("could not write the status of a metacontroller resource", {
        resource: resource.metadata.name,
        error: (error as Error).message,
      });
    }
  }
}

function compositeRules(resource: CompositeController) {
  const spec = resource.spec ?? {};
  return [
    ...(spec.parentResource ? [{ rule: spec.parentResource, field: "spec.parentResource" }] : []),
    ...(spec.childResources ?? []).map((rule, index) => ({ rule, field: `spec.childResources[${index}]` })),
  ];
}

function decoratorRules(resource: DecoratorController) {
  const spec = resource.spec ?? {};
  return [
    ...(spec.resources ?? []).map((rule, index) => ({ rule, field: `spec.resources[${index}]` })),
    ...(spec.attachments ?? []).map((rule, index) => ({ rule, field: `spec.attachments[${index}]` })),
  ];
}
