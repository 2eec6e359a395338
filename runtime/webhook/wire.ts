// Metacontroller's webhook JSON, both ways: the bodies the runtime posts to a controller's
// remote hooks (a CompositeController's parent and children, or a DecoratorController's object
// and attachments, keyed as the hook's version says), how their answers map back to the
// runtime's, and how the hook server reads a request, of any version, into the function's
// input. Pure.
import type { ControllerDefinition, ObjectsByKind, RemoteHook, SyncRequest } from "../controller.ts";
import { kindKey } from "../kube/kinds.ts";
import { type KubeObject, objectKey } from "../kube/objects.ts";
import { childName } from "../reconcile/plan.ts";
import { InvalidParentError, InvalidResponseError } from "../reconcile/failures.ts";
import { parentProblems } from "../schema/check.ts";
import { strictAnswers, unknownFields } from "./strict.ts";

/** The hooks of Metacontroller's webhook API; `customize` is the runtime's related(). */
export const webhookNames = ["sync", "finalize", "customize"] as const;
/** The name of one of a controller's webhooks, as it appears in a hook server's paths and metric names. */
export type WebhookName = (typeof webhookNames)[number];

/** What Metacontroller sends as `controller`: the definition's hookController, else the controller's name. */
const controllerObject = (definition: ControllerDefinition<any>) =>
  definition.hookController ?? { metadata: { name: definition.name } };

/**
 * The key of an object in a request to a hook of this version (see RemoteHookOptions.version);
 * undefined when a v1 request leaves it out (a namespaced parent sees only its own namespace).
 */
export function wireKey(
  version: RemoteHook["version"],
  parent: KubeObject,
  object: KubeObject,
): string | undefined {
  const { name, namespace } = object.metadata;
  if (version === "v1" && parent.metadata.namespace) {
    return namespace === parent.metadata.namespace ? name : undefined;
  }
  return namespace ? `${namespace}/${name}` : name;
}

/** Objects by "Kind.apiVersion" and key, keyed again for the hook's version; every group stays, empty or not. */
export function keyedFor(version: RemoteHook["version"], parent: KubeObject, groups: ObjectsByKind): ObjectsByKind {
  if (version === undefined) return groups;
  return Object.fromEntries(
    Object.entries(groups).map(([group, objects]) => [
      group,
      Object.fromEntries(
        Object.values(objects).flatMap((object) => {
          const key = wireKey(version, parent, object);
          return key === undefined ? [] : [[key, object]];
        }),
      ),
    ]),
  );
}

/** The body of a sync or finalize call, in the protocol and version the hook speaks. */
export function syncBody(
  definition: ControllerDefinition<any>,
  hook: RemoteHook,
  request: SyncRequest,
): Record<string, unknown> {
  const children = keyedFor(hook.version, request.parent, request.children);
  const related = keyedFor(hook.version, request.parent, request.related);
  if (hook.protocol === "decorator") {
    const { parent, finalizing } = request;
    return { controller: controllerObject(definition), object: parent, attachments: children, related, finalizing };
  }
  return { controller: controllerObject(definition), ...request, children, related };
}

/** The fields of an answer the runtime reads, by what answered (Metacontroller's, and the runtime's actions). */
const answerFields = {
  composite: ["children", "status", "resyncAfterSeconds", "finalized", "labels", "annotations", "actions"],
  decorator: ["attachments", "status", "resyncAfterSeconds", "finalized", "labels", "annotations", "actions"],
  customize: ["relatedResources"],
} as const;

/** Refuses, for a strict hook, an answer with a field the runtime does not read. */
function checkFields(hook: RemoteHook, answer: Record<string, unknown>, known: readonly string[]): void {
  if (!strictAnswers(hook)) return;
  const unknown = unknownFields(answer, known);
  if (unknown.length) {
    throw new InvalidResponseError(
      unknown.map((field) =>
        `unknown field "${
          brief(field)
        }" in a strict answer (hook version v2, or responseUnMarshallMode strict); known: ${known.join(", ")}`
      ),
    );
  }
}

/** A sync or finalize answer in the runtime's terms: a decorator's attachments are its children. */
export function syncAnswer(hook: RemoteHook, answer: Record<string, unknown>): Record<string, unknown> {
  checkFields(hook, answer, answerFields[hook.protocol ?? "composite"]);
  if (hook.protocol !== "decorator") return answer;
  const { attachments, ...rest } = answer;
  return attachments === undefined ? rest : { ...rest, children: attachments };
}

/** The body of a customize call. */
export const customizeBody = (definition: ControllerDefinition<any>, parent: KubeObject) => ({
  controller: controllerObject(definition),
  parent,
});

/** A customize answer's relatedResources (not yet checked one by one); empty when it has none. */
export function customizeAnswer(hook: RemoteHook, answer: Record<string, unknown>): unknown[] {
  checkFields(hook, answer, answerFields.customize);
  const resources = answer.relatedResources ?? [];
  if (!Array.isArray(resources)) {
    throw new InvalidResponseError(["the customize hook's relatedResources must be an array"]);
  }
  return resources;
}

/** A request the hook server cannot serve; answered 400 with the message. */
export class BadRequest extends Error {}

/** A caller's text as an error message shows it: cut at `max` UTF-16 code units, never inside a surrogate pair. */
export function brief(text: string, max = 100): string {
  if (text.length <= max) return text;
  const cut = /[\ud800-\udbff]$/.test(text.slice(0, max)) ? max - 1 : max;
  return `${text.slice(0, cut)}… (${text.length - cut} more)`;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const hasName = (value: unknown): boolean =>
  isObject(value) && isObject(value.metadata) && typeof value.metadata.name === "string";

/**
 * A hook request as the function takes it, checked field by field, so that a function is only
 * called with what Metacontroller (or the runtime's remote client) could send for objects the
 * API server holds; anything else is a BadRequest. As the runtime requires before it syncs in
 * process, the parent must also fit its kind's schema, except for finalize.
 */
export function requestOfBody(
  body: Record<string, unknown>,
  definition: ControllerDefinition<any>,
  hook: WebhookName,
): SyncRequest {
  const parent = body.parent as KubeObject | undefined;
  if (!isObject(parent)) throw new BadRequest("parent must be an object");
  if (!hasName(parent)) throw new BadRequest("parent.metadata.name must be a string");
  if (typeof parent.apiVersion !== "string" || typeof parent.kind !== "string") {
    throw new BadRequest("parent.apiVersion and parent.kind must be strings");
  }
  if (kindKey(parent) !== kindKey(definition.parent)) {
    throw new BadRequest(
      `parent is a ${brief(kindKey(parent))}; controller ${definition.name} syncs ${kindKey(definition.parent)}`,
    );
  }
  // What the API server holds of every object: a name that can be a path segment, and a
  // namespace exactly when its kind is namespaced.
  const { name, namespace } = parent.metadata;
  if (name === "" || name === "." || name === ".." || /[/%]/.test(name)) {
    throw new BadRequest(`parent.metadata.name ${JSON.stringify(brief(name))} is not the name of an object`);
  }
  if (definition.parent.namespaced && (typeof namespace !== "string" || namespace === "")) {
    throw new BadRequest(`parent.metadata.namespace must be a namespace: ${definition.parent.kind} is namespaced`);
  }
  if (!definition.parent.namespaced && namespace != null && namespace !== "") {
    throw new BadRequest(`parent.metadata.namespace must not be set: ${definition.parent.kind} is cluster-scoped`);
  }
  // A finalizing parent is let go even when its spec no longer fits (as the runtime does).
  const problems = hook === "finalize" ? [] : parentProblems(definition.parent, parent);
  if (problems.length) throw new BadRequest(new InvalidParentError(problems).message);
  // Keyed again from each object's metadata, as the runtime keys them in process (children by
  // name, or "namespace/name" under a cluster-scoped parent; related by "namespace/name"): a body
  // keyed as Metacontroller's v1 or v2 reads the same.
  const groups = (field: "children" | "related") => {
    const value = body[field] ?? {};
    if (!isObject(value)) throw new BadRequest(`${field} must be an object of objects by "Kind.apiVersion"`);
    const keyed: Array<[string, Record<string, KubeObject>]> = [];
    for (const [group, byName] of Object.entries(value)) {
      if (!isObject(byName)) throw new BadRequest(`${field}["${brief(group)}"] must be an object of objects by name`);
      for (const [name, object] of Object.entries(byName)) {
        if (!hasName(object)) {
          throw new BadRequest(`${field}["${brief(group)}"]["${brief(name)}"] must be an object with metadata.name`);
        }
        const namespace = (object as KubeObject).metadata.namespace;
        if (field === "related" && namespace != null && typeof namespace !== "string") {
          throw new BadRequest(`${field}["${brief(group)}"]["${brief(name)}"].metadata.namespace must be a string`);
        }
      }
      keyed.push([
        group,
        Object.fromEntries(
          Object.values(byName as Record<string, KubeObject>).map((object) => [
            field === "children" ? childName(parent, object) : objectKey(object),
            object,
          ]),
        ),
      ]);
    }
    return Object.fromEntries(keyed) as ObjectsByKind;
  };
  const finalizing = body.finalizing ?? hook === "finalize";
  if (typeof finalizing !== "boolean") throw new BadRequest("finalizing must be true or false");
  // The runtime's own addition: the results of the actions the function asked for.
  const results = body.results ?? {};
  if (!isObject(results)) throw new BadRequest("results must be an object of action results by id");
  for (const [id, result] of Object.entries(results)) {
    if (!isObject(result)) throw new BadRequest(`results["${brief(id)}"] must be an object`);
  }
  return {
    parent,
    children: hook === "customize" ? {} : groups("children"),
    related: hook === "customize" ? {} : groups("related"),
    finalizing,
    ...(hook === "customize" ? {} : { results: results as SyncRequest["results"] }),
  };
}
