// The customize hook's relatedResources and the runtime's related() requests are the same
// thing said two ways: Metacontroller names a resource (plural) and a label selector, the
// runtime a kind and labels. Pure.
import { type ControllerDefinition, inProcess, type RelatedRequest } from "../controller.ts";
import { type LabelSelector, selectorProblem } from "../kube/labels.ts";
import type { KubeObject } from "../kube/objects.ts";

/** A ResourceRule of the customize hook's answer (Metacontroller's name). */
export interface RelatedResource {
  apiVersion: string;
  resource: string;
  namespace?: string;
  names?: string[];
  labelSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
}

/** The customize hook's answer for a parent: what its related() asks for, as ResourceRules. */
export function customizeResponse(
  definition: ControllerDefinition<any>,
  parent: KubeObject,
): { relatedResources: RelatedResource[] } {
  const related = definition.related;
  if (!related) return { relatedResources: [] };
  const requests = inProcess(related.select, `${definition.name}'s related`)(structuredClone(parent));
  if (!Array.isArray(requests)) throw new Error("related() must return an array of requests");
  return {
    relatedResources: requests.map((request, index) => {
      const kind = related.kinds.find((k) => k.kind === request?.kind && k.apiVersion === request?.apiVersion);
      if (!kind) {
        throw new Error(
          `related()[${index}] asks for ${request?.kind}.${request?.apiVersion}, which controller ${definition.name} does not declare as related`,
        );
      }
      // A rule without a namespace reaches every namespace (version v2's reading, and this
      // runtime's): the parent's own namespace, the default of a request, is said outright.
      const namespace = !kind.namespaced || request.allNamespaces || request.namespaceSelector
        ? undefined
        : request.namespace || parent.metadata.namespace;
      return {
        apiVersion: kind.apiVersion,
        resource: kind.plural,
        ...(namespace ? { namespace } : {}),
        ...(request.names ? { names: request.names } : {
          labelSelector: {
            matchLabels: request.matchLabels ?? {},
            ...(request.matchExpressions ? { matchExpressions: request.matchExpressions } : {}),
          },
        }),
        ...(request.namespaceSelector && kind.namespaced ? { namespaceSelector: request.namespaceSelector } : {}),
      };
    }),
  };
}

/**
 * The runtime's related requests from a customize hook's ResourceRules: kinds known by resource,
 * or resolved. `v1Namespace` is a namespaced parent's namespace when the hook is of version v1,
 * which may name no other namespace for a namespaced kind (as Metacontroller refuses) and reads
 * a rule without a namespace as the parent's. Otherwise (version v2, a cluster-scoped parent, or
 * the runtime's own hooks) a rule without a namespace reaches every namespace, and a
 * namespaceSelector those whose labels it matches, as Metacontroller reads them.
 */
export async function relatedRequestsOf(
  resources: readonly RelatedResource[],
  kinds: ControllerDefinition["children"],
  resolve?: (apiVersion: string, resource: string) => Promise<ControllerDefinition["parent"]>,
  options: { v1Namespace?: string | undefined } = {},
): Promise<RelatedRequest[]> {
  const requests: RelatedRequest[] = [];
  for (const [index, resource] of resources.entries()) {
    if (typeof resource?.apiVersion !== "string" || typeof resource.resource !== "string") {
      throw new Error(`relatedResources[${index}] needs apiVersion and resource`);
    }
    let kind = kinds.find((k) => k.apiVersion === resource.apiVersion && k.plural === resource.resource);
    if (!kind && resolve) {
      kind = await resolve(resource.apiVersion, resource.resource).catch((error: Error) => {
        throw new Error(`relatedResources[${index}]: ${error.message}`);
      });
    }
    if (!kind) {
      throw new Error(
        `relatedResources[${index}] names ${resource.resource}.${resource.apiVersion}, which is not declared as related`,
      );
    }
    const { v1Namespace } = options;
    if (v1Namespace && kind.namespaced && resource.namespace && resource.namespace !== v1Namespace) {
      throw new Error(
        `relatedResources[${index}] asks for namespace ${resource.namespace}, but a version v1 customize hook of a parent in namespace ${v1Namespace} may only ask for that one (version v2 may ask for any)`,
      );
    }
    const selector = resource.namespaceSelector;
    if (selector !== undefined && selector !== null) {
      const problem = resource.names
        ? "cannot have both names and a namespaceSelector"
        : resource.namespace
        ? "cannot have both a namespace and a namespaceSelector"
        : v1Namespace
        ? "has a namespaceSelector, which a version v1 customize hook of a namespaced parent may not use (version v2 may)"
        : !kind.namespaced
        ? `has a namespaceSelector, but ${resource.resource} are not namespaced`
        : selectorProblem(selector) && `has a namespaceSelector that ${selectorProblem(selector)}`;
      if (problem) throw new Error(`relatedResources[${index}] ${problem}`);
    }
    const labels = resource.labelSelector;
    const labelsProblem = labels === undefined || labels === null ? undefined : selectorProblem(labels);
    if (labelsProblem) throw new Error(`relatedResources[${index}] has a labelSelector that ${labelsProblem}`);
    const wide = kind.namespaced && !resource.namespace && !v1Namespace;
    requests.push({
      apiVersion: kind.apiVersion,
      kind: kind.kind,
      ...(resource.namespace ? { namespace: resource.namespace } : {}),
      ...(wide && !selector ? { allNamespaces: true } : {}),
      ...(wide && selector ? { namespaceSelector: selector } : {}),
      ...(resource.names ? { names: resource.names } : {
        matchLabels: labels?.matchLabels ?? {},
        ...(labels?.matchExpressions?.length ? { matchExpressions: labels.matchExpressions } : {}),
      }),
    });
  }
  return requests;
}
