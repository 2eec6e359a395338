// Everything a program needs in a cluster, from its declaration: the CRD of each custom kind
// its controllers use (declared with customKind()), a ServiceAccount, a ClusterRole derived
// from what the controllers watch and write plus the manager's own needs (Events, the Lease),
// its binding, and a Deployment of the image. Pure: the documents to write as YAML.
import type { ControllerDefinition } from "../controller.ts";
import type { Access } from "../kube/access.ts";
import type { Kind } from "../kube/kinds.ts";
import type { KubeObject } from "../kube/objects.ts";
import type { Program } from "../program/main.ts";
import { type OptionSpec, parseOptions, parseRuntimeConfig, type Values } from "../program/config.ts";
import { controllerAccess, managerAccess, policyRules } from "../rbac.ts";
import { type CustomKind, isCustomKind } from "../schema/kind.ts";
import { crdOf } from "./crd.ts";
import { deployment, identity } from "./workload.ts";

/** How programManifests() deploys a program: its image, and where and how it runs. */
export interface ProgramManifestOptions {
  /** The image that runs the program (its entrypoint starts it). */
  image: string;
  /** Where the ServiceAccount and Deployment go; default "default". */
  namespace?: string;
  /** Arguments for the program, after the runtime's --leader-elect=true. */
  args?: string[];
  /** The container's command, when the image's entrypoint does not start the program. */
  command?: string[];
  /** Access the program needs beyond its controllers' (what its RPC services or components read). */
  access?: readonly Access[];
}

/** The custom kinds among these, each once. */
function customKindsAmong(kinds: readonly Kind[]): CustomKind[] {
  const seen = new Map<string, CustomKind>();
  for (const kind of kinds) {
    if (isCustomKind(kind) && !seen.has(`${kind.plural}.${kind.group}`)) seen.set(`${kind.plural}.${kind.group}`, kind);
  }
  return [...seen.values()];
}

/** What a program's manager runs, built with its flags' defaults. */
function built<E extends Record<string, OptionSpec>>(definition: Program<E>) {
  const config = { ...parseRuntimeConfig([], {}), ...definition.flagDefaults };
  const flags = parseOptions(definition.flags ?? ({} as E), [], {}) as Values<E>;
  return { config, options: definition.build(flags, config) };
}

/** The custom kinds these controllers use as parents or children, each once. */
const kindsOf = (controllers: ReadonlyArray<ControllerDefinition<any>>): CustomKind[] =>
  customKindsAmong(controllers.flatMap((controller) => [controller.parent, ...controller.children]));

/** The custom kinds a program's controllers use as parents or children, each once. */
export function programKinds<E extends Record<string, OptionSpec>>(definition: Program<E>): CustomKind[] {
  return kindsOf(built(definition).options.controllers ?? []);
}

/**
 * The documents that install a program, to write as YAML: the CRD of each custom kind its
 * controllers use, then its ServiceAccount, ClusterRole (what its controllers and manager need,
 * plus `options.access`) and binding, then a Deployment of two replicas with leader election on.
 * The program's build() is called with its flags' defaults to find its controllers.
 *
 * @param definition the program, as program() declares it.
 * @param options the image, namespace, arguments and extra access.
 * @throws SchemaError when a kind's schema cannot be a CRD's.
 */
export function programManifests<E extends Record<string, OptionSpec>>(
  definition: Program<E>,
  options: ProgramManifestOptions,
): KubeObject[] {
  const { config, options: manager } = built(definition);
  const controllers = manager.controllers ?? [];
  const namespace = options.namespace ?? "default";
  const labels = { "app.kubernetes.io/name": definition.name };
  const workload = { name: definition.name, namespace, labels };
  const rules = policyRules([
    ...controllers.flatMap(controllerAccess),
    ...managerAccess({ leaderElection: true, apiAuth: config.apiAuth !== "none" }),
    ...(options.access ?? []),
  ]);
  return [
    ...kindsOf(controllers).map(crdOf),
    ...Object.values(identity(workload, rules)),
    deployment(workload, {
      name: "controller",
      image: options.image,
      ...(options.command ? { command: options.command } : {}),
      args: ["--leader-elect=true", ...(options.args ?? [])],
      port: config.port,
      portName: "http",
    }),
  ];
}
