// What each RPC does in Kubernetes terms, declared next to the service's handlers, so that
// --api-auth=kubernetes can ask the API server (a SubjectAccessReview) whether the caller
// may do it: a CreateWebsite method is "create websites.example.com" in the website's
// namespace. A method may instead be open to anyone ("public": health probes carry no token)
// or to anyone with a valid token ("authenticated": reflection, like Kubernetes' discovery).
import type { DescMessage, DescMethod, DescService, MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { groupOf, type Kind } from "../kube/kinds.ts";
import type { Verb } from "../kube/access.ts";

/** An RPC checked as one Kubernetes API request. */
export interface RpcResourceRule<I = any> {
  /** What the call does, e.g. "create"; the SubjectAccessReview asks whether the caller may. */
  verb: Verb;
  /** The kind it acts on; its API group and plural name the resource. */
  kind: Kind;
  /** A subresource it acts on, e.g. "status". */
  subresource?: string;
  /** The namespace the call acts in (namespaced kinds). */
  namespace?: (request: I) => string;
  /** The object the call acts on, when the request names one. */
  name?: (request: I) => string | undefined;
  /** How the README and error messages describe the namespace and name, e.g. "id.namespace". */
  describe?: string;
}

/**
 * Who may call an RPC when --api-auth=kubernetes: "public" (anyone, no token: health probes),
 * "authenticated" (any caller with a valid token: reflection), or a Kubernetes API request the
 * caller must be allowed to make. `I` is the request message's type.
 */
export type RpcRule<I = any> = "public" | "authenticated" | RpcResourceRule<I>;

/** The access rules of one RPC service, as serviceAccess() makes them; give them to ManagerOptions.rpcAccess. */
export interface ServiceAccess {
  /** The service's descriptor (protobuf-es), whose methods the rules cover. */
  service: DescService;
  /** Each method's rule, by the method's name as the .proto spells it ("CreatePartitionGroup"). */
  rules: ReadonlyMap<string, RpcRule>;
}

/**
 * The access rules of a service: one rule per method, keyed by the method's local name
 * (createPartitionGroup), each typed by the method's request message. With
 * --api-auth=kubernetes, the manager does not start while a method it serves has no rule.
 *
 * @param service the generated service descriptor (protobuf-es's GenService).
 * @param rules each method's rule.
 */
export function serviceAccess<M extends GenServiceMethods>(
  service: GenService<M>,
  rules: { [K in keyof M]: RpcRule<MessageShape<M[K]["input"] & DescMessage>> },
): ServiceAccess {
  const byName = new Map<string, RpcRule>();
  for (const method of (service as unknown as DescService).methods) {
    const rule = (rules as Record<string, RpcRule | undefined>)[method.localName];
    if (rule) byName.set(method.name, rule);
  }
  return { service: service as unknown as DescService, rules: byName };
}

/** "/example.v1.WebsiteService/CreateWebsite" style key of a method. */
export const methodKey = (method: Pick<DescMethod, "name" | "parent">) => `${method.parent.typeName}/${method.name}`;

/** Every rule by method key; throws when two declarations cover the same method. */
export function ruleTable(declared: readonly ServiceAccess[]): Map<string, RpcRule> {
  const table = new Map<string, RpcRule>();
  for (const { service, rules } of declared) {
    for (const method of service.methods) {
      const rule = rules.get(method.name);
      if (!rule) continue;
      if (table.has(methodKey(method))) throw new Error(`two access rules declared for ${methodKey(method)}`);
      table.set(methodKey(method), rule);
    }
  }
  return table;
}

/** The methods among `served` without a rule (each must have one when authorization is on). */
export function undeclared(served: readonly DescMethod[], table: ReadonlyMap<string, RpcRule>): string[] {
  return [...new Set(served.map(methodKey))].filter((key) => !table.has(key)).sort();
}

/** "websites.example.com", "leases.coordination.k8s.io", "pods" (core). */
export function resourceName(rule: Pick<RpcResourceRule, "kind" | "subresource">): string {
  const group = groupOf(rule.kind.apiVersion);
  const resource = rule.subresource ? `${rule.kind.plural}/${rule.subresource}` : rule.kind.plural;
  return group ? `${resource}.${group}` : resource;
}

/** How a rule reads in the README's table: "create websites.example.com (website.namespace)". */
export function describeRule(rule: RpcRule): string {
  if (rule === "public") return "anyone, no token needed";
  if (rule === "authenticated") return "any valid token";
  return `${rule.verb} ${resourceName(rule)}${rule.describe ? ` (${rule.describe})` : ""}`;
}
