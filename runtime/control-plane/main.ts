// `npm run cluster`: starts a local control plane and keeps it running until Ctrl-C.
import { startCluster } from "./cluster.ts";

/**
 * Starts a local control plane, prints `export KUBECONFIG=<path>` on stdout, and keeps it
 * running until SIGINT, SIGTERM or SIGHUP; then stops it, removes its working directory and
 * exits the process with code 0. What `kubefn cluster` runs.
 *
 * @param onReady called with the kubeconfig's path once the control plane is ready; if it
 *   throws, the error is printed, the control plane stopped, and the process exits (code 0).
 */
export async function runClusterUntilSignalled(onReady?: (kubeconfig: string) => Promise<void>): Promise<void> {
  const cluster = await startCluster();
  let stopping: Promise<void> | undefined;
  const stop = (why: string) => {
    if (!stopping) {
      console.error(`[cluster] ${why}: stopping every component`);
      stopping = cluster.stop().then(() => {
        console.error("[cluster] stopped; working directory removed");
        process.exit(0);
      });
    }
    return stopping;
  };
  process.on("SIGINT", () => void stop("interrupted"));
  process.on("SIGTERM", () => void stop("terminated"));
  process.on("SIGHUP", () => void stop("hung up"));
  console.log(`export KUBECONFIG=${cluster.kubeconfig}`);
  console.error(
    `[cluster] kubectl is at ${cluster.binaries.kubectl}; logs are in ${cluster.dir}; press Ctrl-C to stop`,
  );
  try {
    await onReady?.(cluster.kubeconfig);
  } catch (error) {
    console.error(error);
    await stop("failed");
  }
}

if (import.meta.main) {
  runClusterUntilSignalled().catch((error: Error) => {
    console.error(`[cluster] ${error.message}`);
    process.exit(1);
  });
}
