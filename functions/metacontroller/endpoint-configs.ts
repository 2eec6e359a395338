// Which connection settings (CA bundle, client certificate, Authorization) a webhook gets, as
// Metacontroller decides: the webhook's own when it sets any of them (all of them then, none
// from elsewhere), else those of the first spec.endpointConfigs entry whose host matches its
// URL's; and whether those settings are well formed (an inline CA bundle included). Pure: what
// they name is read elsewhere (endpoint-credentials.ts).
import { X509Certificate } from "node:crypto";
import { MetacontrollerSpecError } from "./spec-error.ts";
import type {
  Authorization,
  BasicAuth,
  CABundle,
  ClientTLS,
  ConnectionSettings,
  EndpointConfig,
  Webhook,
} from "./types.ts";

/** The settings a webhook is called with, and the field they come from (for messages). */
export interface EndpointSettings extends ConnectionSettings {
  /** "spec.hooks.sync.webhook" or "spec.endpointConfigs[1]". */
  from: string;
}

const defaultPorts: Record<string, string> = { "https:": "443", "http:": "80" };

/**
 * Whether an endpointConfigs host matches a URL: "host:port" matches that port, and a bare host
 * the scheme's default port (443 for https, 80 for http), whether the URL writes it or not.
 * Case does not matter.
 */
export function hostMatches(host: string, url: string): boolean {
  const parsed = new URL(url);
  const defaultPort = defaultPorts[parsed.protocol];
  const port = parsed.port || defaultPort;
  const wanted = host.toLowerCase();
  return wanted === `${parsed.hostname}:${port}` || (port === defaultPort && wanted === parsed.hostname);
}

/** The index of the first endpointConfigs entry whose host matches the URL; -1 when none does. */
export function matchingEndpoint(url: string, configs: readonly EndpointConfig[]): number {
  return configs.findIndex((config) => typeof config?.host === "string" && hostMatches(config.host, url));
}

/**
 * The connection settings of a webhook at `url` (its field is `field`, e.g.
 * "spec.hooks.sync.webhook"): its own, or a matching entry's; undefined when there are none.
 *
 * @throws MetacontrollerSpecError naming the field when the settings that apply are not well
 *   formed (both authorization and basicAuth, a caBundle with no source or several, type
 *   Basic, a reference without its name, namespace or key).
 */
export function endpointSettings(
  webhook: Webhook,
  field: string,
  url: string,
  configs: readonly EndpointConfig[] = [],
): EndpointSettings | undefined {
  const own = webhook.caBundle ?? webhook.clientTLS ?? webhook.authorization ?? webhook.basicAuth;
  if (own !== undefined) return checked({ ...pick(webhook), from: field });
  const index = matchingEndpoint(url, configs);
  return index < 0 ? undefined : checked({ ...pick(configs[index]!), from: `spec.endpointConfigs[${index}]` });
}

function pick({ caBundle, clientTLS, authorization, basicAuth }: ConnectionSettings): ConnectionSettings {
  return {
    ...(caBundle ? { caBundle } : {}),
    ...(clientTLS ? { clientTLS } : {}),
    ...(authorization ? { authorization } : {}),
    ...(basicAuth ? { basicAuth } : {}),
  };
}

function checked(settings: EndpointSettings): EndpointSettings {
  const { from, caBundle, clientTLS, authorization, basicAuth } = settings;
  if (authorization && basicAuth) {
    throw new MetacontrollerSpecError(`${from}: authorization and basicAuth are mutually exclusive; set one`);
  }
  if (caBundle) checkCABundle(caBundle, `${from}.caBundle`);
  if (clientTLS) checkRef(clientTLS.secretRef, `${from}.clientTLS.secretRef`, false);
  if (authorization) checkAuthorization(authorization, `${from}.authorization`);
  if (basicAuth) checkRef(basicAuth.secretRef, `${from}.basicAuth.secretRef`, false);
  return settings;
}

function checkCABundle(bundle: CABundle, field: string): void {
  const sources = (["inline", "secretRef", "configMapRef"] as const).filter((source) => bundle[source] != null);
  if (sources.length !== 1) {
    throw new MetacontrollerSpecError(
      `${field} needs exactly one of inline, secretRef and configMapRef, ${
        sources.length ? `not ${sources.join(" and ")}` : "and has none"
      }`,
    );
  }
  if (bundle.inline !== undefined) {
    try {
      new X509Certificate(bundle.inline);
    } catch {
      throw new MetacontrollerSpecError(`${field}.inline holds no PEM certificate`);
    }
  }
  if (bundle.secretRef) checkRef(bundle.secretRef, `${field}.secretRef`, false);
  if (bundle.configMapRef) checkRef(bundle.configMapRef, `${field}.configMapRef`, false);
}

function checkAuthorization(authorization: Authorization, field: string): void {
  if (authorization.type?.trim().toLowerCase() === "basic") {
    throw new MetacontrollerSpecError(`${field}.type Basic is not supported; use basicAuth instead`);
  }
  if (authorization.type !== undefined && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]*$/.test(authorization.type.trim())) {
    throw new MetacontrollerSpecError(`${field}.type "${authorization.type}" is not an HTTP authentication scheme`);
  }
  checkRef(authorization.secretRef, `${field}.secretRef`, true);
}

function checkRef(ref: { name?: string; namespace?: string; key?: string } | undefined, field: string, key: boolean) {
  const missing = ["name", "namespace", ...(key ? ["key"] : [])].filter((part) =>
    !ref?.[part as "name"] || typeof ref[part as "name"] !== "string"
  );
  if (missing.length) throw new MetacontrollerSpecError(`${field} needs ${missing.join(", ")}`);
}

/** What the settings read from the cluster, for a message: "Secret ns/name" for each. */
export function referencesOf(settings: EndpointSettings): string[] {
  const refs: string[] = [];
  const { caBundle, clientTLS, authorization, basicAuth } = settings;
  if (caBundle?.secretRef) refs.push(`Secret ${caBundle.secretRef.namespace}/${caBundle.secretRef.name}`);
  if (caBundle?.configMapRef) refs.push(`ConfigMap ${caBundle.configMapRef.namespace}/${caBundle.configMapRef.name}`);
  for (
    const { secretRef } of [clientTLS, authorization, basicAuth].filter((s) => s !== undefined) as Array<
      ClientTLS | Authorization | BasicAuth
    >
  ) {
    refs.push(`Secret ${secretRef.namespace}/${secretRef.name}`);
  }
  return refs;
}
