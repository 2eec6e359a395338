// Metacontroller's webhook JSON, both ways: the bodies the runtime posts to a controller's
// remote hooks (a CompositeController's parent and children, or a DecoratorController's object
// and attachments), how their answers map back to the runtime's, and how the hook server reads
// a request into the function's input. Pure.
import type { ControllerDefinition, RemoteHook, SyncRequest } from "../controller.ts";
import { kindKey } from "../kube/kinds.ts";
import type { KubeObject } from "../kube/objects.ts";
import { InvalidParentError } from "../reconcile/failures.ts";
import { parentProblems } from "../schema/check.ts";

/** The hooks of Metacontroller's webhook API; `customize` is the runtime's related(). */
export const webhookNames = ["sync", "finalize", "customize"] as const;
/** The name of one of a controller's webhooks, as it appears in a hook server's paths and metric names. */
export type WebhookName = (typeof webhookNames)[number];

/** What Metacontroller sends as `controller`: here, the controller's name. */
const controllerObject = (definition: ControllerDefinition<any>) => ({ metadata: { name: definition.name } });

/** The body of a sync or finalize call, in the protocol the hook speaks. */
export function syncBody(
  definition: ControllerDefinition<any>,
  hook: RemoteHook,
  request: SyncRequest,
): Record<string, unknown> {
  if (hook.protocol === "decorator") {
    const { parent, children, related, finalizing } = request;
    return { controller: controllerObject(definition), object: parent, attachments: children, related, finalizing };
  }
  return { controller: controllerObject(definition), ...request };
}

/** A sync or finalize answer in the runtime's terms: a decorator's attachments are its children. */
export function syncAnswer(hook: RemoteHook, answer: Record<string, unknown>): Record<string, unknown> {
  if (hook.protocol !== "decorator") return answer;
  const { attachments, ...rest } = answer;
  return attachments === undefined ? rest : { ...rest, children: attachments };
}

/** The body of a customize call. */
export const customizeBody = (definition: ControllerDefinition<any>, parent: KubeObject) => ({
  controller: controllerObject(definition),
  parent,
});

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
  const groups = (field: "children" | "related") => {
    const value = body[field] ?? {};
    if (!isObject(value)) throw new BadRequest(`${field} must be an object of objects by "Kind.apiVersion"`);
    for (const [group, byName] of Object.entries(value)) {
      if (!isObject(byName)) throw new BadRequest(`${field}["${brief(group)}"] must be an object of objects by name`);
      for (const [name, object] of Object.entries(byName)) {
        if (!hasName(object)) {
          throw new BadRequest(`${field}["${brief(group)}"]["${brief(name)}"] must be an object with metadata.name`);
        }
      }
    }
    return value as SyncRequest["children"];
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
