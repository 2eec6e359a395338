// The Metacontroller runtime on the test cluster, as its e2e files set it up: deploy/metacontroller.yaml
// applied (its Deployment removed: the runtime runs as local processes), users' CRDs and the
// ClusterRole they add by aggregation, and functions/metacontroller/main.ts run under the
// metacontroller ServiceAccount's token, so its RBAC is exercised.
import { spawn } from "node:child_process";
import { join } from "node:path";
import {
  aggregationLabel,
  metacontrollerName,
  metacontrollerNamespace,
} from "../../functions/metacontroller/manifest.ts";
import { buildGoProgram } from "./goclient.ts";
import { kubectl, kubectlOrThrow } from "./kubectl.ts";
import { type SampleProcess, startSample } from "./sample.ts";
import { serviceAccountKubeconfig } from "./service-account.ts";

const root = join(import.meta.dirname, "..", "..");
const admin = () => process.env.KUBECONFIG_FOR_TESTS!;

/**
 * Applies deploy/metacontroller.yaml server-side (an earlier run's copy is brought up to date)
 * and removes its Deployment, which runs the image.
 */
export async function installMetacontroller(): Promise<void> {
  const installed = await kubectl(admin(), [
    "apply",
    "--server-side",
    "--force-conflicts",
    "-f",
    join(root, "deploy", "metacontroller.yaml"),
  ]);
  if (installed.code !== 0) throw new Error(installed.stderr);
  await kubectlOrThrow(admin(), [
    "delete",
    "deployment",
    metacontrollerName,
    "-n",
    metacontrollerNamespace,
    "--ignore-not-found",
  ]);
}

/** A CRD whose spec and status take any fields, as most of Metacontroller's examples declare theirs. */
export function looseCrd(
  group: string,
  plural: string,
  kind: string,
  options: { scope?: "Namespaced" | "Cluster"; status?: string } = {},
): string {
  return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: ${plural}.${group}}
spec:
  group: ${group}
  scope: ${options.scope ?? "Namespaced"}
  names: {plural: ${plural}, singular: ${kind.toLowerCase()}, kind: ${kind}}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
          status: ${options.status ?? "{type: object, x-kubernetes-preserve-unknown-fields: true}"}
`;
}

/**
 * What a user adds so the runtime may manage their kinds: a ClusterRole it aggregates, with
 * list/watch/patch on the kinds, patch on their status, update on their finalizers, and the
 * given rules for what the controllers own or read.
 */
export function userClusterRole(name: string, group: string, plurals: readonly string[], rules: string[]): string {
  const resources = (suffix: string) => plurals.map((plural) => `${plural}${suffix}`).join(", ");
  return `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: ${name}, labels: {${aggregationLabel}: "true"}}
rules:
- {apiGroups: [${group}], resources: [${resources("")}], verbs: [list, watch, patch]}
- {apiGroups: [${group}], resources: [${resources("/status")}], verbs: [patch]}
- {apiGroups: [${group}], resources: [${resources("/finalizers")}], verbs: [update]}
${rules.map((rule) => `- ${rule}\n`).join("")}`;
}

/** Starts functions/metacontroller/main.ts under the metacontroller ServiceAccount, its Lease in that namespace. */
export async function startMetacontroller(identity: string, args: string[] = []): Promise<SampleProcess> {
  return await startSample({
    script: join(root, "functions", "metacontroller", "main.ts"),
    identity,
    kubeconfig: await serviceAccountKubeconfig(metacontrollerName, metacontrollerNamespace),
    args: [`--leader-election-namespace=${metacontrollerNamespace}`, ...args],
  });
}

/**
 * Builds (once, into the cache) and starts the Go hook server of test/interop/go/hooks on a free
 * loopback port; resolves with its base URL and a stop function.
 */
export async function startHooks(): Promise<{ url: string; stop(): void }> {
  const binary = await buildGoProgram("hooks");
  const hooks = spawn(binary, ["--listen", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    hooks.stdout!.once("data", (chunk: Buffer) => resolve(`http://${JSON.parse(chunk.toString()).listening}`));
    hooks.once("exit", (code) => reject(new Error(`the hook server exited with ${code}`)));
  });
  return { url, stop: () => hooks.kill() };
}
