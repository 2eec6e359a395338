// `npm start` with no cluster named: start the local control plane (runtime/control-plane), install
// manifests and examples into it, and stop it again on the way out. Nothing here runs when a
// kubeconfig is given.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

export interface LocalCluster {
  kubeconfig: string;
  kubectl(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** Starts the local control plane, applies the manifests (server-side) and waits for their CRDs. */
export async function startLocalCluster(program: string, manifests: readonly string[]): Promise<LocalCluster> {
  const { startControlPlane: startCluster } = await import("../runtime/control-plane.ts");
  console.error(`[${program}] no kubeconfig given: starting the local control plane (runtime/control-plane)`);
  const cluster = await startCluster();
  const run = promisify(execFile);
  const kubectl = async (...args: string[]) =>
    (await run(cluster.binaries.kubectl, ["--kubeconfig", cluster.kubeconfig, ...args])).stdout;
  for (const manifest of manifests) await kubectl("apply", "--server-side", "-f", manifest);
  await kubectl("wait", "--for=condition=Established", "crd", "--all");
  console.log(`export KUBECONFIG=${cluster.kubeconfig}`);
  console.error(`[${program}] kubectl is at ${cluster.binaries.kubectl}`);
  return { kubeconfig: cluster.kubeconfig, kubectl, stop: () => cluster.stop() };
}
