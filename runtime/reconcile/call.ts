// Calls a controller's hooks, in-process or remote, and turns every way a call can fail into
// the error the runner reports: a throw or an unreachable hook is SyncFailed, an answer that is
// not usable (a Promise from a pure function, a body that is not a JSON object) InvalidResponse.
import type { ControllerDefinition, Hook, RelatedRequest, SyncRequest } from "../controller.ts";
import { relatedRequestsOf, type RelatedResource } from "../webhook/customize.ts";
import { callRemote, HookError } from "../webhook/client.ts";
import { isRemote } from "../controller.ts";
import type { KubeObject } from "../kube/objects.ts";
import { InvalidResponseError } from "./validate.ts";
import { FunctionError } from "./errors.ts";

export type HookName = "sync" | "finalize" | "related";

/** What Metacontroller sends as `controller`: here, the controller's name. */
const controllerObject = (definition: ControllerDefinition<any>) => ({ metadata: { name: definition.name } });

async function call<In, Out>(hook: Hook<In, Out>, name: HookName, input: In, remoteBody: () => unknown): Promise<unknown> {
  if (isRemote(hook)) {
    try {
      return await callRemote(hook, name === "related" ? "customize" : name, remoteBody());
    } catch (error) {
      if (error instanceof HookError && error.invalidBody) throw new InvalidResponseError([error.message]);
      throw error;
    }
  }
  let answer: unknown;
  try {
    answer = hook(input);
  } catch (error) {
    throw new FunctionError(name, error);
  }
  if (answer instanceof Promise) {
    answer.catch(() => undefined);
    throw new InvalidResponseError([`the function returned a Promise; ${name} must be synchronous and pure (declare a remote hook for work elsewhere)`]);
  }
  return answer;
}

/** The sync or finalize answer, not yet validated. */
export async function callSync<P extends KubeObject>(definition: ControllerDefinition<P>, finalizing: boolean, request: SyncRequest<P>): Promise<unknown> {
  const hook = finalizing ? definition.finalize! : definition.sync;
  if (isRemote(hook) && hook.protocol === "decorator") {
    // A DecoratorController's hook speaks of the object and its attachments.
    const { parent, children, related, finalizing: deleting } = request;
    const body = { controller: controllerObject(definition), object: parent, attachments: children, related, finalizing: deleting };
    const { attachments, ...answer } = (await call(hook, finalizing ? "finalize" : "sync", request, () => body)) as Record<string, unknown>;
    return attachments === undefined ? answer : { ...answer, children: attachments };
  }
  return call(hook as Hook<SyncRequest<P>, unknown>, finalizing ? "finalize" : "sync", request, () => ({ controller: controllerObject(definition), ...request }));
}

/** What the parent needs of related kinds: related() in-process, or the customize hook's relatedResources. */
export async function callRelated<P extends KubeObject>(definition: ControllerDefinition<P>, parent: P): Promise<unknown> {
  const related = definition.related!;
  const answer = await call(related.select, "related", structuredClone(parent), () => ({ controller: controllerObject(definition), parent }));
  if (!isRemote(related.select)) return answer;
  const resources = (answer as { relatedResources?: unknown }).relatedResources ?? [];
  if (!Array.isArray(resources)) throw new InvalidResponseError(["the customize hook's relatedResources must be an array"]);
  try {
    return (await relatedRequestsOf(resources as RelatedResource[], related.kinds, related.resolve)) satisfies RelatedRequest[];
  } catch (error) {
    throw new InvalidResponseError([(error as Error).message]);
  }
}
