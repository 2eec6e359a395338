// `npm start` with no cluster named: start the local control plane from test/cluster, install
// manifests and examples into it, and stop it again on the way out. Nothing here runs when a
// kubeconfig is given.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/** True when no cluster was named and none can be found: then the local control plane is started. */
export function noClusterGiven(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  return (
    !argv.some((arg) => arg.startsWith("--kubeconfig")) &&
    !env.KUBECONFIG &&
    !env.KUBERNETES_SERVICE_HOST &&
    !existsSync(join(homedir(), ".kube", "config"))
  );
}

export interface LocalCluster {
  kubeconfig: string;
  kubectl(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** Starts the local control plane, applies the manifests (server-side) and waits for their CRDs. */
export async function startLocalCluster(program: string, manifests: readonly string[]): Promise<LocalCluster> {
  const { startCluster } = await import("./test/cluster/cluster.ts");
  console.error(`[${program}] no kubeconfig given: starting the local control plane (test/cluster)`);
  const cluster = await startCluster();
  const run = promisify(execFile);
  const kubectl = async (...args: string[]) => (await run(cluster.binaries.kubectl, ["--kubeconfig", cluster.kubeconfig, ...args])).stdout;
  for (const manifest of manifests) await kubectl("apply", "--server-side", "-f", manifest);
  await kubectl("wait", "--for=condition=Established", "crd", "--all");
  console.log(`export KUBECONFIG=${cluster.kubeconfig}`);
  console.error(`[${program}] kubectl is at ${cluster.binaries.kubectl}`);
  return { kubeconfig: cluster.kubeconfig, kubectl, stop: () => cluster.stop() };
}
