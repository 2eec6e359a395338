// Metacontroller's webhook JSON, both ways: the bodies the runtime posts to a controller's
// remote hooks (a CompositeController's parent and children, or a DecoratorController's object
// and attachments), how their answers map back to the runtime's, and how the hook server reads
// a request into the function's input. Pure.
import type { ControllerDefinition, RemoteHook, SyncRequest } from "../controller.ts";
import { kindKey } from "../kube/kinds.ts";
import type { KubeObject } from "../kube/objects.ts";

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

/** A hook request as the function takes it, checked field by field. */
export function requestOfBody(
  body: Record<string, unknown>,
  definition: ControllerDefinition<any>,
  hook: WebhookName,
): SyncRequest {
  const parent = body.parent as KubeObject | undefined;
  if (typeof parent !== "object" || parent === null || Array.isArray(parent)) {
    throw new BadRequest("parent must be an object");
  }
  if (typeof parent.metadata?.name !== "string") throw new BadRequest("parent.metadata.name must be a string");
  if (kindKey(parent) !== kindKey(definition.parent)) {
    throw new BadRequest(
      `parent is a ${kindKey(parent)}; controller ${definition.name} syncs ${kindKey(definition.parent)}`,
    );
  }
  const groups = (field: "children" | "related") => {
    const value = body[field] ?? {};
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new BadRequest(`${field} must be an object of objects by "Kind.apiVersion"`);
    }
    for (const [group, byName] of Object.entries(value)) {
      if (typeof byName !== "object" || byName === null || Array.isArray(byName)) {
        throw new BadRequest(`${field}["${group}"] must be an object of objects by name`);
      }
    }
    return value as SyncRequest["children"];
  };
  const finalizing = body.finalizing ?? hook === "finalize";
  if (typeof finalizing !== "boolean") throw new BadRequest("finalizing must be true or false");
  // The runtime's own addition: the results of the actions the function asked for.
  const results = body.results ?? {};
  if (typeof results !== "object" || results === null || Array.isArray(results)) {
    throw new BadRequest("results must be an object of action results by id");
  }
  return {
    parent,
    children: hook === "customize" ? {} : groups("children"),
    related: hook === "customize" ? {} : groups("related"),
    finalizing,
    ...(hook === "customize" ? {} : { results: results as SyncRequest["results"] }),
  };
}
