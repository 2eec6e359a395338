// Pure: a CompositeController or DecoratorController as the runtime's controller definitions,
// its hooks remote (webhook URL, or service + path), its kinds already resolved. What cannot
// be served is an error naming the field, reported on the resource's status.
import {
  type ControllerDefinition,
  type Kind,
  kindKey,
  type KubeObject,
  remote,
  type RemoteHook,
  type UpdateMethod,
} from "../../runtime/mod.ts";
import type {
  AnnotationSelector,
  CompositeController,
  DecoratorController,
  HookTarget,
  LabelSelector,
  ResourceRule,
  UpdateStrategy,
} from "./types.ts";

export class MetacontrollerSpecError extends Error {}

/** The kind of each resource rule, resolved by discovery: "<apiVersion> <resource>" → Kind. */
export type ResolvedKinds = ReadonlyMap<string, Kind>;
export const ruleKey = (rule: ResourceRule) => `${rule.apiVersion} ${rule.resource}`;

const controllerNamePattern = /^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/;
const supportedMethods: readonly string[] = ["InPlace", "Recreate", "OnDelete"];

/** "10s", "1m30s", "500ms" → seconds (a Go duration, as Metacontroller's timeout field). */
export function durationSeconds(text: string, field: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (!parts.length || parts.map((p) => p[0]).join("") !== text) {
    throw new MetacontrollerSpecError(`${field} "${text}" is not a duration such as 10s or 1m30s`);
  }
  const seconds = parts.reduce((sum, [, value, unit]) => sum + Number(value) * units[unit!]!, 0);
  if (!(seconds > 0)) throw new MetacontrollerSpecError(`${field} must be longer than zero`);
  return seconds;
}

/** A hook's URL: webhook.url, or http(s)://<service>.<namespace>:<port><path> (port 80, http by default). */
export function webhookHook(target: HookTarget | undefined, field: string): RemoteHook | undefined {
  const webhook = target?.webhook;
  if (!target) return undefined;
  if (!webhook) throw new MetacontrollerSpecError(`${field}.webhook is required`);
  const timeoutSeconds = webhook.timeout ? durationSeconds(webhook.timeout, `${field}.webhook.timeout`) : undefined;
  let url = webhook.url;
  if (!url) {
    const service = webhook.service;
    if (!service?.name || !service.namespace || webhook.path === undefined) {
      throw new MetacontrollerSpecError(`${field}.webhook needs either url, or service (name and namespace) and path`);
    }
    url = `${service.protocol ?? "http"}://${service.name}.${service.namespace}:${service.port ?? 80}${webhook.path}`;
  }
  try {
    return remote(url, timeoutSeconds ? { timeoutSeconds } : {});
  } catch (error) {
    throw new MetacontrollerSpecError(`${field}.webhook: ${(error as Error).message}`);
  }
}

function kindFor(kinds: ResolvedKinds, rule: ResourceRule, field: string): Kind {
  const found = kinds.get(ruleKey(rule));
  if (!found) {
    throw new MetacontrollerSpecError(`${field}: resource ${rule.resource} in ${rule.apiVersion} is not known`);
  }
  return found;
}

function methodOf(strategy: UpdateStrategy | undefined, field: string): UpdateMethod {
  const method = strategy?.method ?? "InPlace";
  if (!supportedMethods.includes(method)) {
    throw new MetacontrollerSpecError(
      `${field}.updateStrategy.method ${method} is not supported yet; use OnDelete, Recreate or InPlace`,
    );
  }
  return method as UpdateMethod;
}

function checkedName(name: string, kindName: string): string {
  if (!controllerNamePattern.test(name)) {
    throw new MetacontrollerSpecError(
      `${kindName} name "${name}" must be at most 63 characters to run as a controller`,
    );
  }
  return name;
}

function resyncOf(seconds: number | undefined): number | undefined {
  if (seconds === undefined) return undefined;
  if (!(seconds > 0)) throw new MetacontrollerSpecError(`spec.resyncPeriodSeconds must be positive, got ${seconds}`);
  return seconds;
}

/** Children by rule, with their update methods by "Kind.apiVersion". */
function childrenOf(
  rules: Array<ResourceRule & { updateStrategy?: UpdateStrategy }>,
  kinds: ResolvedKinds,
  field: string,
) {
  const children: Kind[] = [];
  const updateStrategy: Record<string, UpdateMethod> = {};
  rules.forEach((rule, index) => {
    const kind = kindFor(kinds, rule, `${field}[${index}]`);
    children.push(kind);
    updateStrategy[kindKey(kind)] = methodOf(rule.updateStrategy, `${field}[${index}]`);
  });
  return { children, updateStrategy };
}

/** Resolves a resource name to a kind (the API server's discovery). */
export type ResolveResource = (apiVersion: string, resource: string) => Promise<Kind>;

/** A customize hook names related resources per parent; their kinds are resolved as they are named. */
function customized(target: HookTarget | undefined, resolve: ResolveResource | undefined) {
  const select = webhookHook(target, "spec.hooks.customize");
  if (!select) return {};
  if (!resolve) {
    throw new MetacontrollerSpecError(
      "spec.hooks.customize needs the cluster's discovery to resolve the resources it names",
    );
  }
  return { related: { kinds: [], select, resolve } };
}

export function compositeDefinition(
  resource: CompositeController,
  kinds: ResolvedKinds,
  resolve?: ResolveResource,
): ControllerDefinition {
  const spec = resource.spec ?? {};
  if (!spec.parentResource) throw new MetacontrollerSpecError("spec.parentResource is required");
  const sync = webhookHook(spec.hooks?.sync, "spec.hooks.sync");
  if (!sync) throw new MetacontrollerSpecError("spec.hooks.sync is required");
  const finalize = webhookHook(spec.hooks?.finalize, "spec.hooks.finalize");
  return {
    name: checkedName(resource.metadata.name, "CompositeController"),
    parent: kindFor(kinds, spec.parentResource, "spec.parentResource"),
    // Only parents whose labels the selector picks are synced (the others are left alone).
    ...(spec.parentResource.labelSelector
      ? { filter: (object: KubeObject) => labelsSelected(spec.parentResource!.labelSelector, object.metadata.labels) }
      : {}),
    ...childrenOf(spec.childResources ?? [], kinds, "spec.childResources"),
    ...customized(spec.hooks?.customize, resolve),
    sync,
    ...(finalize ? { finalize } : {}),
    ...(resyncOf(spec.resyncPeriodSeconds) ? { resyncPeriodSeconds: spec.resyncPeriodSeconds } : {}),
    writes: "metacontroller" as const,
  };
}

/** One controller per decorated resource; the object's status belongs to its own controller. */
export function decoratorDefinitions(
  resource: DecoratorController,
  kinds: ResolvedKinds,
  resolve?: ResolveResource,
): ControllerDefinition[] {
  const spec = resource.spec ?? {};
  const rules = spec.resources ?? [];
  if (!rules.length) throw new MetacontrollerSpecError("spec.resources must name at least one resource");
  const sync = webhookHook(spec.hooks?.sync, "spec.hooks.sync");
  if (!sync) throw new MetacontrollerSpecError("spec.hooks.sync is required");
  const finalize = webhookHook(spec.hooks?.finalize, "spec.hooks.finalize");
  const decorator = { ...sync, protocol: "decorator" as const };
  return rules.map((rule, index) => ({
    name: checkedName(
      rules.length === 1 ? resource.metadata.name : `${resource.metadata.name}-${index}`,
      "DecoratorController",
    ),
    parent: kindFor(kinds, rule, `spec.resources[${index}]`),
    ...childrenOf(spec.attachments ?? [], kinds, "spec.attachments"),
    ...customized(spec.hooks?.customize, resolve),
    filter: (object: KubeObject) =>
      labelsSelected(rule.labelSelector, object.metadata.labels) &&
      annotationsSelected(rule.annotationSelector, object.metadata.annotations),
    sync: decorator,
    ...(finalize ? { finalize: { ...finalize, protocol: "decorator" as const } } : {}),
    parentStatus: "shared" as const,
    writes: "metacontroller" as const,
    ...(resyncOf(spec.resyncPeriodSeconds) ? { resyncPeriodSeconds: spec.resyncPeriodSeconds } : {}),
  }));
}

function expressionsMatch(expressions: LabelSelector["matchExpressions"], values: Record<string, string>): boolean {
  return (expressions ?? []).every(({ key, operator, values: list = [] }) => {
    switch (operator) {
      case "In":
        return key in values && list.includes(values[key]!);
      case "NotIn":
        return !(key in values) || !list.includes(values[key]!);
      case "Exists":
        return key in values;
      case "DoesNotExist":
        return !(key in values);
      default:
        return false;
    }
  });
}

/** A Kubernetes label selector; no selector selects everything. */
export function labelsSelected(selector: LabelSelector | undefined, labels: Record<string, string> = {}): boolean {
  return Object.entries(selector?.matchLabels ?? {}).every(([key, value]) => labels[key] === value) &&
    expressionsMatch(selector?.matchExpressions, labels);
}

export function annotationsSelected(
  selector: AnnotationSelector | undefined,
  annotations: Record<string, string> = {},
): boolean {
  return Object.entries(selector?.matchAnnotations ?? {}).every(([key, value]) => annotations[key] === value) &&
    expressionsMatch(selector?.matchExpressions, annotations);
}
