// Pure: a CompositeController or DecoratorController as the runtime's controller definitions,
// its hooks remote (webhook URL, or service + path; hook version, strictness and connection
// settings), its kinds already resolved. What cannot be served is an error naming the field,
// reported on the resource's status.
import {
  type ControllerDefinition,
  defaultHookTimeoutSeconds,
  type Kind,
  kindKey,
  type KubeObject,
  labelsSelected,
  remote,
  type RemoteHook,
  type RollingUpdate,
  type UpdateMethod,
} from "../../runtime/mod.ts";
import { endpointSettings, referencesOf } from "./endpoint-configs.ts";
import { type ReadObject, resolveConnection } from "./endpoint-credentials.ts";
import { MetacontrollerSpecError } from "./spec-error.ts";
import type {
  AnnotationSelector,
  CompositeController,
  DecoratorController,
  EndpointConfig,
  HookTarget,
  ResourceRule,
  UpdateStrategy,
} from "./types.ts";

export { MetacontrollerSpecError } from "./spec-error.ts";

/** The kind of each resource rule, resolved by discovery: "<apiVersion> <resource>" → Kind. */
export type ResolvedKinds = ReadonlyMap<string, Kind>;
export const ruleKey = (rule: ResourceRule) => `${rule.apiVersion} ${rule.resource}`;

const controllerNamePattern = /^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/;
const methods: readonly string[] = ["InPlace", "Recreate", "OnDelete"];
/** CompositeController children may also roll; a DecoratorController's attachments may not (as upstream). */
const rollingMethods: readonly string[] = ["RollingInPlace", "RollingRecreate"];

/** "10s", "1m30s", "500ms", "-1h" → seconds: a Go duration, as Metacontroller's timeout field. */
export function durationSeconds(text: string, field: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, "µs": 1e-6, "μs": 1e-6, ns: 1e-9 };
  const sign = text.startsWith("-") ? -1 : 1;
  const body = text.replace(/^[-+]/, "");
  const parts = [...body.matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|h|m|s)/g)];
  if (body !== "0" && (!parts.length || parts.map((p) => p[0]).join("") !== body)) {
    throw new MetacontrollerSpecError(`${field} "${text}" is not a duration such as 10s or 1m30s`);
  }
  return sign * parts.reduce((sum, [, value, unit]) => sum + Number(value) * units[unit!]!, 0);
}

/** Where a webhook is reached: webhook.url, or http(s)://<service>.<namespace>:<port><path> (port 80, http by default). */
function webhookUrl(target: HookTarget, field: string): string {
  const webhook = target.webhook!;
  if (webhook.url) return webhook.url;
  const service = webhook.service;
  if (!service?.name || !service.namespace || webhook.path === undefined) {
    throw new MetacontrollerSpecError(`${field}.webhook needs either url, or service (name and namespace) and path`);
  }
  return `${service.protocol ?? "http"}://${service.name}.${service.namespace}:${service.port ?? 80}${webhook.path}`;
}

/** How a hook's connection settings are read: the endpointConfigs entries, and the reader of Secrets and ConfigMaps. */
export interface HookConnections {
  endpointConfigs?: readonly EndpointConfig[] | undefined;
  /** Without it, settings that name a Secret or ConfigMap are refused. */
  read?: ReadObject | undefined;
}

/**
 * A hook as the runtime's remote hook: its URL (webhook.url, or the service's), timeout (10 s
 * when not positive, as upstream), version (v1 by default), strictness (responseUnMarshallMode,
 * else the version's) and connection settings (its own, or a matching endpointConfigs entry's),
 * read before each call.
 */
export function webhookHook(
  target: HookTarget | undefined,
  field: string,
  connections: HookConnections = {},
): RemoteHook | undefined {
  if (!target) return undefined;
  const webhook = target.webhook;
  if (!webhook) throw new MetacontrollerSpecError(`${field}.webhook is required`);
  const timeout = webhook.timeout ? durationSeconds(webhook.timeout, `${field}.webhook.timeout`) : 0;
  const version = target.version ?? "v1";
  if (version !== "v1" && version !== "v2") {
    throw new MetacontrollerSpecError(`${field}.version must be v1 or v2, not ${version}`);
  }
  const mode = webhook.responseUnMarshallMode;
  if (mode !== undefined && mode !== "loose" && mode !== "strict") {
    throw new MetacontrollerSpecError(`${field}.webhook.responseUnMarshallMode must be loose or strict, not ${mode}`);
  }
  const url = webhookUrl(target, field);
  let settings;
  try {
    settings = endpointSettings(webhook, `${field}.webhook`, url, connections.endpointConfigs);
  } catch (error) {
    if (error instanceof MetacontrollerSpecError) throw error;
    throw new MetacontrollerSpecError(`${field}.webhook: ${(error as Error).message}`);
  }
  const read = connections.read;
  if (settings && !read && referencesOf(settings).length) {
    throw new MetacontrollerSpecError(
      `${settings.from} names ${referencesOf(settings).join(", ")}, which this program cannot read`,
    );
  }
  const noReads: ReadObject = () => Promise.reject(new Error("no reader"));
  try {
    return remote(url, {
      timeoutSeconds: timeout > 0 ? timeout : defaultHookTimeoutSeconds,
      version,
      ...(mode ? { strict: mode === "strict" } : {}),
      ...(settings ? { connection: () => resolveConnection(settings, read ?? noReads) } : {}),
    });
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

/**
 * A rule's update strategy. Without a method, children that exist are left as they are
 * (OnDelete), as Metacontroller does; the rolling methods take the rule's status checks.
 */
function methodOf(
  strategy: UpdateStrategy | undefined,
  field: string,
  rolls: boolean,
): UpdateMethod | RollingUpdate {
  const method = strategy?.method || "OnDelete";
  const allowed = rolls ? [...methods, ...rollingMethods] : methods;
  if (!allowed.includes(method)) {
    throw new MetacontrollerSpecError(
      `${field}.updateStrategy.method ${method} is not one of ${allowed.join(", ")}`,
    );
  }
  if (!rollingMethods.includes(method)) return method as UpdateMethod;
  return {
    method: method as UpdateMethod,
    ...(strategy?.statusChecks ? { statusChecks: strategy.statusChecks } : {}),
  };
}

function checkedName(name: string, kindName: string): string {
  if (!controllerNamePattern.test(name)) {
    throw new MetacontrollerSpecError(
      `${kindName} name "${name}" must be at most 63 characters to run as a controller`,
    );
  }
  return name;
}

/** The resync period: at least one second, as upstream makes a smaller one. */
function resyncOf(seconds: number | undefined): { resyncPeriodSeconds?: number } {
  if (seconds === undefined || seconds === null) return {};
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) {
    throw new MetacontrollerSpecError(`spec.resyncPeriodSeconds must be a number of seconds, got ${seconds}`);
  }
  return { resyncPeriodSeconds: Math.max(seconds, 1) };
}

/** Children by rule, with their update methods by "Kind.apiVersion". */
function childrenOf(
  rules: Array<ResourceRule & { updateStrategy?: UpdateStrategy }>,
  kinds: ResolvedKinds,
  field: string,
  rolls: boolean,
) {
  const children: Kind[] = [];
  const updateStrategy: Record<string, UpdateMethod | RollingUpdate> = {};
  rules.forEach((rule, index) => {
    const kind = kindFor(kinds, rule, `${field}[${index}]`);
    children.push(kind);
    updateStrategy[kindKey(kind)] = methodOf(rule.updateStrategy, `${field}[${index}]`, rolls);
  });
  return { children, updateStrategy };
}

/** Resolves a resource name to a kind (the API server's discovery). */
export type ResolveResource = (apiVersion: string, resource: string) => Promise<Kind>;

/** A customize hook names related resources per parent; their kinds are resolved as they are named. */
function customized(
  target: HookTarget | undefined,
  resolve: ResolveResource | undefined,
  connections: HookConnections,
) {
  const select = webhookHook(target, "spec.hooks.customize", connections);
  if (!select) return {};
  if (!resolve) {
    throw new MetacontrollerSpecError(
      "spec.hooks.customize needs the cluster's discovery to resolve the resources it names",
    );
  }
  return { related: { kinds: [], select, resolve } };
}

/**
 * A CompositeController as one controller. `read` reads the Secrets and ConfigMaps its
 * webhooks' connection settings name; without it, settings that name one are refused.
 */
export function compositeDefinition(
  resource: CompositeController,
  kinds: ResolvedKinds,
  resolve?: ResolveResource,
  read?: ReadObject,
): ControllerDefinition {
  const spec = resource.spec ?? {};
  if (!spec.parentResource) throw new MetacontrollerSpecError("spec.parentResource is required");
  const connections = { endpointConfigs: spec.endpointConfigs, read };
  const sync = webhookHook(spec.hooks?.sync, "spec.hooks.sync", connections);
  if (!sync) throw new MetacontrollerSpecError("spec.hooks.sync is required");
  const finalize = webhookHook(spec.hooks?.finalize, "spec.hooks.finalize", connections);
  return {
    name: checkedName(resource.metadata.name, "CompositeController"),
    parent: kindFor(kinds, spec.parentResource, "spec.parentResource"),
    // Only parents whose labels the selector picks are synced (the others are left alone).
    ...(spec.parentResource.labelSelector
      ? { filter: (object: KubeObject) => labelsSelected(spec.parentResource!.labelSelector, object.metadata.labels) }
      : {}),
    ...childrenOf(spec.childResources ?? [], kinds, "spec.childResources", true),
    ...customized(spec.hooks?.customize, resolve, connections),
    sync,
    ...(finalize ? { finalize } : {}),
    ...resyncOf(spec.resyncPeriodSeconds),
    writes: "metacontroller" as const,
    // Hooks get the CompositeController itself as `controller`, as upstream sends it.
    hookController: resource as unknown as Record<string, unknown>,
  };
}

/**
 * One controller per decorated resource; the object's status belongs to its own controller.
 * `read` is as compositeDefinition's.
 */
export function decoratorDefinitions(
  resource: DecoratorController,
  kinds: ResolvedKinds,
  resolve?: ResolveResource,
  read?: ReadObject,
): ControllerDefinition[] {
  const spec = resource.spec ?? {};
  const rules = spec.resources ?? [];
  if (!rules.length) throw new MetacontrollerSpecError("spec.resources must name at least one resource");
  const connections = { endpointConfigs: spec.endpointConfigs, read };
  const sync = webhookHook(spec.hooks?.sync, "spec.hooks.sync", connections);
  if (!sync) throw new MetacontrollerSpecError("spec.hooks.sync is required");
  const finalize = webhookHook(spec.hooks?.finalize, "spec.hooks.finalize", connections);
  const decorator = { ...sync, protocol: "decorator" as const };
  return rules.map((rule, index) => ({
    name: checkedName(
      rules.length === 1 ? resource.metadata.name : `${resource.metadata.name}-${index}`,
      "DecoratorController",
    ),
    parent: kindFor(kinds, rule, `spec.resources[${index}]`),
    ...childrenOf(spec.attachments ?? [], kinds, "spec.attachments", false),
    ...customized(spec.hooks?.customize, resolve, connections),
    filter: (object: KubeObject) =>
      labelsSelected(rule.labelSelector, object.metadata.labels) &&
      annotationsSelected(rule.annotationSelector, object.metadata.annotations),
    sync: decorator,
    ...(finalize ? { finalize: { ...finalize, protocol: "decorator" as const } } : {}),
    parentStatus: "shared" as const,
    writes: "metacontroller" as const,
    ...resyncOf(spec.resyncPeriodSeconds),
    hookController: resource as unknown as Record<string, unknown>,
  }));
}

/** A Kubernetes label selector; no selector selects everything (the runtime's). */
export { labelsSelected };

export function annotationsSelected(
  selector: AnnotationSelector | undefined,
  annotations: Record<string, string> = {},
): boolean {
  // The same rules as a label selector's, over annotations.
  return labelsSelected(
    {
      ...(selector?.matchAnnotations ? { matchLabels: selector.matchAnnotations } : {}),
      ...(selector?.matchExpressions ? { matchExpressions: selector.matchExpressions } : {}),
    },
    annotations,
  );
}
