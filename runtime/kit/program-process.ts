// For e2e tests: a program's entry point run as a process, on the runtime running the test
// (Node, or Deno under `deno test -A`), with one replica against the given cluster; and the
// CRDs of custom kinds installed and established.
import { type ChildProcess, spawn } from "node:child_process";
import { KubeClient } from "../kube/client.ts";
import { builtinKinds } from "../kube/kinds.ts";
import { loadKubeConfig } from "../kube/kubeconfig.ts";
import type { KubeObject } from "../kube/objects.ts";
import { crdOf } from "../manifests/crd.ts";
import type { CustomKind } from "../schema/kind.ts";
import { eventually } from "./eventually.ts";

/** A program started by startProgram(): its logs so far, and how to stop it. */
export interface ProgramProcess {
  /** What the program wrote to stderr so far (its JSON logs). */
  logs(): string;
  /** SIGTERM, then waits for the process to exit. */
  stop(): Promise<void>;
}

/** Sends SIGTERM to a child that still runs and waits until it has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

/**
 * Starts a program's entry point as a process, on the runtime running the test (Node, or Deno
 * with --allow-all), with --kubeconfig, --leader-elect=false, --port=0 and `args`; its stderr
 * is kept for logs(). It does not wait for the program to be ready: wait on what it does, with
 * eventually().
 *
 * @param entry the entry point's path, e.g. "main.ts", relative to `cwd`.
 * @param options the kubeconfig to pass, the working directory (default: this process's), and more arguments.
 */
export function startProgram(
  entry: string,
  options: { kubeconfig: string; cwd?: string; args?: string[] },
): ProgramProcess {
  const runtime = "Deno" in globalThis ? ["run", "--allow-all"] : [];
  const flags = [`--kubeconfig=${options.kubeconfig}`, "--leader-elect=false", "--port=0", ...(options.args ?? [])];
  const child: ChildProcess = spawn(process.execPath, [...runtime, entry, ...flags], {
    cwd: options.cwd ?? process.cwd(),
    stdio: ["ignore", "ignore", "pipe"],
  });
  let logs = "";
  child.stderr!.on("data", (chunk: Buffer) => (logs += chunk));
  return {
    logs: () => logs,
    stop: () => stopChild(child),
  };
}

/**
 * Applies the CRD of each kind (server-side) and waits until the API server serves it.
 *
 * @param kubeconfig the path of a kubeconfig for the cluster, e.g. a control plane's.
 * @param kinds kinds made by customKind().
 */
export function installKinds(kubeconfig: string, kinds: readonly CustomKind[]): Promise<void> {
  return installCrds(kubeconfig, kinds.map(crdOf));
}

/**
 * Applies CRDs (server-side, forced) and waits until the API server serves each (Established).
 *
 * @param kubeconfig the path of a kubeconfig for the cluster.
 * @param crds CustomResourceDefinition objects, e.g. from crdOf() or crd().
 * @throws Error "timed out waiting for <name> to be established" after 60 seconds.
 */
export async function installCrds(kubeconfig: string, crds: readonly KubeObject[]): Promise<void> {
  const client = new KubeClient(await loadKubeConfig(kubeconfig));
  for (const crd of crds) {
    await client.apply(builtinKinds.CustomResourceDefinition, crd, { fieldManager: "kubefn-test", force: true });
    await eventually(`${crd.metadata.name} to be established`, async () => {
      const found = await client.get(builtinKinds.CustomResourceDefinition, undefined, crd.metadata.name);
      const conditions = (found.status as { conditions?: Array<{ type: string; status: string }> } | undefined)
        ?.conditions ?? [];
      return conditions.some((condition) => condition.type === "Established" && condition.status === "True");
    });
  }
}
