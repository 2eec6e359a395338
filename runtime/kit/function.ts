// Runs a controller's function on a request exactly as the runtime does before it writes
// anything: the parent checked against its kind's schema, the function called (a Promise or a
// throw is the same failure the runtime reports), the answer validated and normalized. And
// objects as the API server holds them, to build requests from. Pure.
import type { ActionResult, LocalControllerDefinition, ObjectsByKind, SyncRequest } from "../controller.ts";
import { kindKey } from "../kube/kinds.ts";
import type { KubeObject, ObjectMeta } from "../kube/objects.ts";
import { callLocal } from "../reconcile/local-call.ts";
import { validateResponse, type ValidResponse } from "../reconcile/validate.ts";
import { checkParent } from "../schema/check.ts";

/** What a test gives runSync: the parent, and what exists (optional). */
export interface TestRequest<P extends KubeObject> {
  /** The parent to sync, as the API server would hold it (see stored()); checked against its kind's schema. */
  parent: P;
  /** Children that exist now, as a list (grouped by kind here) or grouped as the runtime passes them. */
  children?: KubeObject[] | ObjectsByKind;
  /** Related objects, as a list (grouped here, keyed by "namespace/name") or grouped as the runtime passes them. */
  related?: KubeObject[] | ObjectsByKind;
  /** Call finalize instead of sync, as for a parent being deleted; default false. */
  finalizing?: boolean;
  /** The results of actions answered earlier, by action id; default none. */
  results?: Record<string, ActionResult>;
}

/**
 * Groups objects as a request holds them: by "Kind.apiVersion", then by name.
 *
 * @param objects the objects to group.
 * @param keyedByNamespace key namespaced objects by "namespace/name", as `related` is; default
 *   false, by name, as `children` is.
 */
export function byKind(objects: readonly KubeObject[], keyedByNamespace = false): ObjectsByKind {
  const grouped: ObjectsByKind = {};
  for (const object of objects) {
    const key = keyedByNamespace && object.metadata.namespace
      ? `${object.metadata.namespace}/${object.metadata.name}`
      : object.metadata.name;
    (grouped[kindKey(object)] ??= {})[key] = object;
  }
  return grouped;
}

let counter = 0;
/** A unique-looking uid for objects made in tests: a counter, then a hash of the kind and name. */
const testUid = (object: KubeObject) =>
  `00000000-0000-4000-8000-${(++counter).toString(16).padStart(4, "0")}${
    [...`${object.kind}/${object.metadata.name}`].reduce((hash, char) => (hash * 31 + char.charCodeAt(0)) >>> 0, 7)
      .toString(16).padStart(8, "0")
  }`;

/**
 * The object as the API server would hold it after a create: uid, resourceVersion,
 * generation, creationTimestamp, and the namespace given (default "default") when it has
 * none. What the object already sets is kept.
 *
 * @param object the object as a test writes it; what it sets wins.
 * @param options the namespace to put it in (default "default"), or clusterScoped: true for none.
 */
export function stored<T extends KubeObject>(
  object: T,
  options: { namespace?: string; clusterScoped?: boolean } = {},
): T {
  const metadata = object.metadata;
  return {
    ...object,
    metadata: {
      ...(options.clusterScoped ? {} : { namespace: options.namespace ?? "default" }),
      uid: testUid(object),
      resourceVersion: "1",
      generation: 1,
      creationTimestamp: "2026-01-01T00:00:00Z",
      ...metadata,
    },
  };
}

/**
 * Calls sync (or finalize, when `finalizing`) as the runtime would and returns its answer
 * validated, or throws what the runtime would report: InvalidParentError (the parent does not
 * fit its kind's schema), FunctionError (the function threw) or InvalidResponseError.
 *
 * @param definition the controller, with in-process functions.
 * @param request the parent and what exists; lists are grouped as the runtime groups them.
 * @throws Error when `finalizing` is set and the controller has no finalize function.
 */
export function runSync<P extends KubeObject>(
  definition: LocalControllerDefinition<P>,
  request: TestRequest<P>,
): ValidResponse {
  const finalizing = request.finalizing ?? false;
  if (finalizing && !definition.finalize) throw new Error(`controller ${definition.name} has no finalize function`);
  if (!finalizing) checkParent(definition.parent, request.parent);
  const group = (objects: KubeObject[] | ObjectsByKind | undefined, byNamespace: boolean) =>
    Array.isArray(objects) ? byKind(objects, byNamespace) : objects ?? {};
  const full: SyncRequest<P> = structuredClone({
    parent: request.parent,
    children: group(request.children, false),
    related: group(request.related, true),
    finalizing,
    results: request.results ?? {},
  });
  const answer = finalizing
    ? callLocal(definition.finalize!, "finalize", full)
    : callLocal(definition.sync, "sync", full);
  return validateResponse(definition, request.parent, answer, finalizing);
}
