// What a sync sees: the children this controller controls and the related objects the
// parent asks for, read from the shared cache and grouped as in Metacontroller's request.
import type { ControllerDefinition, ObjectsByKind, RelatedRequest } from "../controller.ts";
import type { Informers } from "../cache/informers.ts";
import { builtinKinds, type Kind, kindKey } from "../kube/kinds.ts";
import { labelsSelected } from "../kube/labels.ts";
import { type KubeObject, objectKey } from "../kube/objects.ts";
import { InvalidResponseError } from "./validate.ts";
import { callRelated } from "./call.ts";
import type { TraceContext } from "../trace.ts";
import { childName, managedByLabel } from "./plan.ts";

/** The children of `parent` this controller controls: by "Kind.apiVersion", then by name. */
export function observedChildren(
  parent: KubeObject,
  childKinds: ReadonlyMap<string, Kind>,
  informers: Informers,
  controllerName: string,
): ObjectsByKind {
  const children: ObjectsByKind = {};
  for (const [group, kind] of childKinds) {
    const byName: Record<string, KubeObject> = {};
    for (const child of informers.for(kind).ownedBy(parent.metadata.uid!)) {
      if (child.kind !== kind.kind) continue;
      // Another controller of the same parent kind manages this one.
      const label = child.metadata.labels?.[managedByLabel];
      if (label !== undefined && label !== controllerName) continue;
      byName[childName(parent, child)] = child;
    }
    children[group] = byName;
  }
  return children;
}

/** Asks the definition's related hook what the parent needs, checked against the declared kinds. */
export async function relatedRequests(
  definition: ControllerDefinition<any>,
  parent: KubeObject,
  trace?: TraceContext,
): Promise<RelatedRequest[]> {
  const hook = definition.related;
  if (!hook) return [];
  const requests = await callRelated(definition, parent, trace);
  if (!Array.isArray(requests)) throw new InvalidResponseError(["related() must return an array of requests"]);
  const declared = new Set(hook.kinds.map(kindKey));
  for (const [index, request] of requests.entries()) {
    const group = `${request?.kind}.${request?.apiVersion}`;
    // Kinds a remote customize hook named were resolved by discovery on the way.
    if (!declared.has(group) && !hook.resolve) {
      throw new InvalidResponseError([
        `related()[${index}] asks for ${group}, which controller ${definition.name} does not declare as related`,
      ]);
    }
  }
  return requests as RelatedRequest[];
}

/** The objects the requests name or select: by "Kind.apiVersion", then by "namespace/name". */
export function relatedObjects(
  parent: KubeObject,
  requests: readonly RelatedRequest[],
  relatedKinds: ReadonlyMap<string, Kind>,
  informers: Informers,
): ObjectsByKind {
  const related: ObjectsByKind = {};
  for (const group of relatedKinds.keys()) related[group] = {};
  for (const request of requests) {
    const group = kindKey(request);
    const kind = relatedKinds.get(group)!;
    const informer = informers.for(kind);
    const namespace = kind.namespaced && !everyNamespace(request)
      ? request.namespace || parent.metadata.namespace
      : undefined;
    let found = request.names
      ? (namespace || !kind.namespaced
        ? request.names.map((name) => informer.get(namespace ? `${namespace}/${name}` : name))
        : informer.list().filter((object) => request.names!.includes(object.metadata.name)))
        .filter((o): o is KubeObject => o !== undefined)
      : informer.list(namespace).filter((object) => requestSelects(request, object));
    if (request.namespaceSelector && kind.namespaced) {
      const namespaces = informers.for(builtinKinds.Namespace);
      if (!namespaces.hasSynced) {
        throw new Error(
          `related ${group} by namespaceSelector: the Namespace cache has not synced yet (the sync is retried)`,
        );
      }
      const selector = request.namespaceSelector;
      found = found.filter((object) => {
        const home = namespaces.get(object.metadata.namespace ?? "");
        return home !== undefined && labelsSelected(selector, home.metadata.labels);
      });
    }
    for (const object of found) related[group]![objectKey(object)] = object;
  }
  return related;
}

/** Whether a request reaches past one namespace: every namespace, or those a selector picks. */
export const everyNamespace = (request: RelatedRequest) =>
  request.allNamespaces === true || request.namespaceSelector !== undefined;

/** Whether an object's labels meet a request's matchLabels and matchExpressions (a request reads as a selector). */
const requestSelects = (request: RelatedRequest, object: KubeObject) => labelsSelected(request, object.metadata.labels);

/** Whether a change to `object` (of `kind`) concerns a parent that made this request. */
export function relatedMatches(
  request: RelatedRequest,
  kind: Kind,
  object: KubeObject,
  parentNamespace: string | undefined,
): boolean {
  if (request.kind !== kind.kind || request.apiVersion !== kind.apiVersion) return false;
  // A namespaceSelector is not checked here: a change in a namespace it leaves out costs one
  // needless sync, in which relatedObjects leaves the object out.
  if (
    kind.namespaced && !everyNamespace(request) && object.metadata.namespace !== (request.namespace || parentNamespace)
  ) return false;
  if (request.names) return request.names.includes(object.metadata.name);
  return requestSelects(request, object);
}
