// Calls a controller's hooks, in-process or remote, and turns every way a call can fail into
// the error the runner reports: a throw or an unreachable hook is SyncFailed, an answer that is
// not usable (a Promise from a pure function, a body that is not a JSON object) InvalidResponse.
import {
  type ControllerDefinition,
  type Hook,
  isRemote,
  type RelatedRequest,
  type RemoteHook,
  type SyncRequest,
} from "../controller.ts";
import { copyJson, type KubeObject } from "../kube/objects.ts";
import { callRemote } from "../webhook/client.ts";
import { relatedRequestsOf, type RelatedResource } from "../webhook/customize.ts";
import { customizeAnswer, customizeBody, syncAnswer, syncBody } from "../webhook/wire.ts";
import { HookError, InvalidResponseError } from "./failures.ts";
import { callLocal, type FunctionName } from "./local-call.ts";
import { noTrace, SpanKind, type TraceContext, traced, traceHeaders } from "../trace.ts";

/** Calls the hook in a span of its own ("call <name>"); a remote hook gets the span's traceparent. */
function call<In, Out>(
  hook: Hook<In, Out>,
  name: FunctionName,
  input: In,
  remoteBody: (hook: RemoteHook) => unknown,
  trace: TraceContext,
): Promise<unknown> {
  const remote = isRemote(hook);
  const attributes = { "kubefn.function": name, ...(remote ? { "url.full": hook.url } : {}) };
  return traced(`call ${name}`, trace, attributes, async (context) => {
    if (!remote) return callLocal(hook, name, input);
    try {
      return await callRemote(hook, name === "related" ? "customize" : name, remoteBody(hook), traceHeaders(context));
    } catch (error) {
      if (error instanceof HookError && error.invalidBody) throw new InvalidResponseError([error.message]);
      throw error;
    }
  }, remote ? SpanKind.CLIENT : SpanKind.INTERNAL);
}

/** The sync or finalize answer, not yet validated. */
export async function callSync<P extends KubeObject>(
  definition: ControllerDefinition<P>,
  finalizing: boolean,
  request: SyncRequest<P>,
  trace: TraceContext = noTrace,
): Promise<unknown> {
  const hook = (finalizing ? definition.finalize! : definition.sync) as Hook<SyncRequest<P>, unknown>;
  const answer = await call(
    hook,
    finalizing ? "finalize" : "sync",
    request,
    (remote) => syncBody(definition, remote, request),
    trace,
  );
  return isRemote(hook) ? syncAnswer(hook, answer as Record<string, unknown>) : answer;
}

/** What the parent needs of related kinds: related() in-process, or the customize hook's relatedResources. */
export async function callRelated<P extends KubeObject>(
  definition: ControllerDefinition<P>,
  parent: P,
  trace: TraceContext = noTrace,
): Promise<unknown> {
  const related = definition.related!;
  const answer = await call(
    related.select,
    "related",
    copyJson(parent),
    () => customizeBody(definition, parent),
    trace,
  );
  if (!isRemote(related.select)) return answer;
  const resources = customizeAnswer(related.select, answer as Record<string, unknown>);
  try {
    return (await relatedRequestsOf(
      resources as RelatedResource[],
      related.kinds,
      related.resolve,
      related.select.version === "v1" ? { v1Namespace: parent.metadata.namespace } : {},
    )) satisfies RelatedRequest[];
  } catch (error) {
    throw new InvalidResponseError([(error as Error).message]);
  }
}
