// Runs Metacontroller's CompositeControllers and DecoratorControllers as controllers of this
// runtime, started, changed and stopped as the resources are created, edited and deleted, with
// no restart. Each resource's status says whether it runs: Ready=True, or Ready=False with what
// to fix. Like every controller here, they run only on the replica that leads.
import type { Informers } from "../cache/informers.ts";
import type { Change } from "../cache/informer.ts";
import type { ControllerSet } from "../controllers.ts";
import type { ControllerDefinition } from "../controller.ts";
import type { KubeClient } from "../kube/client.ts";
import type { Kind } from "../kube/kinds.ts";
import { objectKey, type KubeObject } from "../kube/objects.ts";
import { rfc3339 } from "../kube/time.ts";
import type { Logger } from "../log.ts";
import { Discovery } from "./discovery.ts";
import { compositeDefinition, decoratorDefinitions, MetacontrollerSpecError, ruleKey, type ResolvedKinds } from "./translate.ts";
import { CompositeControllerKind, DecoratorControllerKind, type CompositeController, type DecoratorController, type ResourceRule } from "./types.ts";

/** How soon a resource whose kinds are not served yet is tried again. */
export const retryUnresolvedMs = 5_000;

export class MetaControllers {
  readonly #client: KubeClient;
  readonly #informers: Informers;
  readonly #controllers: ControllerSet;
  readonly #log: Logger;
  readonly #canWrite: () => boolean;
  readonly #discovery: Discovery;
  /** The controllers each resource runs, by "Kind/name", and the generation they were built from. */
  readonly #running = new Map<string, { names: string[]; generation: number | undefined }>();
  readonly #retries = new Map<string, ReturnType<typeof setTimeout>>();
  /** Changes to one resource are handled one at a time, in order. */
  #queue: Promise<void> = Promise.resolve();

  constructor(options: { client: KubeClient; informers: Informers; controllers: ControllerSet; log: Logger; canWrite(): boolean }) {
    this.#client = options.client;
    this.#informers = options.informers;
    this.#controllers = options.controllers;
    this.#log = options.log;
    this.#canWrite = options.canWrite;
    this.#discovery = new Discovery(options.client);
  }

  /** Follows both kinds: every resource there is now, then each change. */
  start(): void {
    for (const kind of [CompositeControllerKind, DecoratorControllerKind]) {
      const informer = this.#informers.for(kind);
      informer.onChange((change) => this.#enqueue(kind, change));
      for (const object of informer.list()) this.#enqueue(kind, { type: "added", object, observedAt: performance.now() });
    }
  }

  stop(): void {
    for (const timer of this.#retries.values()) clearTimeout(timer);
    this.#retries.clear();
  }

  #enqueue(kind: Kind, change: Change): void {
    this.#queue = this.#queue.then(() => this.#handle(kind, change)).catch((error: Error) => this.#log.error("metacontroller resource not handled", { error: error.message }));
  }

  async #handle(kind: Kind, change: Change): Promise<void> {
    const key = `${kind.kind}/${objectKey(change.object)}`;
    clearTimeout(this.#retries.get(key));
    this.#retries.delete(key);
    const current = this.#running.get(key);
    if (change.type === "deleted") {
      for (const name of current?.names ?? []) await this.#controllers.remove(name);
      this.#running.delete(key);
      return;
    }
    const resource = change.object;
    if (current && current.generation === resource.metadata.generation) return;
    let definitions: ControllerDefinition[];
    try {
      const kinds = await this.#resolve(kind === CompositeControllerKind ? compositeRules(resource as CompositeController) : decoratorRules(resource as DecoratorController));
      const resolve = (apiVersion: string, plural: string) => this.#discovery.kindOf(apiVersion, plural);
      definitions =
        kind === CompositeControllerKind ? [compositeDefinition(resource as CompositeController, kinds, resolve)] : decoratorDefinitions(resource as DecoratorController, kinds, resolve);
      const taken = definitions.find((definition) => this.#controllers.has(definition.name) && !current?.names.includes(definition.name));
      if (taken) throw new MetacontrollerSpecError(`another controller is already named ${taken.name}; rename this ${kind.kind}`);
    } catch (error) {
      const message = (error as Error).message;
      if (!(error instanceof MetacontrollerSpecError)) this.#retries.set(key, setTimeout(() => this.#enqueue(kind, change), retryUnresolvedMs));
      for (const name of current?.names ?? []) await this.#controllers.remove(name);
      this.#running.delete(key);
      this.#log.warn("metacontroller resource not run", { resource: key, error: message });
      await this.#report(kind, resource, false, "InvalidSpec", message);
      return;
    }
    for (const name of current?.names ?? []) if (!definitions.some((definition) => definition.name === name)) await this.#controllers.remove(name);
    for (const definition of definitions) await this.#controllers.put(definition);
    this.#running.set(key, { names: definitions.map((definition) => definition.name), generation: resource.metadata.generation });
    await this.#report(kind, resource, true, "Running", `runs ${definitions.map((definition) => definition.name).join(", ")}`);
  }

  async #resolve(rules: Array<{ rule: ResourceRule; field: string }>): Promise<ResolvedKinds> {
    const kinds = new Map<string, Kind>();
    for (const { rule, field } of rules) {
      if (!rule?.apiVersion || !rule.resource) throw new MetacontrollerSpecError(`${field} needs apiVersion and resource`);
      kinds.set(ruleKey(rule), await this.#discovery.kindOf(rule.apiVersion, rule.resource));
    }
    return kinds;
  }

  /** Ready on the resource's status, written by the leader only. */
  async #report(kind: Kind, resource: KubeObject, ready: boolean, reason: string, message: string): Promise<void> {
    if (!this.#canWrite()) return;
    const condition = { type: "Ready", status: ready ? "True" : "False", reason, message, observedGeneration: resource.metadata.generation, lastTransitionTime: rfc3339(new Date()) };
    const previous = ((resource.status as { conditions?: Array<Record<string, unknown>> } | undefined)?.conditions ?? []).find((c) => c.type === "Ready");
    if (previous?.status === condition.status && previous.message === message && previous.observedGeneration === condition.observedGeneration) return;
    const status = { observedGeneration: resource.metadata.generation, conditions: [condition] };
    try {
      const body = { apiVersion: resource.apiVersion, kind: resource.kind, metadata: { name: resource.metadata.name }, status };
      this.#informers.for(kind).remember(await this.#client.apply(kind, body, { fieldManager: "metacontroller", subresource: "status" }));
    } catch (error) {
      this.#log.warn("could not write the status of a metacontroller resource", { resource: resource.metadata.name, error: (error as Error).message });
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
